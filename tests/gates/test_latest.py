"""The latest report each run keeps in .hephaestus/guard-rails/latest.json."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.gates.fakes import WordGate
from tests.gitrepo import git

from hephaestus.gates.latest import latest_report_path
from hephaestus.gates.models import GateStatus, GuardRailsReport
from hephaestus.gates.runner import GuardRailsOptions, run_guard_rails
from hephaestus.gates.settings import GuardRailsSection

if TYPE_CHECKING:
    from pathlib import Path


def _run(root: Path) -> GuardRailsReport:
    return run_guard_rails(
        root,
        options=GuardRailsOptions(),
        section=GuardRailsSection(),
        gates={"word": WordGate()},
    )


def test_each_run_keeps_its_report(tmp_path: Path) -> None:
    """The kept file holds exactly the returned report; the next run replaces it."""
    git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("FIXME\n")
    first = _run(tmp_path)
    kept = latest_report_path(tmp_path)
    assert GuardRailsReport.model_validate_json(kept.read_bytes()) == first
    (tmp_path / "a.txt").write_text("fine\n")
    second = _run(tmp_path)
    assert second.results[0].status is GateStatus.passed
    assert GuardRailsReport.model_validate_json(kept.read_bytes()) == second
    assert b"latest.json" not in git(tmp_path, "status", "--porcelain", "--ignored=no")


def test_an_unwritable_state_directory_keeps_nothing_and_fails_nothing(tmp_path: Path) -> None:
    """With .hephaestus blocked by a file, the run still reports; no report is kept."""
    git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("fine\n")
    (tmp_path / ".hephaestus").write_text("not a directory")
    report = _run(tmp_path)
    assert report.results[0].status is GateStatus.passed
    assert (tmp_path / ".hephaestus").read_text() == "not a directory"
