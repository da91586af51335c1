"""``guard-rails --changed-since`` and ``--files``: the command line and a real hook manager."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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


def _current(root: Path, files: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed repository of ``files`` using ruff, with a project venv, made current."""
    for name in ("VIRTUAL_ENV", "CONDA_PREFIX", "UV_PROJECT_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    repository(root, files, tools=("ruff",))
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed repository using ruff, with a project venv, as the current directory."""
    return _current(tmp_path / "repo", FILES, monkeypatch)


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


MIXED = {
    "pyproject.toml": '[project]\nname = "demo"\nversion = "0"\n[tool.ruff]\n[tool.ruff.format]\n',
    "src/clean.py": "A = 1\n",
    "src/dirty.py": "import os\n",  # F401
    "notes.txt": "hello world\n",  # named to ruff, it is Python: F821, B018, a syntax error
    "conf.yaml": "a: [1,2]\n",  # named to ruff format, it "would be reformatted"
    "setup.cfg": "[metadata]\nname=demo\n",
    "data.json": '{"a":1}\n',
    "README.md": "# Demo\n\n```python\nx=1\n```\n",  # ruff 0.16 on formats Markdown blocks
}


def _paths(report: dict[str, Any], gate: str) -> set[str]:
    result = next(r for r in report["results"] if r["name"] == gate)
    assert result["status"] in {"passed", "failed", "skipped"}, result.get("reason")
    return {f["path"] for f in result["findings"]}


@pytest.mark.usefixtures("mixed")
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(named=st.sets(st.sampled_from(sorted(MIXED)), min_size=1))
def test_a_changed_files_run_finds_only_what_a_whole_run_finds_there(
    cli: Cli, named: set[str]
) -> None:
    """Whatever files are named, ruff judges only those it would pick itself, as a whole run does.

    ruff took every named file for Python: a changed ``notes.txt`` failed ruff-check, a
    changed YAML file "would be reformatted", and an older ruff could not run on Markdown.
    """
    gates = ("--gate", "ruff-check", "--gate", "ruff-format", "--no-cache")
    whole = json.loads(cli("--format", "json", "guard-rails", *gates).stdout)
    outcome = cli("--format", "json", "guard-rails", *gates, "--files", *sorted(named))
    changed = json.loads(outcome.stdout)
    # A changed pyproject.toml configures ruff: both gates then check the whole project.
    scope = set(MIXED) if "pyproject.toml" in named else named
    for gate in ("ruff-check", "ruff-format"):
        assert _paths(changed, gate) == _paths(whole, gate) & scope, gate
    expected = bool(_paths(whole, "ruff-check") & scope or _paths(whole, "ruff-format") & scope)
    assert outcome.exit_code == (ExitCode.FINDINGS if expected else ExitCode.OK)


@pytest.fixture
def mixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed repository of Python and other files, using ruff, as the current directory."""
    return _current(tmp_path / "mixed", MIXED, monkeypatch)


def test_a_whole_run_that_checks_nothing_is_no_pass(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every gate skipped in a whole-project run (wrong directory, nothing configured): exit 2.

    It printed "guard-rails passed: 6 skipped": a CI job in the wrong directory was green.
    """
    root = tmp_path / "elsewhere"
    root.mkdir()
    (root / "a.py").write_text("def f(:\n", encoding="utf-8")  # nothing says how to check it
    monkeypatch.chdir(root)
    outcome = cli("guard-rails")
    assert outcome.exit_code == ExitCode.USAGE
    assert "guard-rails checked nothing" in outcome.stdout
    report = json.loads(cli("--format", "json", "guard-rails").stdout)
    assert report["exit_code"] == ExitCode.USAGE
    assert {r["status"] for r in report["results"]} == {"skipped"}


def test_changes_no_gate_checks_are_a_pass(cli: Cli, repo: Path) -> None:
    """A changed-files run whose files no gate checks had nothing to check: exit 0."""
    write(repo, {"notes.txt": "hello\n"})
    outcome = cli("guard-rails", "--files", "notes.txt")
    assert outcome.exit_code == ExitCode.OK, outcome.stdout
    assert "guard-rails passed" in outcome.stdout


def test_a_changed_files_run_does_not_replace_the_kept_report(cli: Cli, repo: Path) -> None:
    """The plan reads the kept report as the state of the project: a partial run is not it."""
    assert cli("guard-rails", "--gate", "ruff-check").exit_code == ExitCode.FINDINGS  # the debt
    kept = repo / ".hephaestus" / "guard-rails" / "latest.json"
    whole = kept.read_bytes()
    assert cli("guard-rails", "--gate", "ruff-check", "--files", "src/a.py").exit_code == 0
    assert kept.read_bytes() == whole
    assert json.loads(whole)["changed_files"] is None
