"""``guard-rails --changed-since`` and ``--files``: the command line and a real hook manager."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from tests.gates.test_trust import repository, write
from tests.gitrepo import GIT_ENV, git

from hephaestus.core.errors import ExitCode

if TYPE_CHECKING:
    from tests.conftest import Cli

FILES = {
    "pyproject.toml": '[project]\nname = "demo"\nversion = "0"\n[tool.ruff]\n',
    "src/a.py": "A = 1\n",
    "src/b.py": "B = 1\n",
    "src/debt.py": "import os\n",  # committed: only a whole-project run reports it
}
BIN = Path(sys.executable).parent
PREK = shutil.which("prek", path=str(BIN))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed repository using ruff, with a project venv, as the current directory."""
    for name in ("VIRTUAL_ENV", "CONDA_PREFIX", "UV_PROJECT_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    root = repository(tmp_path / "repo", FILES, tools=("ruff",))
    monkeypatch.chdir(root)
    return root


def ruff_check(cli: Cli, *args: str) -> tuple[int, dict[str, Any]]:
    """Run the ruff-check gate with ``args``; return the exit code and the gate's result."""
    outcome = cli("--format", "json", "guard-rails", "--gate", "ruff-check", *args)
    report = json.loads(outcome.stdout)
    return outcome.exit_code, next(r for r in report["results"] if r["name"] == "ruff-check")


def test_files_takes_the_file_names_that_follow(cli: Cli, repo: Path) -> None:
    """`--files a b`, as pre-commit appends them: ruff gets exactly those, the debt is unseen."""
    write(repo, {"src/a.py": "import sys\n"})
    code, ruff = ruff_check(cli, "--files", "src/a.py", "src/b.py")
    assert code == ExitCode.FINDINGS
    assert ruff["command"][-4:] == ["--force-exclude", "--", "src/a.py", "src/b.py"]
    assert ruff["files"] == ["src/a.py", "src/b.py"]
    assert {f["path"] for f in ruff["findings"]} == {"src/a.py"}


def test_files_are_relative_to_the_working_directory(
    cli: Cli, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From a subdirectory, names are the shell's: relative to it; a directory means its files."""
    monkeypatch.chdir(repo / "src")
    code, ruff = ruff_check(cli, "--files", "a.py")
    assert (code, ruff["files"]) == (ExitCode.OK, ["src/a.py"])
    code, ruff = ruff_check(cli, "--files", ".")
    assert code == ExitCode.FINDINGS
    assert ruff["files"] == ["src/a.py", "src/b.py", "src/debt.py"]


def test_changed_since_checks_the_changed_file_and_then_everything(cli: Cli, repo: Path) -> None:
    """One changed file: only it; after a [tool.ruff] change: every file, the debt included."""
    write(repo, {"src/b.py": "B = 2\n"})
    code, ruff = ruff_check(cli, "--changed-since", "HEAD")
    assert (code, ruff["files"], ruff["command"][-1]) == (ExitCode.OK, ["src/b.py"], "src/b.py")
    write(repo, {"pyproject.toml": FILES["pyproject.toml"] + "line-length = 99\n"})
    code, ruff = ruff_check(cli, "--changed-since", "HEAD")
    assert (code, ruff["files"]) == (ExitCode.FINDINGS, None)
    assert {f["path"] for f in ruff["findings"]} == {"src/debt.py"}


@pytest.mark.usefixtures("repo")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--changed-since", "no-such-ref"], "error: --changed-since 'no-such-ref': no such"),
        (["src/a.py"], "error: unexpected argument 'src/a.py': name files to check with --files"),
        (["--files", "../outside.py"], "error: --files ../outside.py: outside the repository"),
        (["--files", "nosuch.py"], "error: --files nosuch.py: no such file or directory"),
        (["--files", "a.py", "--changed-since", "HEAD"], "error: --changed-since and --files"),
    ],
)
def test_usage_errors_are_one_line(cli: Cli, args: list[str], message: str) -> None:
    """A bad ref, a stray or missing file, a file outside, both ways at once: exit 2, one line."""
    outcome = cli("guard-rails", *args)
    assert outcome.exit_code == ExitCode.USAGE
    lines = outcome.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(message)
    assert lines[1].startswith("hint: ")
    assert outcome.stdout == ""


@pytest.mark.skipif(PREK is None, reason="prek is not installed in the test environment")
def test_prek_passes_the_staged_files(repo: Path, tmp_path: Path) -> None:
    """A real prek runs `entry: hephaestus guard-rails --files` on the staged file only."""
    entry = f"{BIN / 'hephaestus'} guard-rails --gate ruff-check --files"
    write(
        repo,
        {
            ".pre-commit-config.yaml": (
                "repos:\n  - repo: local\n    hooks:\n      - id: guard-rails\n"
                f"        name: guard-rails\n        entry: {entry}\n        language: system\n"
                "        types_or: [python]\n        require_serial: true\n"
            ),
            "src/a.py": "import sys\n",
        },
    )
    git(repo, "add", ".pre-commit-config.yaml", "src/a.py")
    done = subprocess.run(
        [str(PREK), "run"],
        cwd=repo,
        env={"PATH": str(BIN) + ":/usr/bin:/bin", "HOME": str(tmp_path), **GIT_ENV},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == ExitCode.FINDINGS, done.stdout + done.stderr
    assert "src/a.py:1:8: error [F401]" in done.stdout
    assert "debt.py" not in done.stdout
