"""The server's Prometheus instruments, in a registry of their own, with bounded labels.

Labels only ever hold an operation name, a route template, a gate name, a status or a
method: never a path, a task id or a principal, so the number of series stays bounded however
many requests arrive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

if TYPE_CHECKING:
    from collections.abc import Mapping

    from hephaestus.api.task_models import TaskView

CONTENT_TYPE = CONTENT_TYPE_LATEST
"""The media type of :meth:`Metrics.exposition`."""


class Metrics:
    """Requests by route and status, task durations, gate results and ingested events."""

    def __init__(self) -> None:
        """Create the instruments in a fresh registry (never the process-global one)."""
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "hephaestus_requests",
            "Requests answered, by face, route (template) or RPC, and status.",
            ["face", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "hephaestus_request_duration_seconds",
            "Time to answer a request, by face and route (template) or RPC.",
            ["face", "route"],
            registry=self.registry,
        )
        self.task_seconds = Histogram(
            "hephaestus_task_duration_seconds",
            "Time a task ran, by operation and final status.",
            ["operation", "status"],
            buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
            registry=self.registry,
        )
        self.gate_results = Counter(
            "hephaestus_gate_results",
            "Gate results of guard-rails runs, by gate and status.",
            ["gate", "status"],
            registry=self.registry,
        )
        self.ingested_events = Counter(
            "hephaestus_ingested_events",
            "Analytics events received, by result (accepted or rejected).",
            ["result"],
            registry=self.registry,
        )

    def request(self, *, face: str, route: str, status: str, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(face=face, route=route, status=status).inc()
        self.request_seconds.labels(face=face, route=route).observe(seconds)

    def task(self, *, operation: str, status: str, seconds: float) -> None:
        """Record one finished task."""
        self.task_seconds.labels(operation=operation, status=status).observe(seconds)

    def finished(self, view: TaskView) -> None:
        """Record a task that ran to its end: its duration and what its result says."""
        if view.started is not None and view.finished is not None:
            seconds = (view.finished - view.started).total_seconds()
            self.task(operation=view.operation, status=view.status.value, seconds=seconds)
        if view.result is not None:
            self.result(operation=view.operation, data=view.result)

    def result(self, *, operation: str, data: Mapping[str, Any]) -> None:
        """Count what a result says that operators alert on (the gates of a guard-rails run)."""
        if not operation.startswith("guard_rails"):
            return
        for gate in data.get("results", ()):
            if isinstance(gate, dict) and "name" in gate and "status" in gate:
                self.gate_results.labels(gate=str(gate["name"]), status=str(gate["status"])).inc()

    def ingested(self, *, accepted: int, rejected: int) -> None:
        """Count received analytics events."""
        self.ingested_events.labels(result="accepted").inc(accepted)
        self.ingested_events.labels(result="rejected").inc(rejected)

    def exposition(self) -> bytes:
        """Return the text exposition of every instrument."""
        return generate_latest(self.registry)
