"""The team operations: ``tools team ownership|knowledge-risk|code-age`` and ``tools refactor soc``.

Each reads the same cached history pass as the other analytics (:mod:`.analysis`, line counts
included) and computes its measure with :mod:`.team`; definitions and sources are there.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from hephaestus.analytics.requests import AnalysisRequest, configured, resolve
from hephaestus.analytics.team_models import (
    CodeAgeReport,
    KnowledgeRiskReport,
    OwnershipReport,
    SocReport,
)

if TYPE_CHECKING:
    from pathlib import Path

    from hephaestus.analytics.analysis import AnalysisOptions, Inputs
    from hephaestus.analytics.models import MissingData
    from hephaestus.analytics.settings import AnalyticsSection
    from hephaestus.analytics.team import TeamHistory
    from hephaestus.core.context import Context
    from hephaestus.core.progress import Progress


class OwnershipRequest(AnalysisRequest):
    """``tools_team_ownership``: authors' shares of each file and directory."""


class KnowledgeRiskRequest(AnalysisRequest):
    """``tools_team_knowledge_risk``: code whose main developers went quiet; truck factors."""

    OVERRIDES: ClassVar[dict[str, str]] = {"inactive_months": "inactive_months"}

    inactive_months: int | None = Field(
        default=None,
        ge=1,
        description="An author with no commit for this many months (of 30 days) is inactive "
        f"(default: {configured('inactive_months')}).",
    )


class CodeAgeRequest(AnalysisRequest):
    """``tools_team_code_age``: months since each file last changed, and their distribution."""


class SocRequest(AnalysisRequest):
    """``tools_refactor_soc``: each file's sum of coupling (code-maat's soc)."""


def team_history(
    root: Path, *, section: AnalyticsSection, options: AnalysisOptions, progress: Progress
) -> tuple[Inputs, TeamHistory]:
    """Read the history (one cached pass, line counts included) and count its people.

    Raises:
        UsageError: not a git repository, or a bad `` `since` `` (exit 2).
        ExternalError: git failed (exit 5).

    """
    from hephaestus.analytics.analysis import analysis_store, collect  # noqa: PLC0415  # git, sqlite
    from hephaestus.analytics.team import tally_team  # noqa: PLC0415

    options = replace(options, lines=True)
    with analysis_store(root, persist=options.store) as store:
        inputs = collect(root, section=section, options=options, store=store, progress=progress)
        team = tally_team(
            store.cached_commits(since=inputs.since), files=set(inputs.files), since=inputs.since,
            large=section.large_commit, max_changeset=section.coupling_max_changeset,
        )  # fmt: skip
    return inputs, team


def _history(
    request: AnalysisRequest, context: Context
) -> tuple[Inputs, TeamHistory, AnalyticsSection]:
    """Resolve ``request`` and read its team history (:func:`team_history`)."""
    from hephaestus.analytics.operation import section_of  # noqa: PLC0415

    chosen = resolve(request, section_of(context))
    inputs, team = team_history(
        context.root, section=chosen.section, options=chosen.options, progress=context.progress
    )
    return inputs, team, chosen.section


def _missing(inputs: Inputs) -> tuple[MissingData, ...]:
    return tuple(m for m in inputs.missing if m.factor in {"history", "paths"})


def ownership(request: OwnershipRequest, context: Context) -> OwnershipReport:
    """Who changed each file and directory: authors' shares of lines, main developer, fragmentation.

    Raises:
        UsageError: not a git repository, or a bad `` `since` `` (exit 2).
        ExternalError: git failed (exit 5).

    """
    from hephaestus.analytics.team import ownerships  # noqa: PLC0415

    inputs, team, _ = _history(request, context)
    files, places = ownerships(team, inputs.files)
    return OwnershipReport(
        window=inputs.window, files=tuple(files), directories=tuple(places),
        missing=_missing(inputs),
    )  # fmt: skip


def knowledge_risk(request: KnowledgeRiskRequest, context: Context) -> KnowledgeRiskReport:
    """Files and directories whose main developers went inactive, and each directory's truck factor.

    Raises:
        UsageError: not a git repository, or a bad `` `since` `` (exit 2).
        ExternalError: git failed (exit 5).

    """
    from hephaestus.analytics.churn import iso  # noqa: PLC0415
    from hephaestus.analytics.team import MONTH, at_risk, ownerships, truck_factors  # noqa: PLC0415

    inputs, team, section = _history(request, context)
    months = section.inactive_months
    now = int(time.time())
    cutoff = now - months * MONTH
    files, places = ownerships(team, inputs.files)
    return KnowledgeRiskReport(
        window=inputs.window,
        inactive_months=months,
        cutoff=iso(cutoff),
        files=tuple(at_risk(files, team, now=now, cutoff=cutoff)),
        directories=tuple(at_risk(places, team, now=now, cutoff=cutoff)),
        truck_factors=tuple(truck_factors(files, places)),
        missing=_missing(inputs),
    )


def code_age(request: CodeAgeRequest, context: Context) -> CodeAgeReport:
    """Months since each file last changed, with their distribution in buckets.

    Raises:
        UsageError: not a git repository, or a bad `` `since` `` (exit 2).
        ExternalError: git failed (exit 5).

    """
    from hephaestus.analytics.churn import iso  # noqa: PLC0415
    from hephaestus.analytics.team import age_buckets, ages  # noqa: PLC0415

    inputs, team, _ = _history(request, context)
    now = int(time.time())
    files = ages(team, inputs.files, now=now)
    return CodeAgeReport(
        window=inputs.window, now=iso(now), files=tuple(files),
        buckets=tuple(age_buckets(files)), missing=_missing(inputs),
    )  # fmt: skip


def soc(request: SocRequest, context: Context) -> SocReport:
    """Each file's sum of coupling: over its commits, the other files they changed.

    Raises:
        UsageError: not a git repository, or a bad `` `since` `` (exit 2).
        ExternalError: git failed (exit 5).

    """
    from hephaestus.analytics.team import soc_rows  # noqa: PLC0415

    inputs, team, section = _history(request, context)
    return SocReport(
        window=inputs.window, max_changeset=section.coupling_max_changeset,
        rows=tuple(soc_rows(team)), missing=_missing(inputs),
    )  # fmt: skip
