"""tools refactor trends: the stored points of the repository and its files, hand-computed.

The known repository (tests/analytics/history.py): pkg/core.py (parse 3, loop 4, Box.size 2),
pkg/util.py (helper 3), pkg/moved.py (moved 2): 3 files, 5 functions, complexity 14, 5 commits;
coverage 8 of 21 statements. A sixth commit adds ``extra`` (complexity 2) to pkg/util.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from tests.analytics.conftest import SECTION
from tests.analytics.history import commit

from hephaestus.analytics import AnalysisOptions, find_hotspots, rank_files
from hephaestus.analytics.trend_models import TrendReport
from hephaestus.core.errors import UsageError
from hephaestus.invoke import call

if TYPE_CHECKING:
    from pathlib import Path

WINDOW = "2000-01-01"
STORED = AnalysisOptions(since=WINDOW)


def _trends(repo: Path, **fields: object) -> TrendReport:
    report = call("tools_refactor_trends", {"since": WINDOW, **fields}, cwd=repo)
    assert isinstance(report, TrendReport)
    return report


def _extra_commit(repo: Path) -> None:
    with (repo / "pkg/util.py").open("a", encoding="utf-8") as handle:
        handle.write("\n\ndef extra(x):\n    return 1 if x else 2\n")
    commit(repo, "dave", 6, "extra")


def test_points_per_analysed_commit_with_hand_computed_totals(repo: Path) -> None:
    """Hotspots and rankings of one commit merge (coverage from rankings); then a new commit."""
    find_hotspots(repo, section=SECTION, options=STORED)
    rank_files(repo, section=SECTION, options=STORED)
    _extra_commit(repo)
    find_hotspots(repo, section=SECTION, options=STORED)
    report = _trends(repo)
    assert report.snapshots == 3
    got = [(p.files, p.functions, p.complexity, p.commits, p.coverage) for p in report.repository]
    assert got == [(3, 5, 14, 5, round(8 / 21, 4)), (3, 6, 16, 6, None)]
    assert report.missing == ()
    util = next(f for f in report.files if f.path == "pkg/util.py")
    # score = commits / max commits * complexity / max complexity (core.py: 3 commits, 9)
    assert [(p.score, p.complexity) for p in util.points] == [
        (round(2 / 3 * 3 / 9, 4), 3),
        (round(3 / 3 * 5 / 9, 4), 5),
    ]
    assert util.points[0].coverage is not None
    assert util.points[1].coverage is None
    assert [f.path for f in report.files] == ["pkg/core.py", "pkg/util.py", "pkg/moved.py"]


def test_other_windows_and_narrowed_runs_are_left_out(repo: Path) -> None:
    """A 2024-01-03 window and a run narrowed to one file add no point to 2000-01-01's trend."""
    find_hotspots(repo, section=SECTION, options=STORED)
    find_hotspots(repo, section=SECTION, options=AnalysisOptions(since="2024-01-03"))
    narrowed = AnalysisOptions(since=WINDOW, paths=("pkg/util.py",))
    _extra_commit(repo)
    find_hotspots(repo, section=SECTION, options=narrowed)
    report = _trends(repo)
    assert report.snapshots == 1
    assert [p.complexity for p in report.repository] == [14]
    assert [m.factor for m in report.missing] == ["trend", "coverage"]
    assert "a trend needs two" in report.missing[0].message


def test_chosen_files_and_limit(repo: Path) -> None:
    """--path picks stored files by pattern; --limit caps the default top files."""
    find_hotspots(repo, section=SECTION, options=STORED)
    assert [f.path for f in _trends(repo, paths=["pkg/m*.py"]).files] == ["pkg/moved.py"]
    by_score = ["pkg/core.py", "pkg/util.py", "pkg/moved.py"]  # 1.0, 2/3 * 3/9, 2/3 * 2/9
    assert [f.path for f in _trends(repo, paths=["pkg/*.py"]).files] == by_score
    assert [f.path for f in _trends(repo, limit=1).files] == ["pkg/core.py"]
    nothing = _trends(repo, paths=["docs/**"])
    assert nothing.files == ()
    assert [m.factor for m in nothing.missing][-1] == "paths"


def test_no_store_says_so_and_creates_nothing(repo: Path) -> None:
    """Without a store: no points, a hint to run hotspots, and no database created."""
    report = _trends(repo)
    assert (report.snapshots, report.repository, report.files) == (0, (), ())
    assert [m.factor for m in report.missing] == ["trend"]
    assert not (repo / ".hephaestus" / "analytics.db").exists()


@pytest.mark.parametrize(("field", "value"), [("since", "soon"), ("paths", ["a\\"])])
def test_bad_input_is_a_usage_error(repo: Path, field: str, value: object) -> None:
    """A bad window or pattern is exit 2, before any store is read."""
    with pytest.raises(UsageError):
        call("tools_refactor_trends", {field: value}, cwd=repo)
