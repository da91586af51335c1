from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from tests.gates.fakes import (
    CrashingGate,
    MeetGate,
    MissingToolGate,
    OtherMeetGate,
    SleepGate,
    WordGate,
)
from tests.gitrepo import git

from hephaestus.core.errors import ConfigError, ExitCode, UsageError
from hephaestus.gates.models import GateResult, GateStatus
from hephaestus.gates.runner import GuardRailsOptions, run_guard_rails
from hephaestus.gates.settings import GuardRailsSection

if TYPE_CHECKING:
    from pathlib import Path

    from hephaestus.gates.models import GuardRailsReport
    from hephaestus.gates.spec import Gate


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with two text files and a Python file, one text file holding FIXME."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / "a.txt").write_text("fine\nFIXME here\n")
    (root / "b.txt").write_text("all good\n")
    (root / "m.py").write_text("x = 1\n")
    return root


def _run(
    root: Path,
    installed: list[type[Gate[Any]]],
    section: GuardRailsSection | None = None,
    on_result: Any = None,  # noqa: ANN401
    **options: Any,  # noqa: ANN401
) -> GuardRailsReport:
    return run_guard_rails(
        root,
        options=GuardRailsOptions(**options),
        section=section or GuardRailsSection(),
        gates={g.name: g() for g in installed},
        on_result=on_result,
    )


def _status(report: GuardRailsReport) -> dict[str, GateStatus]:
    return {r.name: r.status for r in report.results}


def _runs(root: Path) -> int:
    log = root / "runs.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_findings_fail_the_gate_and_exit_1(repo: Path) -> None:
    """A finding with file and line fails its gate; the report's exit code is 1."""
    report = _run(repo, [WordGate])
    (result,) = report.results
    assert result.status is GateStatus.failed
    assert [(f.path, f.line) for f in result.findings] == [("a.txt", 2)]
    assert report.exit_code == ExitCode.FINDINGS


def test_warm_run_is_cached_and_does_not_run(repo: Path) -> None:
    """A second run with nothing changed reuses the pass without starting the tool."""
    (repo / "a.txt").write_text("fine\n")
    first = _run(repo, [WordGate])
    second = _run(repo, [WordGate])
    assert _status(first) == {"word": GateStatus.passed}
    assert _status(second) == {"word": GateStatus.cached}
    assert _runs(repo) == 1
    assert second.exit_code == ExitCode.OK


def test_failures_are_never_cached(repo: Path) -> None:
    """A failing gate runs again next time (only passes are cached)."""
    _run(repo, [WordGate])
    again = _run(repo, [WordGate])
    assert _status(again) == {"word": GateStatus.failed}
    assert _runs(repo) == 2


def test_editing_an_input_reruns_only_the_gates_reading_it(repo: Path) -> None:
    """Changing a .txt file re-runs the word gate but not the gate reading only *.py."""
    (repo / "a.txt").write_text("fine\n")
    SleepGate.seconds = 0.0
    _run(repo, [WordGate, SleepGate])
    (repo / "b.txt").write_text("changed\n")
    report = _run(repo, [WordGate, SleepGate])
    assert _status(report) == {"word": GateStatus.passed, "sleep": GateStatus.cached}
    (repo / "m.py").write_text("x = 2\n")
    report = _run(repo, [WordGate, SleepGate])
    assert _status(report) == {"word": GateStatus.cached, "sleep": GateStatus.passed}


def test_ignored_and_untracked_files_are_inputs(repo: Path) -> None:
    """A tool may read a file git ignores: changing one re-runs the gate, as a new file does."""
    (repo / "a.txt").write_text("fine\n")
    (repo / ".gitignore").write_text("ignored.txt\n")
    _run(repo, [WordGate])
    assert _status(_run(repo, [WordGate])) == {"word": GateStatus.cached}
    (repo / "ignored.txt").write_text("FIXME\n")
    assert _status(_run(repo, [WordGate])) == {"word": GateStatus.passed}
    assert _status(_run(repo, [WordGate])) == {"word": GateStatus.cached}
    (repo / "new.txt").write_text("fresh\n")
    assert _status(_run(repo, [WordGate])) == {"word": GateStatus.passed}


def test_tool_version_change_invalidates(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new tool version runs the gate again."""
    (repo / "a.txt").write_text("fine\n")
    _run(repo, [WordGate])
    monkeypatch.setattr(WordGate, "tool_version", "2.0")
    assert _status(_run(repo, [WordGate])) == {"word": GateStatus.passed}


def test_configuration_change_invalidates(repo: Path) -> None:
    """A change to the gate's configuration runs it again."""
    (repo / "a.txt").write_text("fine\n")
    _run(repo, [WordGate])
    section = GuardRailsSection(gate={"word": {"word": "TODO"}})
    assert _status(_run(repo, [WordGate], section)) == {"word": GateStatus.passed}
    assert _status(_run(repo, [WordGate], section)) == {"word": GateStatus.cached}


def test_no_cache_runs_everything(repo: Path) -> None:
    """--no-cache ignores a cached pass."""
    (repo / "a.txt").write_text("fine\n")
    _run(repo, [WordGate])
    assert _status(_run(repo, [WordGate], cache=False)) == {"word": GateStatus.passed}
    assert _runs(repo) == 2


def test_corrupt_entry_is_rebuilt(repo: Path) -> None:
    """A corrupt cache entry is ignored, the gate runs, and the entry is written again."""
    (repo / "a.txt").write_text("fine\n")
    _run(repo, [WordGate])
    (entry,) = (repo / ".hephaestus" / "cache" / "gates").glob("word-*.json")
    entry.write_text("{not json")
    assert _status(_run(repo, [WordGate])) == {"word": GateStatus.passed}
    assert _status(_run(repo, [WordGate])) == {"word": GateStatus.cached}


def test_state_directory_ignores_itself(repo: Path) -> None:
    """.hephaestus/ gets a .gitignore, so git never lists the cache as untracked files."""
    _run(repo, [WordGate])
    status = git(repo, "status", "--porcelain", "--untracked-files=all")
    assert b".hephaestus" not in status


def test_gates_run_in_parallel(repo: Path) -> None:
    """Two gates that can only pass together (each waits for the other) both pass with two jobs."""
    report = _run(repo, [MeetGate, OtherMeetGate], jobs=2, cache=False)
    assert _status(report) == {"meet": GateStatus.passed, "other-meet": GateStatus.passed}


def test_results_arrive_as_each_finishes(repo: Path) -> None:
    """on_result sees every gate once, deselected ones excluded."""
    seen: list[GateResult] = []
    SleepGate.seconds = 0.0
    _run(repo, [WordGate, SleepGate], on_result=seen.append, skip=("sleep",))
    assert [r.name for r in seen] == ["word"]


def test_timeout_is_could_not_run(repo: Path) -> None:
    """A gate running past its timeout is stopped and could not run (exit 5), never passed."""
    SleepGate.seconds = 5.0
    report = _run(repo, [SleepGate], timeout=0.3, cache=False)
    (result,) = report.results
    assert result.status is GateStatus.could_not_run
    assert "did not finish" in (result.reason or "")
    assert report.exit_code == ExitCode.EXTERNAL


def test_missing_tool_is_could_not_run_with_hint(repo: Path) -> None:
    """A gate whose tool is not installed could not run, with an install hint."""
    report = _run(repo, [MissingToolGate])
    (result,) = report.results
    assert result.status is GateStatus.could_not_run
    assert "not installed" in (result.reason or "")
    assert "uv add --dev" in (result.hint or "")
    assert report.exit_code == ExitCode.EXTERNAL


def test_optional_gate_does_not_decide_the_exit_code(repo: Path) -> None:
    """A failing gate configured required = false is reported, and the run exits 0."""
    section = GuardRailsSection(gate={"word": {"required": False}})
    report = _run(repo, [WordGate], section)
    assert _status(report) == {"word": GateStatus.failed}
    assert report.exit_code == ExitCode.OK


def test_findings_win_over_could_not_run(repo: Path) -> None:
    """With one gate failing and one unable to run, the exit code is 1."""
    report = _run(repo, [WordGate, MissingToolGate])
    assert report.exit_code == ExitCode.FINDINGS


def test_crashing_gate_is_contained(repo: Path) -> None:
    """A gate whose hook raises a bug could not run, naming the exception; others still run."""
    report = _run(repo, [CrashingGate, WordGate])
    status = _status(report)
    assert status == {"crashing": GateStatus.could_not_run, "word": GateStatus.failed}
    crashed = next(r for r in report.results if r.name == "crashing")
    assert "KeyError" in (crashed.reason or "")


def test_fail_fast_starts_no_more_gates(repo: Path) -> None:
    """With fail_fast and one job, gates queued after a failure are skipped, naming the field."""
    SleepGate.seconds = 0.0
    report = _run(repo, [WordGate, SleepGate], jobs=1, fail_fast=True, cache=False)
    assert _status(report) == {"word": GateStatus.failed, "sleep": GateStatus.skipped}
    skipped = next(r for r in report.results if r.name == "sleep")
    assert skipped.reason == "stopped by `fail_fast`"


def test_selection(repo: Path) -> None:
    """--gate runs only the named gates; --skip and configured skips deselect."""
    SleepGate.seconds = 0.0
    only = _run(repo, [WordGate, SleepGate], gates=("sleep",))
    assert _status(only) == {"word": GateStatus.skipped, "sleep": GateStatus.passed}
    section = GuardRailsSection(skip=("word",))
    configured = _run(repo, [WordGate, SleepGate], section)
    assert _status(configured)["word"] is GateStatus.skipped
    named = _run(repo, [WordGate, SleepGate], section, gates=("word",))
    assert _status(named)["word"] is GateStatus.failed


@pytest.mark.parametrize(
    ("options", "section"),
    [
        ({"gates": ("nope",)}, GuardRailsSection()),
        ({"skip": ("nope",)}, GuardRailsSection()),
        ({}, GuardRailsSection(gates=("nope",))),
        ({}, GuardRailsSection(gate={"nope": {}})),
    ],
)
def test_unknown_gate_is_a_usage_error(
    repo: Path, options: dict[str, Any], section: GuardRailsSection
) -> None:
    """An unknown gate name anywhere is exit 2 listing the installed gates."""
    with pytest.raises(UsageError, match="unknown gate 'nope'") as caught:
        _run(repo, [WordGate], section, **options)
    assert "word" in (caught.value.hint or "")


def test_invalid_gate_configuration_names_gate_and_key(repo: Path) -> None:
    """A bad key in a gate's table is a ConfigError naming the table and the key."""
    section = GuardRailsSection(gate={"word": {"colour": "red"}})
    with pytest.raises(ConfigError, match=r"guard-rails\.gate\.word\] key 'colour'"):
        _run(repo, [WordGate], section)


def test_outside_git_every_visible_file_counts(tmp_path: Path) -> None:
    """Without git, the gate sees the files below the root (hidden directories excluded)."""
    (tmp_path / "a.txt").write_text("FIXME\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "b.txt").write_text("FIXME\n")
    report = _run(tmp_path, [WordGate])
    (result,) = report.results
    assert [f.path for f in result.findings] == ["a.txt"]


def test_deleted_tracked_files_are_not_listed(repo: Path) -> None:
    """A tracked file deleted from the work tree is not passed to gates, and re-runs them."""
    (repo / "a.txt").write_text("fine\n")
    git(repo, "add", "-A")
    _run(repo, [WordGate])
    (repo / "b.txt").unlink()
    report = _run(repo, [WordGate])
    assert _status(report) == {"word": GateStatus.passed}


def test_tables_of_unselected_gates_are_validated_too(repo: Path) -> None:
    """A bad table fails the run even when its gate is not selected: all configuration counts."""
    section = GuardRailsSection(gate={"sleep": {"secs": 1}})
    with pytest.raises(ConfigError, match=r"gate\.sleep\] key 'secs'"):
        _run(repo, [WordGate, SleepGate], section, gates=("word",))


def test_gates_run_without_a_cache_when_state_cannot_be_written(repo: Path) -> None:
    """With .hephaestus blocked by a file, gates run (and keep running) uncached."""
    (repo / "a.txt").write_text("fine\n")
    (repo / ".hephaestus").write_text("in the way")
    assert _status(_run(repo, [WordGate])) == {"word": GateStatus.passed}
    assert _status(_run(repo, [WordGate])) == {"word": GateStatus.passed}
