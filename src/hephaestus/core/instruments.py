"""The metric instruments hephaestus records, in one table (documented in the reference).

Each is created when metrics are on (:mod:`hephaestus.core.otel_metrics`) and recorded through
:func:`hephaestus.core.telemetry.record`, which costs one check while telemetry is off. Names
follow the OpenTelemetry conventions (dotted, lower case, the unit apart); Prometheus shows
``hephaestus.gate.results`` as ``hephaestus_gate_results_total``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "ANALYTICS_COMMITS",
    "CLEANUP_FREED",
    "CLEANUP_REMOVED",
    "GATE_CACHE_HITS",
    "GATE_DURATION",
    "GATE_FINDINGS",
    "GATE_RESULTS",
    "INGESTED_EVENTS",
    "INSTRUMENTS",
    "Instrument",
]


@dataclass(frozen=True, slots=True)
class Instrument:
    """One metric instrument: its OpenTelemetry name, kind, unit and description."""

    name: str
    kind: Literal["counter", "histogram"]
    unit: str
    description: str
    attributes: tuple[str, ...] = ()
    """The attributes every measurement carries (Prometheus labels need them all declared)."""
    boundaries: tuple[float, ...] = ()
    """A histogram's bucket boundaries (the SDK's defaults suit milliseconds, not seconds)."""


_GATE: Final = "hephaestus.gate.name"
_STATUS: Final = "hephaestus.gate.status"
GATE_DURATION: Final = Instrument(
    "hephaestus.gate.duration",
    "histogram",
    "s",
    "Time a gate ran, by gate and status (cached and skipped gates are not timed).",
    (_GATE, _STATUS),
    (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
GATE_RESULTS: Final = Instrument(
    "hephaestus.gate.results",
    "counter",
    "{result}",
    "Gate results, by gate and status.",
    (_GATE, _STATUS),
)
GATE_CACHE_HITS: Final = Instrument(
    "hephaestus.gate.cache.hits",
    "counter",
    "{hit}",
    "Gate passes reused from the cache, by gate.",
    (_GATE,),
)
GATE_FINDINGS: Final = Instrument(
    "hephaestus.gate.findings",
    "counter",
    "{finding}",
    "Findings, by gate and severity.",
    (_GATE, "hephaestus.finding.severity"),
)
CLEANUP_FREED: Final = Instrument(
    "hephaestus.cleanup.freed", "counter", "By", "Bytes freed by cleanup."
)
CLEANUP_REMOVED: Final = Instrument(
    "hephaestus.cleanup.removed", "counter", "{path}", "Paths removed by cleanup."
)
ANALYTICS_COMMITS: Final = Instrument(
    "hephaestus.analytics.commits", "counter", "{commit}", "Commits read from git history."
)
INGESTED_EVENTS: Final = Instrument(
    "hephaestus.ingest.events",
    "counter",
    "{event}",
    "Ingested events, by result.",
    ("hephaestus.ingest.result",),
)
INSTRUMENTS: Final = (
    GATE_DURATION,
    GATE_RESULTS,
    GATE_CACHE_HITS,
    GATE_FINDINGS,
    CLEANUP_FREED,
    CLEANUP_REMOVED,
    ANALYTICS_COMMITS,
    INGESTED_EVENTS,
)
"""Every instrument, created together when metrics are on (documented in the reference)."""
