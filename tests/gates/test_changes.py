"""Changed-files runs: which files changed, what each gate is given, and a sound cache.

Real git repositories in tmp_path, real ruff and yamllint (linked into a project venv, see
tests/venvs.py), the real runner: the argv each gate ran is in its result's ``command``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.gates.test_trust import repository, result, write
from tests.gitrepo import git
from tests.strategies import file_names

from hephaestus.core.errors import ConfigError, UsageError
from hephaestus.gates.builtin.ruff import RuffCheck
from hephaestus.gates.changes import (
    NO_CHANGED_FILES,
    ChangedFiles,
    ToolVersions,
    changed_since,
    changed_targets,
    named_files,
)
from hephaestus.gates.models import GateStatus
from hephaestus.gates.runner import GuardRailsOptions, run_guard_rails
from hephaestus.gates.settings import GuardRailsSection

if TYPE_CHECKING:
    from hephaestus.gates.models import GuardRailsReport

PYPROJECT = '[project]\nname = "demo"\nversion = "0"\n[tool.ruff]\nline-length = 100\n'
FILES = {
    "pyproject.toml": PYPROJECT,
    ".yamllint": "extends: default\n",
    "config.yaml": "---\nkey: value\n",
    "src/clean.py": "VALUE = 1\n",
    "src/debt.py": "import os\n",  # committed debt: F401, seen only when everything is checked
}
GATES = ("ruff-check", "yamllint")


@pytest.fixture(autouse=True)
def _no_activated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever venv runs the suite, the project's own .venv is the one found."""
    for name in ("VIRTUAL_ENV", "CONDA_PREFIX", "UV_PROJECT_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed repository with ruff and yamllint configured and a project venv."""
    return repository(tmp_path / "repo", FILES, tools=("ruff", "yamllint"))


def run_changed(root: Path, ref: str = "HEAD", **section: object) -> GuardRailsReport:
    """Run ruff-check and yamllint on what changed since ``ref``."""
    options = GuardRailsOptions(gates=GATES, changed=changed_since(root, ref))
    configured = GuardRailsSection.model_validate(section)
    return run_guard_rails(root, options=options, section=configured)


def paths_of(report: GuardRailsReport, gate: str) -> list[str]:
    """The files of ``gate``'s findings, each once."""
    return sorted({f.path or "" for f in result(report, gate).findings})


def test_one_changed_file_is_all_ruff_is_given(repo: Path) -> None:
    """One edited file: ruff checks it alone (after --force-exclude --), the debt is not seen."""
    write(repo, {"src/clean.py": "import sys\nVALUE = 1\n"})
    report = run_changed(repo)
    ruff = result(report, "ruff-check")
    assert ruff.command[-3:] == ("--force-exclude", "--", "src/clean.py")
    assert ruff.files == ("src/clean.py",)
    assert (ruff.status, paths_of(report, "ruff-check")) == (GateStatus.failed, ["src/clean.py"])
    assert report.changed_files == ("src/clean.py",)
    yamllint = result(report, "yamllint")
    assert (yamllint.status, yamllint.reason) == (GateStatus.skipped, NO_CHANGED_FILES)


def test_a_ruff_configuration_change_rechecks_every_file(repo: Path) -> None:
    """A [tool.ruff] change (pyproject.toml): ruff is given no paths and finds the old debt."""
    write(repo, {"pyproject.toml": PYPROJECT.replace("100", "99")})
    report = run_changed(repo)
    ruff = result(report, "ruff-check")
    assert "--" not in ruff.command
    assert ruff.files is None
    assert paths_of(report, "ruff-check") == ["src/debt.py"]
    assert result(report, "yamllint").files is None  # its gate table lives there too


def test_committed_staged_and_untracked_changes_count_ignored_ones_do_not(repo: Path) -> None:
    """Since a ref: a commit on top of it, a staged file, an untracked one; not an ignored one."""
    base = git(repo, "rev-parse", "HEAD").decode().strip()
    write(repo, {"src/committed.py": "A = 1\n"})
    git(repo, "add", "src/committed.py")
    git(repo, "commit", "-q", "-m", "more")
    write(repo, {"src/staged.py": "B = 1\n", "src/untracked.py": "C = 1\n"})
    git(repo, "add", "src/staged.py")
    write(repo, {".gitignore": ".venv/\n__pycache__/\nsrc/ignored.py\n", "src/ignored.py": "x\n"})
    report = run_changed(repo, base)
    expected = ("src/committed.py", "src/staged.py", "src/untracked.py")
    assert report.changed_files == (".gitignore", *expected)
    # ruff is given the changed files it checks in a whole run: not .gitignore.
    assert result(report, "ruff-check").files == expected
    assert result(report, "ruff-check").command[-4:] == ("--", *expected)


def test_a_deleted_file_is_never_given_to_a_tool(repo: Path) -> None:
    """A deleted (and a renamed-away) file is changed, yet never passed: ruff would fail on it."""
    (repo / "src" / "debt.py").unlink()
    git(repo, "mv", "src/clean.py", "src/moved.py")
    report = run_changed(repo)
    ruff = result(report, "ruff-check")
    assert report.changed_files == ("src/clean.py", "src/debt.py", "src/moved.py")
    assert ruff.files == ("src/moved.py",)
    assert ruff.status is GateStatus.passed


def test_nothing_changed_skips_the_file_level_gates(repo: Path) -> None:
    """No change at all: every file-level gate is skipped, none reports a pass."""
    report = run_changed(repo)
    assert {(result(report, g).reason, result(report, g).files) for g in GATES} == {
        (NO_CHANGED_FILES, None)  # a skipped gate was given nothing
    }
    assert report.exit_code == 0


def test_a_pass_on_some_files_is_never_the_whole_project_s(repo: Path) -> None:
    """The clean changed file passes; the whole-project run after it is not served that pass."""
    write(repo, {"src/clean.py": "VALUE = 2\n"})
    assert result(run_changed(repo), "ruff-check").status is GateStatus.passed
    whole = run_guard_rails(
        repo, options=GuardRailsOptions(gates=GATES), section=GuardRailsSection()
    )
    assert result(whole, "ruff-check").status is GateStatus.failed
    again = run_changed(repo)  # the same files, unchanged: the subset's own pass is reused
    assert (result(again, "ruff-check").status, result(again, "ruff-check").files) == (
        GateStatus.cached,
        ("src/clean.py",),
    )


def test_another_tool_version_rechecks_every_file(repo: Path) -> None:
    """The recorded ruff differs from the one installed now: the gate checks every file."""
    write(repo, {"src/clean.py": "VALUE = 2\n"})
    run_changed(repo)
    recorded = repo / ".hephaestus" / "cache" / "tool-versions.json"
    versions = json.loads(recorded.read_text())
    assert "ruff-check" in versions  # yamllint did not run: no changed YAML file
    recorded.write_text(json.dumps({**versions, "ruff-check": "0.0.1"}))
    report = run_changed(repo)
    assert result(report, "ruff-check").files is None
    assert paths_of(report, "ruff-check") == ["src/debt.py"]
    assert json.loads(recorded.read_text())["ruff-check"] == versions["ruff-check"]
    assert result(run_changed(repo), "ruff-check").files == ("src/clean.py",)


def test_a_changed_yaml_file_is_all_yamllint_is_given(repo: Path) -> None:
    """The yamllint gate lints the changed YAML file only."""
    write(repo, {"other.yaml": "---\nkey:   value\n"})
    report = run_changed(repo)
    yamllint = result(report, "yamllint")
    assert yamllint.command[-2:] == ("--", "other.yaml")
    assert paths_of(report, "yamllint") == ["other.yaml"]


def test_an_unknown_ref_is_a_usage_error(repo: Path) -> None:
    """A ref that names nothing, or an option in disguise, is refused before any gate runs."""
    for ref in ("no-such-branch", "--output=x"):
        with pytest.raises(UsageError, match="`changed_since`"):
            changed_since(repo, ref)


def test_a_ref_with_no_common_history_is_a_usage_error(repo: Path) -> None:
    """An unrelated history (an orphan branch, a too shallow clone) has no merge-base."""
    main = git(repo, "rev-parse", "HEAD").decode().strip()
    git(repo, "checkout", "-q", "--orphan", "other")
    git(repo, "commit", "-q", "-m", "unrelated")
    with pytest.raises(UsageError, match="shares no history with HEAD"):
        changed_since(repo, main)


def test_only_project_gates_that_take_files_may_be_opted_in(repo: Path) -> None:
    """changed-only-project-gates: pytest checks the project whole, it cannot be named."""
    with pytest.raises(ConfigError, match="pytest gate cannot check only some files"):
        run_changed(repo, changed_only_project_gates=("pytest",))


def test_named_files_are_relative_to_the_working_directory(tmp_path: Path) -> None:
    """Paths relative to cwd become root-relative; '.' is everything; outside is refused."""
    root = tmp_path / "repo"
    found = named_files(root, root / "src", ["a.py", "../b.py", ".", str(root / "c.py")])
    assert found == {"src/a.py", "b.py", "src", "c.py"}
    assert named_files(root, root, ["."]) == {""}
    with pytest.raises(UsageError, match="outside the repository"):
        named_files(root, root / "src", ["../../elsewhere.py"])


def test_tool_versions_are_recorded_by_whole_runs(tmp_path: Path) -> None:
    """A first sight is recorded by any run; a later version only by a whole-project run."""
    versions = ToolVersions(tmp_path)
    versions.record("ruff-check", "1", whole=False)
    versions.record("ruff-check", "2", whole=False)
    assert versions.differs("ruff-check", "2") == "1"
    versions.record("ruff-check", "2", whole=True)
    versions.save()
    assert ToolVersions(tmp_path).differs("ruff-check", "2") is None


paths = st.lists(file_names(8), min_size=1, max_size=3).map("/".join)
segments = st.sampled_from(["..", ".", "", "/"]) | file_names(8)


@given(
    files=st.lists(paths, max_size=8, unique=True),
    named=st.lists(st.lists(segments, min_size=1, max_size=4).map("/".join), max_size=6),
)
def test_changed_files_given_to_a_gate_are_repository_files(
    files: list[str], named: list[str]
) -> None:
    """Whatever is named, a gate is given only repository files (never outside, never ignored)."""
    root = Path("/nonexistent/repo")  # never touched: the paths are made relative lexically
    try:
        changed = named_files(root, root / "src", named)
    except UsageError:
        return
    assert not any(p.startswith(("../", "/")) or p == ".." for p in changed)
    given_files = ChangedFiles(changed).scope(RuffCheck(), files).targets or ()
    assert set(given_files) <= set(files)
    assert set(changed_targets(changed, files, ("*.py",))) <= {
        f for f in files if f.endswith(".py")
    }
