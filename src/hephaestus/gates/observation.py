"""What guard-rails tells telemetry: each gate's span attributes, and the run's measurements.

The attribute and metric names are listed in docs/reference/telemetry.md. Metric attributes are
only the gate's name, its status and a finding's severity, so the number of time series stays
that of the gates installed.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from hephaestus.core import telemetry
from hephaestus.core.instruments import (
    GATE_CACHE_HITS,
    GATE_DURATION,
    GATE_FINDINGS,
    GATE_RESULTS,
)
from hephaestus.gates.models import GateStatus, Severity

if TYPE_CHECKING:
    from collections.abc import Iterable

    from hephaestus.core.telemetry import AttributeValue
    from hephaestus.gates.models import GateResult

_TIMED = frozenset(
    {GateStatus.passed, GateStatus.failed, GateStatus.baselined, GateStatus.could_not_run}
)
"""Statuses whose duration is the gate's own (cached and skipped gates last 0 s)."""


def gate_attributes(result: GateResult) -> dict[str, AttributeValue]:
    """Return the attributes of ``result``'s span: gate, tool, status, cache, findings, time."""
    counts = Counter(finding.severity for finding in result.findings)
    found: dict[str, AttributeValue] = {
        "hephaestus.gate.name": result.name,
        "hephaestus.gate.status": result.status.value,
        "hephaestus.gate.required": result.required,
        "hephaestus.gate.cached": result.status is GateStatus.cached,
        "hephaestus.gate.duration": result.duration,
        **{f"hephaestus.gate.findings.{s.value}": counts[s] for s in Severity},
    }
    if result.tool is not None:
        found["hephaestus.gate.tool.name"] = result.tool
    if result.tool_version is not None:
        found["hephaestus.gate.tool.version"] = result.tool_version
    return found


def record_results(results: Iterable[GateResult]) -> None:
    """Count each gate's result, cache hit, findings by severity, and time it ran."""
    for result in results:
        gate = {"hephaestus.gate.name": result.name}
        status = {**gate, "hephaestus.gate.status": result.status.value}
        telemetry.record(GATE_RESULTS, 1, status)
        if result.status is GateStatus.cached:
            telemetry.record(GATE_CACHE_HITS, 1, gate)
        if result.status in _TIMED:
            telemetry.record(GATE_DURATION, result.duration, status)
        for severity, count in Counter(f.severity for f in result.findings).items():
            attributes = {**gate, "hephaestus.finding.severity": severity.value}
            telemetry.record(GATE_FINDINGS, count, attributes)
