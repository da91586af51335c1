"""The analytics operations: one function per command, typed inputs, a frozen report out."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from hephaestus.analytics.analysis import AnalysisOptions, Inputs, analysis_store, collect
from hephaestus.analytics.functions import changed_functions
from hephaestus.analytics.models import (
    CouplingReport,
    CoverageGapReport,
    HotspotReport,
    HotspotRow,
    MissingData,
    OpportunityReport,
    RankingReport,
    RankingRow,
    RankingStrategy,
)
from hephaestus.analytics.rank import (
    coupling,
    coverage_gaps,
    hotspot_rows,
    hotspot_scores,
    opportunities,
    rank,
    split_candidates,
    total_coverage,
)
from hephaestus.analytics.trends import repository_totals, score_history, window_snapshots
from hephaestus.core.errors import field_ref
from hephaestus.core.progress import NO_PROGRESS, Progress

if TYPE_CHECKING:
    from pathlib import Path

    from hephaestus.analytics.settings import AnalyticsSection
    from hephaestus.analytics.store import Store


R = TypeVar("R", HotspotRow, RankingRow)


def _snapshot(
    store: Store,
    inputs: Inputs,
    command: str,
    rows: dict[str, dict[str, float]],
    options: AnalysisOptions,
) -> int:
    """Keep the rows and the repository totals, marked ``narrowed`` when ``paths`` was given.

    A narrowed run's scores are normalised over fewer files: trends leave such snapshots out.
    """
    totals = repository_totals(inputs) | ({"narrowed": 1} if options.paths else {})
    return store.save_snapshot(
        command=command, head=inputs.window.head, since=inputs.window.since, files=rows,
        totals=totals,
    )  # fmt: skip


def _with_history(
    store: Store, command: str, since: str, rows: list[R]
) -> tuple[list[R], int | None]:
    """Give each row its scores in the earlier snapshots of ``command`` over the same window.

    Returns the rows and the latest such snapshot (None: no earlier snapshot of this window).
    """
    earlier = window_snapshots(store, command=command, since=since)
    if not earlier:
        return rows, None
    history = score_history(store, earlier, (row.path for row in rows))
    return [row.model_copy(update={"history": history[row.path]}) for row in rows], earlier[-1]


def _trend(rows: list[HotspotRow], previous: dict[str, dict[str, float]]) -> list[HotspotRow]:
    changed = []
    for row in rows:
        before = previous.get(row.path, {}).get("score")
        if before is None:
            changed.append(row)
            continue
        trend = round(row.score - before, 4)
        changed.append(row.model_copy(update={"trend": trend, "previous_score": before}))
    return changed


def find_hotspots(  # noqa: PLR0913  # keyword-only options, each with a default
    root: Path,
    *,
    section: AnalyticsSection,
    options: AnalysisOptions,
    limit: int | None = None,
    trend: bool = False,
    progress: Progress = NO_PROGRESS,
) -> HotspotReport:
    """Rank files by normalised revisions * normalised complexity; save a snapshot.

    Each row carries its scores in the earlier hotspots snapshots of the same window (see
    :mod:`hephaestus.analytics.trends`); with ``trend``, also its score change since the latest.

    Raises:
        UsageError: not a git repository or a bad option (exit 2).
        ExternalError: git failed (exit 5).

    """
    with analysis_store(root, persist=options.store) as store:
        inputs = collect(root, section=section, options=options, store=store, progress=progress)
        scores = hotspot_scores(inputs)
        rows = hotspot_rows(inputs, scores[: limit or section.limit])
        previous = None
        if options.store:
            rows, previous = _with_history(store, "hotspots", inputs.window.since, rows)
        snapshot = None
        if options.store:
            metrics = {
                path: {"score": score, "commits": commits, "complexity": total}
                for path, score, commits, total, _, _ in scores
            }
            snapshot = _snapshot(store, inputs, "hotspots", metrics, options)
        missing = list(inputs.missing)
        if trend and previous is not None:
            rows = _trend(rows, store.snapshot_files(previous, [r.path for r in rows]))
        elif trend:
            missing.append(
                MissingData(
                    factor="trend",
                    message=f"no earlier snapshot of this window (since {inputs.window.since})",
                    hint=f"run the command again later (without {field_ref('no_store')})",
                )
            )
    return HotspotReport(
        window=inputs.window,
        rows=tuple(rows),
        snapshot=snapshot,
        previous_snapshot=previous if trend else None,
        missing=tuple(missing),
    )


def rank_files(  # noqa: PLR0913
    root: Path,
    *,
    section: AnalyticsSection,
    options: AnalysisOptions,
    strategy: RankingStrategy = RankingStrategy.risk_weighted,
    limit: int | None = None,
    progress: Progress = NO_PROGRESS,
) -> RankingReport:
    """Score files with one ranking strategy; each row says which factors contributed.

    Raises:
        UsageError: not a git repository, a bad option or coverage file (exit 2).
        ExternalError: git failed (exit 5).

    """
    opts = replace(options, lines=True, want_coverage=True)
    with analysis_store(root, persist=options.store) as store:
        inputs = collect(root, section=section, options=opts, store=store, progress=progress)
        rows = rank(inputs, strategy, threshold=section.coverage_threshold)
        command = f"rankings:{strategy.value}"
        shown = rows[: limit or section.limit]
        snapshot = None
        if options.store:
            shown, _ = _with_history(store, command, inputs.window.since, shown)
            metrics: dict[str, dict[str, float]] = {
                r.path: {"score": r.score, "churn": r.churn or 0, "complexity": r.complexity}
                | ({} if r.coverage is None else {"coverage": r.coverage})
                for r in rows
            }
            snapshot = _snapshot(store, inputs, command, metrics, options)
    return RankingReport(
        window=inputs.window,
        strategy=strategy,
        threshold=section.coverage_threshold,
        coverage_source=inputs.coverage.source if inputs.coverage else None,
        rows=tuple(shown),
        snapshot=snapshot,
        missing=tuple(inputs.missing),
    )


def find_opportunities(
    root: Path,
    *,
    section: AnalyticsSection,
    options: AnalysisOptions,
    progress: Progress = NO_PROGRESS,
) -> OpportunityReport:
    """Concrete refactoring suggestions with effort and evidence.

    Raises:
        UsageError: not a git repository, a bad option or coverage file (exit 2).

    """
    opts = replace(options, want_coverage=True)
    with analysis_store(root, persist=options.store) as store:
        inputs = collect(root, section=section, options=opts, store=store, progress=progress)
    changed = changed_functions(inputs, split_candidates(inputs))
    found = opportunities(inputs, threshold=section.coverage_threshold, changed=changed)
    return OpportunityReport(
        window=inputs.window,
        opportunities=tuple(found),
        coverage_source=inputs.coverage.source if inputs.coverage else None,
        missing=tuple(inputs.missing),
    )


def find_coupling(  # noqa: PLR0913
    root: Path,
    *,
    section: AnalyticsSection,
    options: AnalysisOptions,
    min_revs: int | None = None,
    min_degree: float | None = None,
    progress: Progress = NO_PROGRESS,
) -> CouplingReport:
    """File pairs that change together, with code-maat's thresholds.

    Raises:
        UsageError: not a git repository or a bad option (exit 2).

    """
    revs = min_revs if min_revs is not None else section.coupling_min_revs
    degree = min_degree if min_degree is not None else section.coupling_min_degree
    with analysis_store(root, persist=options.store) as store:
        inputs = collect(root, section=section, options=options, store=store, progress=progress)
        changesets = store.changesets(since=inputs.since, largest=section.coupling_max_changeset)
        pairs = coupling(changesets, set(inputs.files), min_revs=revs, min_degree=degree)
    return CouplingReport(
        window=inputs.window,
        min_revs=revs,
        min_degree=degree,
        max_changeset=section.coupling_max_changeset,
        pairs=tuple(pairs),
        missing=tuple(m for m in inputs.missing if m.factor in {"history", "paths"}),
    )


def analyse(
    root: Path,
    *,
    section: AnalyticsSection,
    options: AnalysisOptions,
    progress: Progress = NO_PROGRESS,
) -> Inputs:
    """Measure everything (line counts and coverage included) for the plan builder."""
    opts = replace(options, lines=True, want_coverage=True)
    with analysis_store(root, persist=options.store) as store:
        return collect(root, section=section, options=opts, store=store, progress=progress)


def find_coverage_gaps(
    root: Path,
    *,
    section: AnalyticsSection,
    options: AnalysisOptions,
    target: float | None = None,
    progress: Progress = NO_PROGRESS,
) -> CoverageGapReport:
    """Files under the coverage target, ordered by risk; missing coverage is said.

    Raises:
        UsageError: not a git repository, a bad option or coverage file (exit 2).

    """
    goal = target if target is not None else section.coverage_threshold
    opts = replace(options, want_coverage=True)
    with analysis_store(root, persist=options.store) as store:
        inputs = collect(root, section=section, options=opts, store=store, progress=progress)
    return CoverageGapReport(
        target=goal,
        source=inputs.coverage.source if inputs.coverage else None,
        total_coverage=total_coverage(inputs),
        gaps=tuple(coverage_gaps(inputs, target=goal)),
        missing=tuple(m for m in inputs.missing if m.factor == "coverage"),
    )
