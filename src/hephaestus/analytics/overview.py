"""``tools refactor report``: every refactor analysis of the repository in one typed overview.

The overview gathers what the other operations found (hotspot scores of every file, coupled
pairs, per-function complexity, coverage, each directory's ownership, the stored hotspots
snapshots), so that a face can
draw it, e.g. as the offline HTML report of ``tools refactor report --html``. Nothing is
computed here that those operations do not compute; nothing missing is filled in.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Final

from pydantic import BaseModel, ConfigDict, Field

from hephaestus.analytics.models import CouplingPair, MissingData, Window
from hephaestus.analytics.requests import CoverageRequest
from hephaestus.analytics.team_models import Ownership  # noqa: TC001  # pydantic reads it
from hephaestus.core.errors import field_ref

if TYPE_CHECKING:
    from pathlib import Path

    from hephaestus.core.context import Context

TREND_SNAPSHOTS: Final = 50
"""The newest hotspots snapshots drawn as trends."""
TREND_FILES: Final = 5
"""Files whose own score is followed across snapshots: the top hotspots of this run."""
OWNED_DIRECTORIES: Final = 25
"""Directories whose ownership is given: those with the most changed lines ('.' first)."""
EVERY_FILE: Final = 2**31
"""A hotspots limit that keeps every file: the map shows the whole tree."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


class FunctionMetric(_Frozen):
    """One function or method and its cyclomatic complexity."""

    name: str = Field(description="Qualified name, e.g. 'Parser.run'.")
    line: int
    complexity: int


class OverviewFile(_Frozen):
    """One file of the current tree with every figure the analyses have for it."""

    path: str
    score: float = Field(ge=0, le=1, description="Hotspot score (revisions * complexity).")
    commits: int
    complexity: int
    loc: int = Field(description="Lines of code (neither blank nor comment-only).")
    coverage: float | None = Field(description="Fraction covered (null: not measured).")
    functions: tuple[FunctionMetric, ...] = ()
    coverage_html: str | None = Field(
        default=None, description="This file's page in htmlcov/, relative to the root."
    )


class TrendPoint(_Frozen):
    """One stored hotspots snapshot of the same history window, summarised."""

    snapshot: int
    created: str
    head: str | None
    total_complexity: int = Field(description="Sum of the files' complexity in the snapshot.")
    files: int
    scores: dict[str, float] = Field(
        description="Score of each of the current top hotspots in that snapshot (absent: none)."
    )


class RefactorOverview(_Frozen):
    """``tools refactor report``."""

    root: str = Field(description="The repository root analysed; the paths are relative to it.")
    window: Window
    files: tuple[OverviewFile, ...] = Field(description="Every analysed file, hottest first.")
    coupling: tuple[CouplingPair, ...]
    trends: tuple[TrendPoint, ...] = Field(description="Hotspots snapshots, oldest first.")
    ownership: tuple[Ownership, ...] = Field(
        default=(),
        description="The directories with the most changed lines in the window ('.': the whole "
        "repository), as tools team ownership gives them: authors' shares, most lines first.",
    )
    coverage_index: str | None = Field(
        description="htmlcov/index.html relative to the root, when coverage.py wrote one."
    )
    snapshot: int | None = Field(description="The hotspots snapshot this run saved.")
    missing: tuple[MissingData, ...] = ()


class ReportRequest(CoverageRequest):
    """``tools_refactor_report``: every refactor analysis, for a report people can read."""


def _htmlcov_pages(root: Path) -> tuple[str | None, dict[str, str]]:
    """Return htmlcov/index.html (if any) and each source file's page, from its status.json."""
    folder = root / "htmlcov"
    if not (folder / "index.html").is_file():
        return None, {}
    pages: dict[str, str] = {}
    try:
        status = json.loads((folder / "status.json").read_text(encoding="utf-8"))
        for key, entry in status.get("files", {}).items():
            source = entry.get("index", {}).get("file")
            if isinstance(source, str):
                pages[source.replace("\\", "/")] = f"htmlcov/{key}.html"
    except (OSError, ValueError, AttributeError):
        pass  # an older or partial htmlcov: the index alone is linked
    return "htmlcov/index.html", pages


def _trends(root: Path, top: list[str], *, since: str) -> list[TrendPoint]:
    """Summarise the newest hotspots snapshots of this window (``since``), oldest first."""
    from hephaestus.analytics.store import open_store  # noqa: PLC0415  # sqlite: lazy
    from hephaestus.analytics.trends import comparable, same_window  # noqa: PLC0415

    now = time.time()
    with open_store(root) as store:
        chosen = [
            s
            for s in store.snapshots()
            if s.command == "hotspots" and comparable(s) and same_window(s, since=since, now=now)
        ][:TREND_SNAPSHOTS]
        points = []
        for snap in reversed(chosen):
            files = store.snapshot_files(snap.id)
            points.append(
                TrendPoint(
                    snapshot=snap.id,
                    created=snap.created,
                    head=snap.head,
                    total_complexity=sum(int(m.get("complexity", 0)) for m in files.values()),
                    files=len(files),
                    scores={
                        p: float(files[p]["score"]) for p in top if "score" in files.get(p, {})
                    },
                )
            )
    return points


def overview(request: ReportRequest, context: Context) -> RefactorOverview:
    """Gather hotspots, coupling, per-function complexity, coverage and the snapshots' trends.

    Saves a hotspots snapshot as ``tools refactor hotspots`` does (unless `` `no_store` ``).

    Raises:
        UsageError: not a git repository, a bad `` `since` `` or coverage file (exit 2).
        ExternalError: git failed (exit 5).

    """
    from hephaestus.analytics.operation import _resolved  # noqa: PLC0415
    from hephaestus.analytics.reports import find_coupling, find_hotspots  # noqa: PLC0415
    from hephaestus.analytics.team import ownerships  # noqa: PLC0415
    from hephaestus.analytics.team_operation import team_history  # noqa: PLC0415

    chosen = _resolved(request, context)
    section, options, root = chosen.section, chosen.options, context.root
    hot = find_hotspots(
        root, section=section, options=options, limit=EVERY_FILE, progress=context.progress
    )
    pairs = find_coupling(root, section=section, options=options, progress=context.progress)
    # The measurements the hotspots were scored from, with functions, coverage and line counts
    # (cached), and who changed those lines, as tools team ownership counts them.
    inputs, team = team_history(
        root, section=section, options=replace(options, want_coverage=True),
        progress=context.progress,
    )  # fmt: skip
    _, places = ownerships(team, inputs.files)
    owned = sorted(places, key=lambda o: (-o.lines, o.path))[:OWNED_DIRECTORIES]
    covered = {f.path: f.covered for f in inputs.coverage.files} if inputs.coverage else {}
    index, pages = _htmlcov_pages(root)
    files = []
    for row in hot.rows:
        measured = inputs.complexity.get(row.path)
        functions = measured.functions if measured else ()
        files.append(
            OverviewFile(
                path=row.path, score=row.score, commits=row.commits, complexity=row.complexity,
                loc=measured.loc if measured else 0, coverage=covered.get(row.path),
                functions=tuple(FunctionMetric(name=f.name, line=f.line, complexity=f.complexity)
                                for f in sorted(functions, key=lambda f: -f.complexity)),
                coverage_html=pages.get(row.path),
            )
        )  # fmt: skip
    missing = list(hot.missing) + [m for m in inputs.missing if m.factor == "coverage"]
    trends: list[TrendPoint] = []
    if options.store:
        trends = _trends(root, [f.path for f in files[:TREND_FILES]], since=hot.window.since)
    else:
        missing.append(
            MissingData(
                factor="trend",
                message="no trend: snapshots are neither stored nor read with no_store",
                hint=f"run without {field_ref('no_store')}",
            )
        )
    if options.store and len(trends) < 2:  # noqa: PLR2004  # a line needs two points
        missing.append(
            MissingData(
                factor="trend",
                message="no snapshots yet: a trend needs two hotspots snapshots",
                hint="run this report (or tools refactor hotspots) again after more commits",
            )
        )
    return RefactorOverview(
        root=str(root),
        window=hot.window,
        files=tuple(files),
        coupling=pairs.pairs,
        trends=tuple(trends),
        ownership=tuple(owned),
        coverage_index=index,
        snapshot=hot.snapshot,
        missing=tuple(missing),
    )
