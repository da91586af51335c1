"""Typed results of the refactor analytics: per-file metrics, rankings, hotspots, coupling, store.

Every number in these models comes from the repository (git history, the current tree), its
coverage files or ingested events. A factor that could not be measured is ``None`` and named in
``missing``; nothing is filled in.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    # defer_build: a model's validator is built when first used, not at import (a command
    # uses a few of these models; building them all cost ~60 ms of every start-up).
    model_config = ConfigDict(frozen=True, defer_build=True)


HISTORY_DESCRIPTION = (
    "The file's scores in earlier stored snapshots of the same command and window, oldest first"
    " (empty: none stored; never filled in)."
)


class MissingData(_Frozen):
    """A source an answer needed and did not have."""

    factor: str = Field(
        description="What is missing: 'coverage', 'history', 'trend', 'complexity', 'paths', …"
    )
    message: str
    hint: str | None = None


class FileCoverage(_Frozen):
    """Line coverage of one file."""

    path: str
    statements: int = Field(ge=0)
    covered: float = Field(ge=0, le=1, description="Fraction of statements executed.")
    uncovered_lines: tuple[int, ...] = ()


class CoverageFormat(StrEnum):
    """Which kind of coverage file was read."""

    data = "coverage-data"
    """coverage.py's data file (.coverage), read with coverage's own API."""
    cobertura = "cobertura-xml"
    json = "coverage-json"


class CoverageData(_Frozen):
    """Coverage of every measured file of the repository, from one file."""

    source: str = Field(description="The coverage file read.")
    format: CoverageFormat
    files: tuple[FileCoverage, ...]


class CouplingPair(_Frozen):
    """Two files that change together (code-maat's measure)."""

    first: str
    second: str
    shared: int = Field(ge=1, description="Commits that changed both.")
    degree: float = Field(description="shared / mean(revisions of each) * 100.")
    first_commits: int
    second_commits: int


class HotspotRow(_Frozen):
    """One file: normalised churn * normalised complexity."""

    path: str
    score: float = Field(ge=0, le=1)
    commits: int
    complexity: int
    churn_norm: float
    complexity_norm: float
    trend: float | None = Field(
        default=None, description="Score change since the previous snapshot (null: unknown)."
    )
    previous_score: float | None = None
    history: tuple[float, ...] = Field(default=(), description=HISTORY_DESCRIPTION)
    ingested: dict[str, float] = Field(
        default_factory=dict, description="Latest ingested metric per 'source/kind' for the path."
    )


class RankingStrategy(StrEnum):
    """How rankings weigh coverage gap, uncovered lines, churn and complexity."""

    risk_weighted = "risk_weighted"
    coverage_first = "coverage_first"
    churn_based = "churn_based"
    composite = "composite"


class RankingRow(_Frozen):
    """One file's ranking score and the factors that made it."""

    path: str
    score: float
    coverage: float | None = Field(description="Fraction covered (null: not measured).")
    uncovered: int | None
    churn: int | None = Field(description="Lines added + removed in the window.")
    complexity: int
    factors: dict[str, float] = Field(description="Each factor's weighted contribution.")
    missing: tuple[str, ...] = Field(description="Factors left out for lack of data.")
    rationale: str
    history: tuple[float, ...] = Field(default=(), description=HISTORY_DESCRIPTION)
    ingested: dict[str, float] = Field(default_factory=dict)


class Effort(StrEnum):
    """A rough effort estimate, by the documented rules of each suggestion."""

    small = "small"
    medium = "medium"
    large = "large"


class OpportunityKind(StrEnum):
    """What a refactoring suggestion proposes."""

    split_function = "split-function"
    add_tests = "add-tests"
    split_module = "split-module"


class Opportunity(_Frozen):
    """A concrete suggestion, with the evidence it rests on."""

    kind: OpportunityKind
    path: str
    target: str | None = Field(description="The function, for split-function.")
    title: str
    effort: Effort
    evidence: dict[str, Any]


class Window(_Frozen):
    """The history an answer covers."""

    since: str = Field(description="Start of the window, ISO 8601 UTC.")
    head: str | None = Field(description="Commit analysed (null: no commits yet).")
    commits: int = Field(ge=0, description="Commits in the window, large ones included.")
    large_commits: int = Field(ge=0, description="Commits left out for changing too many files.")
    fetched: int = Field(ge=0, description="Commits read from git in this run (the rest cached).")


class HotspotReport(_Frozen):
    """``tools refactor hotspots``."""

    window: Window
    rows: tuple[HotspotRow, ...]
    snapshot: int | None = Field(
        description="Id of the snapshot saved (null: nothing stored, no_store)."
    )
    previous_snapshot: int | None = None
    missing: tuple[MissingData, ...] = ()


class RankingReport(_Frozen):
    """``tools refactor rankings``."""

    window: Window
    strategy: RankingStrategy
    threshold: float
    coverage_source: str | None
    rows: tuple[RankingRow, ...]
    snapshot: int | None
    missing: tuple[MissingData, ...] = ()


class OpportunityReport(_Frozen):
    """``tools refactor opportunities``."""

    window: Window
    opportunities: tuple[Opportunity, ...]
    coverage_source: str | None
    missing: tuple[MissingData, ...] = ()


class CouplingReport(_Frozen):
    """``tools refactor coupling``."""

    window: Window
    min_revs: int
    min_degree: float
    max_changeset: int
    pairs: tuple[CouplingPair, ...]
    missing: tuple[MissingData, ...] = ()


class CoverageGap(_Frozen):
    """A file below the coverage target, with its risk."""

    path: str
    coverage: float
    target: float
    uncovered: int
    commits: int
    risk: float = Field(description="(target - coverage) * (1 + revisions) * uncovered lines.")


class CoverageGapReport(_Frozen):
    """``tools qa coverage``."""

    target: float
    source: str | None
    total_coverage: float | None = Field(description="Statements covered over all files.")
    gaps: tuple[CoverageGap, ...]
    missing: tuple[MissingData, ...] = ()


class Snapshot(_Frozen):
    """One stored analysis."""

    id: int
    created: str
    head: str | None
    command: str
    since: str
    files: int
    totals: dict[str, float] | None = Field(
        default=None,
        description="Repository totals when it was taken: files, functions, complexity, commits "
        "and, when measured, coverage; narrowed=1 when paths narrowed the run (null: a snapshot "
        "from before totals were recorded).",
    )


class SnapshotList(_Frozen):
    """``tools analytics snapshots``."""

    database: str
    schema_version: int
    snapshots: tuple[Snapshot, ...]
    events: int = Field(description="Ingested events stored.")


class RejectedLine(_Frozen):
    """An NDJSON line that was not ingested."""

    line: int = Field(ge=1)
    error: str


class IngestReport(_Frozen):
    """``tools analytics ingest``."""

    source: str
    accepted: int
    rejected: tuple[RejectedLine, ...]
    database: str


class StreamIngestReport(IngestReport):
    """A streamed ingestion (``POST /analytics/events``, gRPC ``IngestEvents``).

    ``IngestReport`` with what a stream of any length needs: ``rejected`` lists at most the
    first ``rejected_limit`` lines while ``rejected_count`` counts them all, and a retried
    batch (its idempotency key recorded already) is ``duplicate``, stored once.
    """

    rejected_count: int = Field(ge=0, description="Lines rejected, all of them.")
    rejected_truncated: bool = Field(
        description="`rejected` lists fewer lines than `rejected_count` (none for a duplicate)."
    )
    duplicate: bool = Field(
        default=False,
        description="The idempotency key was recorded already: nothing was stored now; the"
        " counts are the recorded ones.",
    )
    idempotency_key: str | None = None
