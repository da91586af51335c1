"""``tools refactor trends``: how the repository and its files moved, from stored snapshots only.

Nothing is measured: the points are the snapshots that ``tools refactor hotspots`` and
``tools refactor rankings`` keep, over the same window (:func:`~.trends.same_window`: a
12-month trend never mixes in a 20-year snapshot). One point per analysed commit: several
snapshots of one commit (hotspots, then rankings) merge, the latest value of each measure
winning, so coverage comes from whichever of them read a coverage file. The repository's points
are the snapshots' totals (snapshots from before totals were recorded have none); a file's
points are its rows in them. Runs narrowed with ``paths`` normalise their scores over fewer files
and are left out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from hephaestus.analytics.models import MissingData
from hephaestus.analytics.requests import Limit, Since, window_since
from hephaestus.analytics.trend_models import FilePoint, FileTrend, RepositoryPoint, TrendReport
from hephaestus.core.errors import field_ref
from hephaestus.core.request import Request

if TYPE_CHECKING:
    from hephaestus.analytics.models import Snapshot
    from hephaestus.analytics.store import Store
    from hephaestus.core.context import Context

RUN_HOTSPOTS = "run `hephaestus tools refactor hotspots` (it keeps a snapshot each time)"


class TrendsRequest(Request):
    """``tools_refactor_trends``: the stored measurements of the repository and its top files."""

    OVERRIDES: ClassVar[dict[str, str]] = {}

    since: Since = None
    paths: tuple[str, ...] = Field(
        default=(),
        description="Show these files' trends (gitignore-style patterns; default: the top files "
        "of the latest hotspots snapshot).",
    )
    limit: Limit = None


@dataclass(slots=True)
class _Commit:
    """What the snapshots of one analysed commit say, merged oldest to newest."""

    head: str | None
    created: str = ""
    totals: dict[str, float] = field(default_factory=dict)
    files: dict[str, dict[str, float]] = field(default_factory=dict)
    scores: set[str] = field(default_factory=set)

    def add(self, snapshot: Snapshot, rows: dict[str, dict[str, Any]]) -> None:
        self.created = snapshot.created
        if snapshot.totals is not None:
            self.totals.update(snapshot.totals)
        hotspots = snapshot.command == "hotspots"
        for path, metrics in rows.items():
            kept = self.files.setdefault(path, {})
            kept.update(
                (k, v) for k, v in metrics.items() if k != "score" and isinstance(v, int | float)
            )
            if hotspots and isinstance(metrics.get("score"), int | float):
                kept["score"] = metrics["score"]  # a ranking's score is another formula
                self.scores.add(path)


def _commits(store: Store, snapshots: list[Snapshot]) -> list[_Commit]:
    """Merge ``snapshots`` (oldest first) by analysed commit, ordered by their latest snapshot.

    A commit analysed again later (after checking out an older one) moves to its latest place.
    """
    merged: dict[str | None, _Commit] = {}
    for snapshot in snapshots:
        commit = merged.pop(snapshot.head, None) or _Commit(snapshot.head)
        commit.add(snapshot, store.snapshot_files(snapshot.id))
        merged[snapshot.head] = commit
    return list(merged.values())


def _repository(commits: list[_Commit]) -> list[RepositoryPoint]:
    keys = ("files", "functions", "complexity", "commits")
    return [
        RepositoryPoint(
            head=c.head, created=c.created, **{k: int(c.totals[k]) for k in keys},
            coverage=c.totals.get("coverage"),
        )
        for c in commits
        if all(k in c.totals for k in keys)
    ]  # fmt: skip


def _chosen(commits: list[_Commit], patterns: tuple[str, ...], limit: int) -> list[str]:
    """Pick the files to show: those matching ``patterns`` (else every scored file), best first.

    Best: the highest score in the newest hotspots snapshot; files it did not score come after,
    by path.
    """
    latest = next((c for c in reversed(commits) if c.scores), None)
    scores = {p: latest.files[p]["score"] for p in latest.scores} if latest else {}
    if patterns:
        from hephaestus.analytics.tree import narrowing  # noqa: PLC0415  # pathspec: lazy

        spec = narrowing(patterns)
        seen = {p for c in commits for p in c.files}
        found = [p for p in seen if spec is None or spec.match_file(p)]
    else:
        found = list(scores)
    return sorted(found, key=lambda p: (p not in scores, -scores.get(p, 0.0), p))[:limit]


def _file(path: str, commits: list[_Commit]) -> FileTrend:
    points = []
    for c in commits:
        metrics = c.files.get(path)
        if metrics is None:
            continue
        complexity = metrics.get("complexity")
        points.append(
            FilePoint(
                head=c.head, created=c.created, score=metrics.get("score"),
                complexity=None if complexity is None else int(complexity),
                coverage=metrics.get("coverage"),
            )
        )  # fmt: skip
    return FileTrend(path=path, points=tuple(points))


def _missing(
    snapshots: int, repository: list[RepositoryPoint], since: str, *, unmatched: bool
) -> list[MissingData]:
    if not snapshots:
        return [
            MissingData(
                factor="trend", message=f"no snapshot of this window (since {since})",
                hint=RUN_HOTSPOTS + f" with the same {field_ref('since')}",
            )
        ]  # fmt: skip
    found = []
    if len(repository) < 2:  # noqa: PLR2004  # a trend needs two points
        found.append(
            MissingData(
                factor="trend",
                message=f"{len(repository)} analysed commit(s) with repository totals: a trend "
                "needs two",
                hint=RUN_HOTSPOTS + " again after the next commits",
            )
        )
    if not any(p.coverage is not None for p in repository):
        found.append(
            MissingData(
                factor="coverage", message="no snapshot of this window read coverage",
                hint="run `hephaestus tools refactor rankings` after pytest --cov",
            )
        )  # fmt: skip
    if unmatched:
        found.append(
            MissingData(
                factor="paths", message="no file of the stored snapshots matches the patterns",
                hint=f"name tracked Python files that hotspots analysed ({field_ref('paths')})",
            )
        )  # fmt: skip
    return found


def trends(request: TrendsRequest, context: Context) -> TrendReport:
    """Return the stored trends of the repository and its top (or chosen) files.

    Reads the store only: no history, no measuring; with no store, says so.

    Raises:
        UsageError: not a git repository, a bad `` `since` `` or `` `paths` `` pattern (exit 2).
        StoreError: the store cannot be opened (exit 5).

    """
    from hephaestus.analytics.churn import iso, parse_since, require_repository  # noqa: PLC0415
    from hephaestus.analytics.operation import section_of  # noqa: PLC0415
    from hephaestus.analytics.store import database_path, open_store  # noqa: PLC0415
    from hephaestus.analytics.trends import comparable, same_window  # noqa: PLC0415

    require_repository(context.root)  # as every analysis: elsewhere "0 snapshots" misleads
    section = section_of(context)
    since = iso(parse_since(window_since(request.since, section)))
    if request.paths:
        from hephaestus.analytics.tree import narrowing  # noqa: PLC0415

        narrowing(request.paths)  # a bad pattern is refused even with nothing stored
    commits: list[_Commit] = []
    count = 0
    if database_path(context.root).is_file():
        with open_store(context.root) as store:
            now = time.time()
            chosen = [
                s
                for s in reversed(store.snapshots())
                if (s.command == "hotspots" or s.command.startswith("rankings:"))
                and comparable(s)
                and same_window(s, since=since, now=now)
            ]
            count = len(chosen)
            commits = _commits(store, chosen)
    repository = _repository(commits)
    paths = _chosen(commits, request.paths, request.limit or section.limit)
    unmatched = bool(request.paths) and not paths
    return TrendReport(
        since=since, snapshots=count, repository=tuple(repository),
        files=tuple(_file(p, commits) for p in paths),
        missing=tuple(_missing(count, repository, since, unmatched=unmatched)),
    )  # fmt: skip
