"""Every ranking strategy, hotspots, opportunities, coupling and coverage risk, by hand."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from tests.analytics.conftest import SECTION
from tests.analytics.history import commit

from hephaestus.analytics import (
    AnalysisOptions,
    find_coupling,
    find_coverage_gaps,
    find_hotspots,
    find_opportunities,
    rank_files,
)
from hephaestus.analytics.models import RankingStrategy

if TYPE_CHECKING:
    from pathlib import Path

MEMORY = AnalysisOptions(store=False)

# Hand-computed inputs. core: coverage 0.4, 9 uncovered, 19 changed lines, complexity 9 (the max)
# util: coverage 1.0, 0 uncovered, 4 changed lines, complexity 3
# moved: coverage 0.0, 4 uncovered, 5 changed lines, complexity 2
# with gap = max(0, 0.8 - cov), u = uncovered / 200, c = churn / 200, n = complexity / 9
EXPECTED = {
    RankingStrategy.risk_weighted: [  # 0.5 gap + 0.3 u + 0.2 c
        ("pkg/moved.py", 0.5 * 0.8 + 0.3 * 0.02 + 0.2 * 0.025),
        ("pkg/core.py", 0.5 * 0.4 + 0.3 * 0.045 + 0.2 * 0.095),
        ("pkg/util.py", 0.2 * 0.02),
    ],
    RankingStrategy.coverage_first: [  # 0.8 gap + 0.2 u
        ("pkg/moved.py", 0.8 * 0.8 + 0.2 * 0.02),
        ("pkg/core.py", 0.8 * 0.4 + 0.2 * 0.045),
        ("pkg/util.py", 0.0),
    ],
    RankingStrategy.churn_based: [  # c + 0.3 (1 - coverage)
        ("pkg/moved.py", 0.025 + 0.3 * 1.0),
        ("pkg/core.py", 0.095 + 0.3 * 0.6),
        ("pkg/util.py", 0.02),
    ],
    RankingStrategy.composite: [  # 0.35 gap + 0.25 u + 0.25 c + 0.15 n
        ("pkg/core.py", 0.35 * 0.4 + 0.25 * 0.045 + 0.25 * 0.095 + 0.15 * 1.0),
        ("pkg/moved.py", 0.35 * 0.8 + 0.25 * 0.02 + 0.25 * 0.025 + 0.15 * 2 / 9),
        ("pkg/util.py", 0.25 * 0.02 + 0.15 * 3 / 9),
    ],
}


@pytest.mark.parametrize("strategy", list(RankingStrategy))
def test_every_strategy_scores_as_documented(
    known_history: Path, strategy: RankingStrategy
) -> None:
    """Each strategy's scores and order equal the formulas computed by hand."""
    report = rank_files(
        known_history, section=SECTION, options=AnalysisOptions(store=False,
        coverage=known_history / "coverage.json"), strategy=strategy,
    )  # fmt: skip
    assert [(r.path, r.score) for r in report.rows] == [
        (path, round(score, 4)) for path, score in EXPECTED[strategy]
    ]
    assert all(r.missing == () for r in report.rows)
    core = next(r for r in report.rows if r.path == "pkg/core.py")
    assert (core.coverage, core.uncovered, core.churn, core.complexity) == (0.4, 9, 19, 9)


def test_rankings_without_coverage_name_the_missing_factor(repo: Path) -> None:
    """No coverage file: the coverage factors are left out and named, churn still counts."""
    for name in (".coverage", "coverage.xml", "coverage.json"):
        (repo / name).unlink()
    report = rank_files(repo, section=SECTION, options=MEMORY)
    assert [(r.path, r.score, r.missing) for r in report.rows] == [
        ("pkg/core.py", round(0.2 * 0.095, 4), ("coverage",)),
        ("pkg/moved.py", round(0.2 * 0.025, 4), ("coverage",)),
        ("pkg/util.py", round(0.2 * 0.02, 4), ("coverage",)),
    ]
    assert report.rows[0].rationale == "19 changed lines (+0.019); missing: coverage"
    assert report.missing[0].hint == "run pytest --cov first, or pass `coverage` FILE"
    assert report.coverage_source is None


def test_rationale_names_each_contributing_factor(known_history: Path) -> None:
    """A row's rationale lists the factors that contributed and their weighted share."""
    report = rank_files(known_history, section=SECTION, options=MEMORY, limit=1,
                        strategy=RankingStrategy.coverage_first)  # fmt: skip
    (row,) = report.rows
    assert row.factors == {"gap": 0.64, "uncovered": 0.004}
    assert row.rationale == "coverage 0% vs threshold 80% (+0.640); 4 uncovered lines (+0.004)"


def test_hotspots(known_history: Path) -> None:
    """Score = commits / 3 * complexity / 9 over the files changed in the window."""
    report = find_hotspots(known_history, section=SECTION, options=MEMORY)
    assert [(r.path, r.commits, r.complexity, r.score) for r in report.rows] == [
        ("pkg/core.py", 3, 9, 1.0),
        ("pkg/util.py", 2, 3, round(2 / 3 * 3 / 9, 4)),
        ("pkg/moved.py", 2, 2, round(2 / 3 * 2 / 9, 4)),
    ]
    assert report.snapshot is None


def test_opportunities(known_history: Path) -> None:
    """Split loop (complexity 4 > 3, in 1 of 3 commits), test core and moved, split core."""
    report = find_opportunities(known_history, section=SECTION, options=MEMORY)
    got = [
        (o.kind.value, o.path, o.target, o.effort.value, o.evidence) for o in report.opportunities
    ]
    assert got == [
        ("split-function", "pkg/core.py", "loop", "small",
         {"complexity": 4, "threshold": 3, "commits": 1, "file_commits": 3}),
        ("add-tests", "pkg/core.py", None, "small",
         {"coverage": 0.4, "threshold": 0.8, "uncovered": 9, "commits": 3}),
        ("add-tests", "pkg/moved.py", None, "small",
         {"coverage": 0.0, "threshold": 0.8, "uncovered": 4, "commits": 2}),
        ("split-module", "pkg/core.py", None, "small",
         {"loc": 15, "threshold": 10, "functions": 3, "commits": 3}),
    ]  # fmt: skip


def test_split_function_counts_the_function_not_its_file(repo: Path) -> None:
    """Split parse (complexity 5), changed in 2 of core's 3 commits since Jan 3; not loop.

    loop (complexity 4) last changed on Jan 2, outside the window: not suggested, although its
    file changed 3 times in the window.
    """
    for day, extra in (
        (6, "    elif x == 0:\n        return 0\n"),
        (7, "    elif x == 9:\n        return 9\n"),
    ):
        text = (repo / "pkg/core.py").read_text(encoding="utf-8")
        (repo / "pkg/core.py").write_text(
            text.replace("        return -1\n", "        return -1\n" + extra, 1), encoding="utf-8"
        )
        commit(repo, "dave", day, f"parse {day}")
    section = SECTION.model_copy(update={"since": "2024-01-03"})
    report = find_opportunities(repo, section=section, options=MEMORY)
    splits = [(o.target, o.evidence, o.title) for o in report.opportunities
              if o.kind.value == "split-function"]  # fmt: skip
    assert splits == [
        ("parse", {"complexity": 5, "threshold": 3, "commits": 2, "file_commits": 3},
         "split parse (complexity 5, changed in 2 of the file's 3 commits)"),
    ]  # fmt: skip


def test_coupling(known_history: Path) -> None:
    """Degree = shared / mean(revisions) * 100; the 4-file commit is above the changeset cap."""
    report = find_coupling(known_history, section=SECTION, options=MEMORY)
    got = [(p.first, p.second, p.shared, p.degree) for p in report.pairs]
    assert got == [
        ("pkg/core.py", "pkg/util.py", 2, 80.0),
        ("pkg/moved.py", "pkg/util.py", 1, 50.0),
        ("pkg/core.py", "pkg/moved.py", 1, 40.0),
    ]
    strict = find_coupling(known_history, section=SECTION, options=MEMORY, min_revs=3)
    assert strict.pairs == ()
    high = find_coupling(known_history, section=SECTION, options=MEMORY, min_degree=60)
    assert [(p.first, p.second) for p in high.pairs] == [("pkg/core.py", "pkg/util.py")]


def test_coverage_gaps_by_risk(known_history: Path) -> None:
    """Risk = (target - coverage) * uncovered * (1 + revisions); total = 8 of 21 statements."""
    report = find_coverage_gaps(known_history, section=SECTION, options=MEMORY)
    assert [(g.path, g.risk) for g in report.gaps] == [
        ("pkg/core.py", round(0.4 * 9 * 4, 4)),
        ("pkg/moved.py", round(0.8 * 4 * 3, 4)),
    ]
    assert report.total_coverage == round(8 / 21, 4)
    lower = find_coverage_gaps(known_history, section=SECTION, options=MEMORY, target=0.3)
    assert [g.path for g in lower.gaps] == ["pkg/moved.py"]
