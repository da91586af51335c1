"""Trends compare only snapshots of the same window; each row carries its stored scores."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.analytics.conftest import SECTION

from hephaestus.analytics import AnalysisOptions, find_hotspots, rank_files
from hephaestus.analytics.churn import iso
from hephaestus.analytics.models import RankingStrategy, Snapshot
from hephaestus.analytics.trends import DAY, same_window

if TYPE_CHECKING:
    from pathlib import Path

NOW = 1_800_000_000.0
YEAR = 365 * DAY


def _snapshot(*, since: str, created: str) -> Snapshot:
    return Snapshot(id=1, created=created, head="abc", command="hotspots", since=since, files=1)


def test_same_window_by_start_or_by_length() -> None:
    """An equal start matches; a relative window matches by its length in whole days only."""
    start = iso(NOW - YEAR)
    assert same_window(_snapshot(since=start, created=iso(NOW + 30 * DAY)), since=start, now=NOW)
    a_week_ago = _snapshot(since=iso(NOW - 7 * DAY - YEAR), created=iso(NOW - 7 * DAY + 5))
    assert same_window(a_week_ago, since=start, now=NOW)
    twenty_years = _snapshot(since=iso(NOW - 20 * YEAR), created=iso(NOW - DAY))
    assert not same_window(twenty_years, since=start, now=NOW)


def test_an_unreadable_snapshot_date_matches_only_an_equal_start() -> None:
    """A snapshot whose dates cannot be read is compared only when its start is the same text."""
    odd = _snapshot(since="s", created="t")
    assert not same_window(odd, since=iso(NOW - YEAR), now=NOW)
    assert same_window(odd, since="s", now=NOW)


def test_trend_compares_only_snapshots_of_the_same_window(repo: Path) -> None:
    """A 12-month run is never compared with a 20-year one; each finds its own predecessor."""
    relative, fixed = AnalysisOptions(since="30 years"), AnalysisOptions(since="2000-01-01")
    assert find_hotspots(repo, section=SECTION, options=relative).snapshot == 1
    other = find_hotspots(repo, section=SECTION, options=fixed, trend=True)
    assert (other.snapshot, other.previous_snapshot) == (2, None)
    assert [m.message for m in other.missing if m.factor == "trend"] == [
        f"no earlier snapshot of this window (since {other.window.since})"
    ]
    assert all(r.trend is None and r.history == () for r in other.rows)
    again = find_hotspots(repo, section=SECTION, options=relative, trend=True)
    assert (again.snapshot, again.previous_snapshot) == (3, 1)
    assert all(r.trend == 0.0 and r.history == (r.score,) for r in again.rows)
    third = find_hotspots(repo, section=SECTION, options=fixed, trend=True)
    assert third.previous_snapshot == 2
    assert all(r.history == (r.score,) for r in third.rows)


def test_rankings_carry_the_scores_of_their_own_strategy(repo: Path) -> None:
    """Ranking rows get the scores stored by earlier runs of the same strategy, oldest first."""
    options = AnalysisOptions()
    first = rank_files(repo, section=SECTION, options=options)
    assert all(r.history == () for r in first.rows)
    rank_files(repo, section=SECTION, options=options, strategy=RankingStrategy.composite)
    third = rank_files(repo, section=SECTION, options=options)
    assert {r.path: r.history for r in third.rows} == {r.path: (r.score,) for r in first.rows}


def test_no_store_has_no_history(repo: Path) -> None:
    """Without the store nothing is read back: empty histories, never invented ones."""
    find_hotspots(repo, section=SECTION, options=AnalysisOptions())
    cold = find_hotspots(repo, section=SECTION, options=AnalysisOptions(store=False))
    assert all(r.history == () for r in cold.rows)
