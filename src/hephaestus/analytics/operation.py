"""The analytics operations: ``tools refactor …``, ``tools qa …`` and ``tools analytics …``.

Each takes its request (:mod:`hephaestus.analytics.requests`) and the call's context, applies
``[tool.hephaestus.analytics]`` with :func:`~hephaestus.analytics.requests.resolve`, and returns
the frozen report. The refactor and QA queries only keep derived data (the history cache and
snapshots) under ``.hephaestus/``; ``tools_analytics_ingest`` stores the events it is given.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from hephaestus.analytics.models import (
    CouplingReport,
    CoverageGapReport,
    HotspotReport,
    IngestReport,
    OpportunityReport,
    RankingReport,
    SnapshotList,
)
from hephaestus.analytics.requests import (
    Analysis,
    AnalysisRequest,
    CouplingRequest,
    CoverageGapsRequest,
    HotspotsRequest,
    IngestRequest,
    OpportunitiesRequest,
    ProfileRequest,
    RankingsRequest,
    SnapshotsRequest,
    resolve,
)
from hephaestus.analytics.settings import AnalyticsSection
from hephaestus.core.errors import UsageError, field_ref

if TYPE_CHECKING:
    from hephaestus.analytics.profiles import ProfileList, QAProfile
    from hephaestus.core.context import Context

__all__ = [
    "CouplingRequest",
    "CoverageGapsRequest",
    "HotspotsRequest",
    "IngestRequest",
    "OpportunitiesRequest",
    "ProfileRequest",
    "RankingsRequest",
    "SnapshotsRequest",
    "coupling",
    "coverage_gaps",
    "hotspots",
    "ingest",
    "opportunities",
    "profile",
    "rankings",
    "snapshots",
]


def section_of(context: Context) -> AnalyticsSection:
    """Return ``[tool.hephaestus.analytics]`` of ``context.root``.

    Raises:
        ConfigError: the configuration is invalid (exit 2).

    """
    return context.section("analytics", AnalyticsSection)


def _resolved(request: AnalysisRequest, context: Context) -> Analysis:
    """Resolve ``request`` against the configuration; a coverage file is anchored at ``cwd``."""
    chosen = resolve(request, section_of(context))
    coverage = chosen.options.coverage
    if coverage is None:
        return chosen
    anchored = (context.cwd / coverage.expanduser()).resolve()
    return replace(chosen, options=replace(chosen.options, coverage=anchored))


def hotspots(request: HotspotsRequest, context: Context) -> HotspotReport:
    """Rank files by normalised revisions * normalised complexity; keep a snapshot.

    Raises:
        UsageError: not a git repository, or a bad `` `since` `` (exit 2).
        ExternalError: git failed (exit 5).

    """
    from hephaestus.analytics.reports import find_hotspots  # noqa: PLC0415  # git, sqlite: lazy

    chosen = _resolved(request, context)
    return find_hotspots(
        context.root, section=chosen.section, options=chosen.options, trend=request.trend,
        progress=context.progress,
    )  # fmt: skip


def rankings(request: RankingsRequest, context: Context) -> RankingReport:
    """Score files with one ranking strategy; each row says which factors contributed.

    Raises:
        UsageError: not a git repository, a bad `` `since` `` or coverage file (exit 2).
        ExternalError: git failed (exit 5).

    """
    from hephaestus.analytics.reports import rank_files  # noqa: PLC0415

    chosen = _resolved(request, context)
    return rank_files(
        context.root, section=chosen.section, options=chosen.options, strategy=request.strategy,
        progress=context.progress,
    )  # fmt: skip


def opportunities(request: OpportunitiesRequest, context: Context) -> OpportunityReport:
    """Concrete refactoring suggestions with effort and evidence.

    Raises:
        UsageError: not a git repository, a bad `` `since` `` or coverage file (exit 2).
        ExternalError: git failed (exit 5).

    """
    from hephaestus.analytics.reports import find_opportunities  # noqa: PLC0415

    chosen = _resolved(request, context)
    return find_opportunities(
        context.root, section=chosen.section, options=chosen.options, progress=context.progress
    )


def coupling(request: CouplingRequest, context: Context) -> CouplingReport:
    """File pairs that change together, above the revision and degree thresholds.

    Raises:
        UsageError: not a git repository, or a bad `` `since` `` (exit 2).
        ExternalError: git failed (exit 5).

    """
    from hephaestus.analytics.reports import find_coupling  # noqa: PLC0415

    chosen = _resolved(request, context)
    return find_coupling(
        context.root, section=chosen.section, options=chosen.options, progress=context.progress
    )


def coverage_gaps(request: CoverageGapsRequest, context: Context) -> CoverageGapReport:
    """Files under the coverage target, ordered by risk; missing coverage data is said.

    Raises:
        UsageError: not a git repository, a bad `` `since` `` or coverage file (exit 2).
        ExternalError: git failed (exit 5).

    """
    from hephaestus.analytics.reports import find_coverage_gaps  # noqa: PLC0415

    chosen = _resolved(request, context)
    return find_coverage_gaps(
        context.root, section=chosen.section, options=chosen.options, progress=context.progress
    )


def profile(request: ProfileRequest, context: Context) -> QAProfile | ProfileList:
    """Return the QA profile called ``name``, or every profile when no name is given.

    Raises:
        UsageError: no profile has that name (exit 2, ``unknown-profile``).

    """
    from hephaestus.analytics.profiles import list_profiles, resolve_profile  # noqa: PLC0415

    section = section_of(context)
    if request.name is None:
        return list_profiles(section)
    return resolve_profile(section, request.name)


def ingest(request: IngestRequest, context: Context) -> IngestReport:
    """Store the valid events in the repository's store (one transaction); report bad lines.

    Events come from ``file`` (relative to ``context.cwd``) or inline from ``events``; the
    report names the file, or ``stdin`` for inline events.

    Raises:
        UsageError: the file cannot be read or is not UTF-8 (exit 2).
        StoreError: the store cannot be opened (exit 5).

    """
    from hephaestus.analytics.ingest import ingest_events, split_lines  # noqa: PLC0415
    from hephaestus.analytics.store import open_store  # noqa: PLC0415

    if request.events is not None:
        lines, source = split_lines(request.events), "stdin"
    else:
        given = request.file
        if given is None:  # pragma: no cover  # the request's validator requires one
            raise UsageError(f"no {field_ref('file')}", hint="name an NDJSON file")
        try:
            lines = split_lines((context.cwd / given.expanduser()).read_bytes())
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(
                f"{given}: cannot read it ({exc})", hint="name a UTF-8 NDJSON file"
            ) from exc
        source = str(given)
    with open_store(context.root) as store:
        return ingest_events(lines, store=store, source=source)


def snapshots(request: SnapshotsRequest, context: Context) -> SnapshotList:
    """List the stored analysis snapshots, newest first, and the number of ingested events.

    Raises:
        StoreError: the store cannot be opened (exit 5).

    """
    from hephaestus.analytics.store import SCHEMA_VERSION, open_store  # noqa: PLC0415

    del request
    with open_store(context.root) as store:
        return SnapshotList(
            database=str(store.path),
            schema_version=SCHEMA_VERSION,
            snapshots=tuple(store.snapshots()),
            events=store.event_count(),
        )
