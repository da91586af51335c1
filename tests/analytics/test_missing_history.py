"""History that is not all there is said (shallow clone, empty window); plans need evidence."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

import pytest
from tests.analytics.conftest import SECTION

from hephaestus.analytics import AnalysisOptions, find_coupling, find_hotspots, find_opportunities
from hephaestus.planning import build_plan
from hephaestus.planning.models import StepStatus

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def shallow(known_history: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``git clone --depth 1`` of the known repository: the CI default."""
    root = tmp_path_factory.mktemp("shallow") / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{known_history}", str(root)], check=True
    )
    return root


def _history_missing(report: object) -> list[tuple[str, str | None]]:
    missing = getattr(report, "missing", ())
    return [(m.message, m.hint) for m in missing if m.factor == "history"]


@pytest.mark.parametrize("store", [True, False], ids=["stored", "no-store"])
def test_a_shallow_clone_is_said_with_the_unshallow_hint(shallow: Path, *, store: bool) -> None:
    """Hotspots, coupling and opportunities on a depth-1 clone name the cut history.

    It used to be "1 commit ... no changed files", exit 0, ``missing: []``.
    """
    options = AnalysisOptions(since="2000-01-01", store=store)
    for find in (find_hotspots, find_coupling, find_opportunities):
        said = _history_missing(find(shallow, section=SECTION, options=options))
        assert any("shallow" in message for message, _ in said), find.__name__
        assert any(hint and "git fetch --unshallow" in hint for _, hint in said), find.__name__


@pytest.mark.parametrize("since", ["2030-01-01", "2024-01-06", "9999-12-31"])
def test_an_empty_window_is_said_with_the_widen_hint(known_history: Path, since: str) -> None:
    """A window holding no commit is missing history ("widen `since`"), not a clean answer."""
    options = AnalysisOptions(since=since, store=False)
    for find in (find_hotspots, find_coupling, find_opportunities):
        said = _history_missing(find(known_history, section=SECTION, options=options))
        assert any("no commits" in m and h and "widen `since`" in h for m, h in said), find.__name__


def test_a_full_history_says_nothing_missing(known_history: Path) -> None:
    """The full clone with commits in the window has no history entry in ``missing``."""
    options = AnalysisOptions(since="2000-01-01", store=False)
    assert _history_missing(find_hotspots(known_history, section=SECTION, options=options)) == []


@pytest.mark.parametrize("where", ["shallow", "empty window"])
def test_no_plan_step_is_done_without_evidence(
    shallow: Path, known_history: Path, where: str
) -> None:
    """The refactoring step of a plan over no (or cut) history is unknown, never done."""
    root, since = (shallow, "2000-01-01") if where == "shallow" else (known_history, "2030-01-01")
    plan = build_plan(root, section=SECTION, options=AnalysisOptions(since=since, store=False))
    step = next(s for s in plan.steps if s.id == "split-functions")
    assert step.status is StepStatus.unknown
    assert "not checked" in step.rationale
    assert any(m.factor == "history" for m in plan.missing)


@pytest.mark.parametrize("patterns", [("nope/**",), ("pkg/*.txt", "src/")])
def test_paths_that_match_no_file_are_said(known_history: Path, patterns: tuple[str, ...]) -> None:
    """``--path`` matching nothing is missing data, not a quiet window with no changed file."""
    options = AnalysisOptions(since="2000-01-01", store=False, paths=patterns)
    for find in (find_hotspots, find_coupling, find_opportunities):
        report = find(known_history, section=SECTION, options=options)
        said = [m for m in report.missing if m.factor == "paths"]
        assert len(said) == 1, find.__name__
        assert said[0].message == f"no analysed file matches the patterns {', '.join(patterns)}"
    matching = AnalysisOptions(since="2000-01-01", store=False, paths=("pkg/**",))
    report = find_hotspots(known_history, section=SECTION, options=matching)
    assert [m for m in report.missing if m.factor == "paths"] == []
