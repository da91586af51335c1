"""The server's Prometheus instruments, in a registry of their own, with bounded labels.

Labels only ever hold an operation name, a route template, a gate name, a status or a
method: never a path, a task id or a principal, so the number of series stays bounded however
many requests arrive.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from hephaestus.core import telemetry
from hephaestus.core.instruments import INSTRUMENTS, Instrument

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from hephaestus.api.task_models import TaskView

CONTENT_TYPE = CONTENT_TYPE_LATEST
"""The media type of :meth:`Metrics.exposition`."""
_UNITS: Final = {"s": "seconds", "By": "bytes"}
"""OpenTelemetry units and the suffix Prometheus names take for them (``{path}``: none)."""


def _prometheus(instrument: Instrument, registry: CollectorRegistry) -> Counter | Histogram:
    """Return ``instrument`` as a Prometheus metric, named as OpenTelemetry's exporter names it.

    ``hephaestus.gate.duration`` (seconds) is ``hephaestus_gate_duration_seconds``; a counter
    gains ``_total``; the attribute ``hephaestus.gate.name`` is the label
    ``hephaestus_gate_name``.
    """
    name = instrument.name.replace(".", "_")
    if unit := _UNITS.get(instrument.unit):
        name = f"{name}_{unit}"
    labels = [attribute.replace(".", "_") for attribute in instrument.attributes]
    if instrument.kind == "histogram":
        return Histogram(
            name,
            instrument.description,
            labels,
            buckets=instrument.boundaries or Histogram.DEFAULT_BUCKETS,
            registry=registry,
        )
    return Counter(name, instrument.description, labels, registry=registry)


class Metrics:
    """Requests by route and status, task durations, and the operations' own instruments."""

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
        self.measured: dict[Instrument, Counter | Histogram] = {
            instrument: _prometheus(instrument, self.registry) for instrument in INSTRUMENTS
        }
        """The operations' instruments (gates, cleanup, analytics, ingestion), as Prometheus
        metrics: what ``OTEL_*`` telemetry pushes over OTLP, under the names a collector's
        Prometheus exporter gives them."""

    def request(self, *, face: str, route: str, status: str, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(face=face, route=route, status=status).inc()
        self.request_seconds.labels(face=face, route=route).observe(seconds)

    def task(self, *, operation: str, status: str, seconds: float) -> None:
        """Record one finished task."""
        self.task_seconds.labels(operation=operation, status=status).observe(seconds)

    def finished(self, view: TaskView) -> None:
        """Record a task that ran to its end: its duration and final status."""
        if view.started is not None and view.finished is not None:
            seconds = (view.finished - view.started).total_seconds()
            self.task(operation=view.operation, status=view.status.value, seconds=seconds)

    def measure(self, instrument: Instrument, value: float, attributes: Mapping[str, str]) -> None:
        """Record one measurement of an operation (a :func:`telemetry.add_sink` sink)."""
        metric = self.measured.get(instrument)
        if metric is None:
            return
        names = instrument.attributes
        labelled = metric.labels(*(attributes.get(n, "") for n in names)) if names else metric
        if isinstance(labelled, Histogram):
            labelled.observe(value)
        else:
            labelled.inc(value)

    @contextmanager
    def measuring(self) -> Iterator[None]:
        """Count what operations measure (:func:`telemetry.record`) while the block runs."""
        telemetry.add_sink(self.measure)
        try:
            yield
        finally:
            telemetry.remove_sink(self.measure)

    def exposition(self) -> bytes:
        """Return the text exposition of every instrument."""
        return generate_latest(self.registry)
