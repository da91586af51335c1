"""Which stored snapshots an analysis may be compared with, and each file's score history.

A snapshot records the start of its window (``since``, ISO 8601 UTC) and when it was taken. Two
analyses cover *the same window* when they start at the same moment (an ISO date given twice)
or when their windows are equally long in whole days (a relative window such as ``12 months``,
which starts later each day). Only such snapshots are compared: a 20-year snapshot says nothing
about how a 12-month score moved.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Final

from hephaestus.analytics.rank import total_coverage

if TYPE_CHECKING:
    from collections.abc import Iterable

    from hephaestus.analytics.analysis import Inputs
    from hephaestus.analytics.models import Snapshot
    from hephaestus.analytics.store import Store

DAY: Final = 86400
HISTORY_POINTS: Final = 12
"""At most this many earlier scores are kept per file (the width of a sparkline)."""


def _epoch(moment: str) -> float | None:
    try:
        return datetime.fromisoformat(moment).timestamp()
    except ValueError:  # written by hand or by an old version: not comparable
        return None


def _days(start: float, end: float) -> int:
    return round((end - start) / DAY)


def same_window(snapshot: Snapshot, *, since: str, now: float) -> bool:
    """Whether ``snapshot`` covers the window starting at ``since`` analysed at ``now``.

    True when both start at the same moment, or when both windows span the same number of
    whole days (the form a relative window keeps from one day to the next).
    """
    if snapshot.since == since:
        return True
    start, taken, current = _epoch(snapshot.since), _epoch(snapshot.created), _epoch(since)
    if start is None or taken is None or current is None:
        return False
    return _days(start, taken) == _days(current, now)


def comparable(snapshot: Snapshot) -> bool:
    """Whether ``snapshot`` analysed the whole selection (a run narrowed by ``paths`` did not)."""
    return not (snapshot.totals or {}).get("narrowed")


def window_snapshots(
    store: Store, *, command: str, since: str, now: float | None = None
) -> list[int]:
    """Ids of the snapshots of ``command`` stored over the window of ``since``, oldest first."""
    moment = time.time() if now is None else now
    found = [
        s.id
        for s in store.snapshots()
        if s.command == command and comparable(s) and same_window(s, since=since, now=moment)
    ]
    return sorted(found)


def score_history(
    store: Store, snapshots: Iterable[int], paths: Iterable[str]
) -> dict[str, tuple[float, ...]]:
    """Each path's stored scores in ``snapshots`` (the last :data:`HISTORY_POINTS`), oldest first.

    A path absent from a snapshot has no point there; a path in none has an empty history.
    """
    wanted = set(paths)
    history: dict[str, list[float]] = {path: [] for path in wanted}
    for snapshot in list(snapshots)[-HISTORY_POINTS:]:
        for path, metrics in store.snapshot_files(snapshot, wanted).items():
            score = metrics.get("score")
            if isinstance(score, int | float):
                history[path].append(float(score))
    return {path: tuple(points) for path, points in history.items()}


def repository_totals(inputs: Inputs) -> dict[str, float]:
    """Return the repository's figures a snapshot keeps beside its files' (``Snapshot.totals``).

    ``files`` and ``functions`` analysed, their summed cyclomatic ``complexity``, the window's
    ``commits``, and ``coverage`` (covered over all statements) only when it was measured.
    """
    measured = inputs.complexity.values()
    totals: dict[str, float] = {
        "files": len(inputs.complexity),
        "functions": sum(len(m.functions) for m in measured),
        "complexity": sum(m.total for m in measured),
        "commits": inputs.window.commits,
    }
    coverage = total_coverage(inputs)
    if coverage is not None:
        totals["coverage"] = coverage
    return totals
