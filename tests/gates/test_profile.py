"""QA profiles applied to a run: required gates, leniency, strictness, the coverage threshold."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from tests.gates.fakes import SleepGate, WordGate
from tests.gitrepo import git

from hephaestus.core.errors import ExitCode, UsageError
from hephaestus.gates.builtin.pytest import Pytest
from hephaestus.gates.models import GateStatus
from hephaestus.gates.runner import (
    GuardRailsOptions,
    ProfileOptions,
    run_guard_rails,
)
from hephaestus.gates.selection import plan  # what a gate receives
from hephaestus.gates.settings import GuardRailsSection

if TYPE_CHECKING:
    from pathlib import Path

    from hephaestus.gates.models import GuardRailsReport
    from hephaestus.gates.spec import Gate


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with one text file holding FIXME."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / "a.txt").write_text("fine\nFIXME here\n")
    return root


def _run(
    root: Path,
    profile: ProfileOptions,
    section: GuardRailsSection | None = None,
    installed: tuple[type[Gate[Any]], ...] = (WordGate, SleepGate),
) -> GuardRailsReport:
    return run_guard_rails(
        root,
        options=GuardRailsOptions(profile=profile),
        section=section or GuardRailsSection(),
        gates={g.name: g() for g in installed},
    )


def _by_name(report: GuardRailsReport) -> dict[str, tuple[GateStatus, bool]]:
    return {r.name: (r.status, r.required) for r in report.results}


def test_profile_gates_run_required_even_when_skipped_or_optional(repo: Path) -> None:
    """A profile's gate runs although configured skipped and optional, and decides the exit."""
    section = GuardRailsSection(skip=("word",), gate={"word": {"required": False}})
    report = _run(repo, ProfileOptions(name="release", gates=("word",)), section)
    assert _by_name(report)["word"] == (GateStatus.failed, True)
    assert report.exit_code == ExitCode.FINDINGS
    assert report.profile == "release"


def test_lenient_profile_makes_the_other_gates_optional(repo: Path) -> None:
    """Under a lenient profile, only its own gates' failures fail the run."""
    report = _run(repo, ProfileOptions(name="wip", gates=("sleep",), lenient=True))
    assert _by_name(report)["word"] == (GateStatus.failed, False)
    assert report.exit_code == ExitCode.OK


def test_standard_profile_keeps_the_configured_required_flags(repo: Path) -> None:
    """Without leniency, gates outside the profile keep their configuration (required here)."""
    report = _run(repo, ProfileOptions(name="ci", gates=("sleep",)))
    assert _by_name(report)["word"] == (GateStatus.failed, True)
    assert report.exit_code == ExitCode.FINDINGS


def test_strict_profile_fails_on_warnings(repo: Path) -> None:
    """Warnings pass a gate normally and fail it under a strict profile; no pass is reused."""
    section = GuardRailsSection(gate={"word": {"severity": "warning"}})
    normal = _run(repo, ProfileOptions(name="std"), section, installed=(WordGate,))
    assert _by_name(normal)["word"] == (GateStatus.passed, True)
    strict = _run(repo, ProfileOptions(name="strict", strict=True), section, installed=(WordGate,))
    assert _by_name(strict)["word"] == (GateStatus.failed, True)
    assert strict.exit_code == ExitCode.FINDINGS


def test_coverage_goal_replaces_the_pytest_threshold(repo: Path) -> None:
    """The profile's coverage goal becomes the pytest gate's configured threshold."""
    section = GuardRailsSection(gate={"pytest": {"coverage_threshold": 50}})
    options = GuardRailsOptions(profile=ProfileOptions(name="p", coverage_threshold=90.0))
    planned = plan({"pytest": Pytest()}, options, section, repo)
    assert planned[0].config.coverage_threshold == 90.0  # type: ignore[attr-defined]


def test_unknown_gate_in_a_profile_names_the_profile(repo: Path) -> None:
    """A profile naming a gate that is not installed is a usage error naming the profile."""
    with pytest.raises(UsageError, match="QA profile 'release': unknown gate 'nope'"):
        _run(repo, ProfileOptions(name="release", gates=("nope",)))
