"""The hooks of ``.pre-commit-hooks.yaml``, run by pre-commit and by prek as a user would.

The hook repository is made in ``tmp_path`` from this working tree (its manifest, packaging files
and ``src/``, uncommitted changes included) and committed there; a checked repository names it
with ``repo:`` and that commit's ``rev:``. Each manager then installs hephaestus-toolkit from it
into an environment of its own, under ``tmp_path`` like every cache it uses (``PRE_COMMIT_HOME``,
``PREK_HOME``, ``UV_CACHE_DIR``, ``PIP_CACHE_DIR``); the dependencies come from the package index,
as they would for a user. The checked repository has its own ``.venv`` with ruff, where the
ruff gate runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from tests.gitrepo import GIT_ENV, git
from tests.venvs import make_venv

if TYPE_CHECKING:
    from collections.abc import Mapping

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
MANAGERS = ("pre-commit", "prek")
_MANUAL_STAGE = {"pre-commit": "--hook-stage", "prek": "--stage"}
_DIRTY = "import os\n\n\ndef answer() -> int:\n    return 42\n"
_CLEAN = "def answer() -> int:\n    return 42\n"


def _manager(name: str) -> str:
    """The manager installed beside the interpreter running the tests (the dev group has both)."""
    found = Path(sys.executable).parent / name
    if not found.is_file():
        pytest.fail(f"{name} is not installed: it is in the dev dependency group (`uv sync`)")
    return str(found)


def _environment(work: Path) -> dict[str, str]:
    """The caller's environment with every manager and installer cache moved under ``work``.

    The environment running the tests is left out: no ``VIRTUAL_ENV`` (guard-rails would take
    it for the project's), and its ``bin`` off ``PATH``, so the hook sees only what a user's
    shell and the manager give it.
    """
    own_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != own_bin)
    kept = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("UV_", "VIRTUAL_ENV", "PRE_COMMIT", "PREK_", "PIP_CACHE"))
    }
    return {
        **kept,
        **GIT_ENV,
        "PATH": path,
        "PRE_COMMIT_HOME": str(work / "pre-commit-home"),
        "PREK_HOME": str(work / "prek-home"),
        "UV_CACHE_DIR": str(work / "uv-cache"),
        "PIP_CACHE_DIR": str(work / "pip-cache"),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
    }


def _run(argv: list[str], *, cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` and capture both streams together, as a terminal would show them."""
    return subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
        timeout=600,
    )


def _commit(repo: Path, env: Mapping[str, str], message: str) -> subprocess.CompletedProcess[str]:
    """``git commit`` as a person types it: the installed hook runs first."""
    return _run(["git", "-c", "commit.gpgsign=false", "commit", "-m", message], cwd=repo, env=env)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository holding this working tree's hooks and package; and its commit."""
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, repo / name)
    shutil.copytree(
        ROOT / "src", repo / "src", ignore=shutil.ignore_patterns("__pycache__", "*.py[co]")
    )
    git(repo, "init", "--quiet")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", "hooks")
    return repo, git(repo, "rev-parse", "HEAD").decode().strip()


def _checked_repo(path: Path, hooks: tuple[Path, str]) -> Path:
    """A project with ruff configured, its own ``.venv`` with ruff, and the hooks configured."""
    repo, rev = hooks
    (path / "src" / "demo").mkdir(parents=True)
    (path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0"\n\n[tool.ruff]\nlint.select = ["F"]\n',
        encoding="utf-8",
    )
    (path / ".gitignore").write_text(".venv/\n__pycache__/\n", encoding="utf-8")
    (path / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n"
        "      - id: hephaestus-guard-rails\n      - id: hephaestus-cleanup\n",
        encoding="utf-8",
    )
    (path / "src" / "demo" / "__init__.py").write_text("", encoding="utf-8")
    make_venv(path / ".venv", tools=["ruff"])
    git(path, "init", "--quiet")
    git(path, "add", "--all")
    git(path, "commit", "--quiet", "--message", "start")
    return path


@pytest.mark.parametrize("manager", MANAGERS)
def test_the_manifest_is_valid_for_each_manager(manager: str, tmp_path: Path) -> None:
    """``validate-manifest`` accepts ``.pre-commit-hooks.yaml`` and rejects a hook without entry."""
    env = _environment(tmp_path)
    accepted = _run([_manager(manager), "validate-manifest", str(MANIFEST)], cwd=ROOT, env=env)
    assert accepted.returncode == 0, accepted.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text("- id: x\n  name: x\n  language: python\n", encoding="utf-8")
    rejected = _run([_manager(manager), "validate-manifest", str(broken)], cwd=ROOT, env=env)
    assert rejected.returncode != 0, "the validator accepted a hook without an entry"


@pytest.mark.parametrize("manager", MANAGERS)
def test_a_commit_gets_the_guard_rails_verdict_then_cleanup_runs_on_request(
    manager: str, hook_repo: tuple[Path, str], tmp_path: Path
) -> None:
    """The hook refuses a commit with F401 with guard-rails' report, takes the fixed one.

    Only the staged files are checked: an untracked module with its own F401 decides nothing.
    """
    env = _environment(tmp_path)
    repo = _checked_repo(tmp_path / "project", hook_repo)
    module = repo / "src" / "demo" / "__init__.py"
    module.write_text(_DIRTY, encoding="utf-8")
    git(repo, "add", "--all")
    (repo / "src" / "demo" / "scratch.py").write_text("import sys\n", encoding="utf-8")
    installed = _run([_manager(manager), "install"], cwd=repo, env=env)
    assert installed.returncode == 0, installed.stdout

    refused = _commit(repo, env, "seeded F401")
    assert refused.returncode != 0, refused.stdout
    assert "hephaestus guard-rails" in refused.stdout
    assert "src/demo/__init__.py:1:8: error [F401]" in refused.stdout
    assert "guard-rails failed" in refused.stdout
    assert "scratch.py" not in refused.stdout
    log = _run(["git", "log", "--format=%s"], cwd=repo, env=env)
    assert log.stdout.split() == ["start"], "the refused commit was made"

    module.write_text(_CLEAN, encoding="utf-8")
    git(repo, "add", "src/demo/__init__.py")
    accepted = _commit(repo, env, "fixed")
    assert accepted.returncode == 0, accepted.stdout
    assert "hephaestus guard-rails" in accepted.stdout
    assert "Passed" in accepted.stdout
    assert "fixed" in _run(["git", "log", "-1", "--format=%s"], cwd=repo, env=env).stdout

    # The manual-stage cleanup: only by name, removes untracked debris, keeps tracked files.
    debris = repo / "src" / "demo" / "__pycache__"
    debris.mkdir()
    (debris / "stale.cpython-311.pyc").write_bytes(b"\0")
    cleaned = _run(
        [_manager(manager), "run", "hephaestus-cleanup", _MANUAL_STAGE[manager], "manual"],
        cwd=repo,
        env=env,
    )
    assert cleaned.returncode == 0, cleaned.stdout
    assert not debris.exists()
    assert module.read_text(encoding="utf-8") == _CLEAN
