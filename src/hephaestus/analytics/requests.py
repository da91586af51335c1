"""What callers give the analytics operations, and how ``[tool.hephaestus.analytics]`` applies.

One request model per operation (``tools refactor …``, ``tools qa …``, ``tools analytics …``).
``None`` means "from the configuration"; :func:`resolve` applies the configuration and the
defaults, request first, so every face (CLI, MCP, REST) merges them the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from hephaestus.analytics.analysis import AnalysisOptions
from hephaestus.analytics.churn import parse_since
from hephaestus.analytics.models import RankingStrategy
from hephaestus.analytics.settings import AnalyticsSection
from hephaestus.core.request import Request


def configured(key: str) -> str:
    """Describe the configured fallback of a request field: ``the configured <key>, <default>``."""
    return f"the configured {key.replace('_', '-')}, {AnalyticsSection.model_fields[key].default}"


Since = Annotated[
    str | None,
    Field(
        description="Start of the history window: an ISO date (2025-01-31) or 'N days', "
        f"'N weeks', 'N months', 'N years' (default: {configured('since')}).",
    ),
]
CoverageFile = Annotated[
    Path | None,
    Field(
        description="Coverage file to read (.coverage, coverage.xml or coverage.json), relative "
        "to the working directory (default: the newest of them in the repository root).",
    ),
]
Limit = Annotated[
    int | None, Field(ge=1, description=f"Rows returned (default: {configured('limit')}).")
]


class AnalysisRequest(Request):
    """What every analysis reads: the history window, the files, whether to store anything."""

    OVERRIDES: ClassVar[dict[str, str]] = {}
    """Request field → the ``[tool.hephaestus.analytics]`` key it overrides when given."""

    since: Since = None
    paths: tuple[str, ...] = Field(
        default=(),
        description="Only files matching these gitignore-style patterns (on top of the "
        "configured include and exclude).",
    )
    no_store: bool = Field(
        default=False,
        description="Write nothing to .hephaestus/analytics.db: no snapshot, no history cache.",
    )


class CoverageRequest(AnalysisRequest):
    """An analysis that also reads a coverage file."""

    coverage: CoverageFile = None


class HotspotsRequest(AnalysisRequest):
    """``tools_refactor_hotspots``: files that change often and are complex."""

    OVERRIDES: ClassVar[dict[str, str]] = {"limit": "limit"}

    limit: Limit = None
    trend: bool = Field(
        default=False,
        description="Give each score's change since the last hotspots snapshot of the same window.",
    )


class RankingsRequest(CoverageRequest):
    """``tools_refactor_rankings``: files ranked by coverage gap, churn and complexity."""

    OVERRIDES: ClassVar[dict[str, str]] = {"limit": "limit"}

    strategy: RankingStrategy = Field(
        default=RankingStrategy.risk_weighted, description="How the factors are weighed."
    )
    limit: Limit = None


class OpportunitiesRequest(CoverageRequest):
    """``tools_refactor_opportunities``: refactoring suggestions with effort and evidence."""


class CouplingRequest(AnalysisRequest):
    """``tools_refactor_coupling``: file pairs that change together."""

    OVERRIDES: ClassVar[dict[str, str]] = {
        "min_revs": "coupling_min_revs",
        "min_degree": "coupling_min_degree",
    }

    min_revs: int | None = Field(
        default=None,
        ge=1,
        description=f"Revisions each file needs (default: {configured('coupling_min_revs')}).",
    )
    min_degree: float | None = Field(
        default=None,
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="Lowest coupling degree, in percent (default: "
        f"{configured('coupling_min_degree')}).",
    )


class CoverageGapsRequest(CoverageRequest):
    """``tools_qa_coverage``: files under the coverage target, ordered by risk."""

    OVERRIDES: ClassVar[dict[str, str]] = {"target": "coverage_threshold"}

    target: float | None = Field(
        default=None,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="Coverage goal as a fraction, 0.9 = 90 % (default: "
        f"{configured('coverage_threshold')}).",
    )


class ProfileRequest(Request):
    """``tools_qa_profile``: one named QA profile, or all of them."""

    name: str | None = Field(
        default=None, description="Profile to return (default: list every profile)."
    )


class IngestRequest(Request):
    """``tools_analytics_ingest``: metric events as NDJSON, from a file or given inline."""

    file: Path | None = Field(
        default=None, description="NDJSON file of events, relative to the working directory."
    )
    events: str | None = Field(
        default=None, description="The NDJSON events themselves (instead of a file)."
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.file is None) == (self.events is None):
            raise PydanticCustomError("one_source", "give either `file` or `events`")
        return self


class SnapshotsRequest(Request):
    """``tools_analytics_snapshots``: no fields; the snapshots of the repository's store."""


@dataclass(frozen=True, slots=True)
class Analysis:
    """A request resolved against the configuration: what the analysis runs with."""

    section: AnalyticsSection
    """``[tool.hephaestus.analytics]`` with the request's overrides (limit, thresholds…)."""
    options: AnalysisOptions
    """What to read: the window (resolved and checked), files, coverage file, storage."""


CONFIG_SINCE = "[tool.hephaestus.analytics] since"


def window_since(since: str | None, section: AnalyticsSection) -> str:
    """Return the history window: ``since`` if given, else the configured one; both checked.

    Raises:
        UsageError: the window is not a date or a duration (exit 2), naming `` `since` `` or,
            when it came from the configuration, its key.

    """
    if since is not None:
        parse_since(since)
        return since
    parse_since(section.since, name=CONFIG_SINCE)
    return section.since


def resolve(request: AnalysisRequest, section: AnalyticsSection) -> Analysis:
    """Apply ``section`` to ``request``: the request's values win, then configuration, defaults.

    A relative ``coverage`` file stays relative: the operation anchors it at its working
    directory.

    Raises:
        UsageError: the history window is neither a date nor a duration (exit 2).

    """
    given: dict[str, Any] = {
        key: value
        for field, key in request.OVERRIDES.items()
        if (value := getattr(request, field)) is not None
    }
    return Analysis(
        section=section.model_copy(update=given),
        options=AnalysisOptions(
            since=window_since(request.since, section),
            paths=request.paths,
            coverage=request.coverage if isinstance(request, CoverageRequest) else None,
            store=not request.no_store,
        ),
    )
