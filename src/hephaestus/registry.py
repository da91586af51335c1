"""The one list of operations: every face (CLI, ``schema``, MCP, later REST/gRPC) comes from it.

Each :class:`Operation` names its request model, result model(s) and function by import path,
so this module imports nothing heavy: the CLI reads command summaries from it for ``--help``
without importing pydantic or any operation. :meth:`Operation.load` imports the three.

An operation function has one signature::

    def run(request: SomeRequest, context: Context) -> SomeResult

It resolves the request against the configuration of ``context.root`` (its ``resolve``), never
prints, never exits, and raises face-neutral errors (fields named with ``field_ref``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydantic import BaseModel

    from hephaestus.core.request import Request


class Safety(StrEnum):
    """What calling an operation may do; faces turn it into hints, scopes and refusals."""

    read_only = "read-only"
    """Changes nothing the user owns (it may keep derived data under .hephaestus/)."""
    writes_state = "writes-state"
    """Writes hephaestus' own state the user relies on (imported events, reports)."""
    destructive = "destructive"
    """Removes or replaces the user's files (cleanup, sanitize, install, gate fixes)."""
    runs_project_code = "runs-project-code"
    """Runs the checked repository's own code or tools (tests, type checkers)."""
    network = "network"
    """Talks to a service over the network."""


@dataclass(frozen=True, slots=True)
class Loaded:
    """An operation's request model, result models and function, imported."""

    request: type[Request]
    results: tuple[type[BaseModel], ...]
    function: Callable[..., BaseModel]


def _import(reference: str) -> Any:  # noqa: ANN401  # whatever the reference names
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation: its names, what it may do, and where its parts live."""

    name: str
    """Identifier in schema, MCP tools and REST routes, e.g. ``cleanup_plan``."""
    command: str
    """CLI command path that calls it, e.g. ``cleanup`` or ``tools refactor hotspots``."""
    summary: str
    """One line: what it does."""
    safety: frozenset[Safety]
    request: str
    """``module:Class`` of the request model."""
    result: tuple[str, ...]
    """``module:Class`` of each result model (more than one when the output depends on input)."""
    function: str
    """``module:function`` implementing it."""
    twin: str | None = None
    """The read-only dry run whose ``plan_id`` a destructive operation may be given."""

    @property
    def read_only(self) -> bool:
        """Whether it changes nothing the user owns, runs nothing and calls no service."""
        return self.safety == {Safety.read_only}

    def load(self) -> Loaded:
        """Import the request model, the result models and the function."""
        return _load(self)


@cache
def _load(operation: Operation) -> Loaded:
    return Loaded(
        request=_import(operation.request),
        results=tuple(_import(r) for r in operation.result),
        function=_import(operation.function),
    )


def _op(  # noqa: PLR0913, PLR0917  # one row of the table
    name: str,
    command: str,
    summary: str,
    safety: set[Safety],
    module: str,
    request: str,
    result: str | tuple[str, ...],
    function: str,
    twin: str | None = None,
) -> Operation:
    results = (result,) if isinstance(result, str) else result
    return Operation(
        name=name,
        command=command,
        summary=summary,
        safety=frozenset(safety),
        request=f"{module}:{request}",
        result=tuple(r if ":" in r else f"{module}:{r}" for r in results),
        function=f"{module}:{function}",
        twin=twin,
    )


READ = {Safety.read_only}
CLEANUP = "hephaestus.cleanup.operation"
META = "hephaestus.meta"

OPERATIONS: tuple[Operation, ...] = (
    _op(
        "cleanup_plan",
        "cleanup",
        "Plan a cleanup: what would be removed and what is kept, and why (removes nothing).",
        READ,
        CLEANUP,
        "CleanupRequest",
        "hephaestus.cleanup.models:CleanupPlan",
        "plan",
    ),
    _op(
        "cleanup",
        "cleanup",
        "Remove caches and build debris (never anything git tracks); writes an audit manifest.",
        {Safety.destructive},
        CLEANUP,
        "CleanupRunRequest",
        "hephaestus.cleanup.models:CleanupReport",
        "run",
        twin="cleanup_plan",
    ),
    _op(
        "config",
        "config",
        "Show the effective configuration of a repository, validated.",
        READ,
        META,
        "ConfigRequest",
        "hephaestus.configuration:ConfigReport",
        "config",
    ),
    _op(
        "schema",
        "schema",
        "Describe the operations for agents: request and result schemas, safety, codes.",
        READ,
        "hephaestus.schema",
        "SchemaRequest",
        ("OperationsSchema", "BriefSchema"),
        "describe_schema",
    ),
    _op(
        "version",
        "version",
        "Show the version of hephaestus, Python and the platform.",
        READ,
        META,
        "VersionRequest",
        "hephaestus.version:VersionInfo",
        "version",
    ),
    # release and wheelhouse
    _op(
        "release_install_plan",
        "release install",
        "Download, verify and plan a release wheelhouse's offline install; installs and keeps "
        "nothing.",
        {Safety.read_only, Safety.network},
        "hephaestus.release.operation",
        "InstallRequest",
        "hephaestus.release.models:InstallReport",
        "install_plan",
    ),
    _op(
        "release_install",
        "release install",
        "Install a GitHub release wheelhouse offline, only after its checksum and Sigstore "
        "signature verify.",
        {Safety.destructive, Safety.network},
        "hephaestus.release.operation",
        "InstallRunRequest",
        "hephaestus.release.models:InstallReport",
        "install",
        twin="release_install_plan",
    ),
    _op(
        "release_verify",
        "release verify",
        "Verify a file against its SHA-256 manifest and Sigstore bundle "
        "(offline with a trust root).",
        {Safety.read_only, Safety.network},
        "hephaestus.release.operation",
        "VerifyRequest",
        "hephaestus.release.models:VerifyReport",
        "verify",
    ),
    _op(
        "release_backfill",
        "release backfill",
        "Sign and upload the missing SHA-256 manifest and Sigstore bundle of existing releases.",
        {Safety.network, Safety.writes_state},
        "hephaestus.release.operation",
        "BackfillRequest",
        "hephaestus.release.models:BackfillReport",
        "backfill",
    ),
    _op(
        "wheelhouse_verify",
        "wheelhouse verify",
        "Report OS cruft in a wheelhouse and check every wheel's RECORD hashes and sizes.",
        {Safety.read_only},
        "hephaestus.release.wheelhouse_operation",
        "WheelhouseRequest",
        "hephaestus.release.models:WheelhouseReport",
        "verify",
    ),
    _op(
        "wheelhouse_sanitize_plan",
        "wheelhouse sanitize",
        "List the OS cruft of a wheelhouse, with the plan_id of removing it (removes nothing).",
        {Safety.read_only},
        "hephaestus.release.wheelhouse_operation",
        "SanitizeRequest",
        "hephaestus.release.models:SanitizeReport",
        "plan",
    ),
    _op(
        "wheelhouse_sanitize",
        "wheelhouse sanitize",
        "Remove OS cruft (.DS_Store, __MACOSX/, ._*…) from a wheelhouse.",
        {Safety.destructive},
        "hephaestus.release.wheelhouse_operation",
        "SanitizeRunRequest",
        "hephaestus.release.models:SanitizeReport",
        "sanitize",
        twin="wheelhouse_sanitize_plan",
    ),
    # guard-rails
    _op(
        "guard_rails",
        "guard-rails",
        "Run every quality gate in parallel, cached, in the project's environment (writes no "
        "project file).",
        {Safety.runs_project_code, Safety.writes_state, Safety.network},
        "hephaestus.gates.operation",
        "GuardRailsRequest",
        "hephaestus.gates.models:GuardRailsReport",
        "check",
    ),
    _op(
        "guard_rails_fix",
        "guard-rails",
        "Apply ruff's fixes and formatting to the project's files, then run every quality gate.",
        {Safety.destructive, Safety.runs_project_code, Safety.writes_state, Safety.network},
        "hephaestus.gates.operation",
        "GuardRailsRequest",
        "hephaestus.gates.models:GuardRailsReport",
        "fix",
        twin="guard_rails",
    ),
    # analytics and plan
    _op(
        "tools_refactor_hotspots",
        "tools refactor hotspots",
        "Often-changed, complex files.",
        READ,
        "hephaestus.analytics.operation",
        "HotspotsRequest",
        "hephaestus.analytics.models:HotspotReport",
        "hotspots",
    ),
    _op(
        "tools_refactor_rankings",
        "tools refactor rankings",
        "Rank files by coverage gap, churn and complexity.",
        READ,
        "hephaestus.analytics.operation",
        "RankingsRequest",
        "hephaestus.analytics.models:RankingReport",
        "rankings",
    ),
    _op(
        "tools_refactor_opportunities",
        "tools refactor opportunities",
        "Refactoring suggestions with effort and evidence.",
        READ,
        "hephaestus.analytics.operation",
        "OpportunitiesRequest",
        "hephaestus.analytics.models:OpportunityReport",
        "opportunities",
    ),
    _op(
        "tools_refactor_coupling",
        "tools refactor coupling",
        "File pairs that change together.",
        READ,
        "hephaestus.analytics.operation",
        "CouplingRequest",
        "hephaestus.analytics.models:CouplingReport",
        "coupling",
    ),
    _op(
        "tools_refactor_report",
        "tools refactor report",
        "Every refactor analysis in one overview (offline HTML).",
        READ,
        "hephaestus.analytics.overview",
        "ReportRequest",
        "RefactorOverview",
        "overview",
    ),
    *(_op(n, c, s, READ, *r) for n, c, s, *r in _import("hephaestus.registry_team:TEAM_ROWS")),
    _op(
        "tools_qa_coverage",
        "tools qa coverage",
        "Files under the coverage target, ordered by risk.",
        READ,
        "hephaestus.analytics.operation",
        "CoverageGapsRequest",
        "hephaestus.analytics.models:CoverageGapReport",
        "coverage_gaps",
    ),
    _op(
        "tools_qa_profile",
        "tools qa profile",
        "Show a named QA profile, or list them all.",
        READ,
        "hephaestus.analytics.operation",
        "ProfileRequest",
        ("hephaestus.analytics.profiles:QAProfile", "hephaestus.analytics.profiles:ProfileList"),
        "profile",
    ),
    _op(
        "tools_analytics_ingest",
        "tools analytics ingest",
        "Store metric events from NDJSON.",
        {Safety.writes_state},
        "hephaestus.analytics.operation",
        "IngestRequest",
        "hephaestus.analytics.models:IngestReport",
        "ingest",
    ),
    _op(
        "tools_analytics_snapshots",
        "tools analytics snapshots",
        "Stored analysis snapshots, newest first.",
        READ,
        "hephaestus.analytics.operation",
        "SnapshotsRequest",
        "hephaestus.analytics.models:SnapshotList",
        "snapshots",
    ),
    _op(
        "plan",
        "plan",
        "A prioritised rollout plan from analytics and guard-rails; simulates settings.",
        READ,
        "hephaestus.planning.operation",
        "PlanRequest",
        "hephaestus.planning.models:Plan",
        "plan",
    ),
)
"""Every operation, in the order faces list them."""


def operation(name: str) -> Operation:
    """Return the operation called ``name``.

    Raises:
        KeyError: there is no such operation.

    """
    for candidate in OPERATIONS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def for_command(command: str) -> tuple[Operation, ...]:
    """Return the operations a CLI command path calls (a dry run and its real run: two)."""
    return tuple(o for o in OPERATIONS if o.command == command)
