"""Metrics without the metrics SDK: sums and histograms kept here, encoded as OTLP when sent.

The SDK's metrics package and its exporters cost more to import than a command's handful of
measurements is worth; the aggregation a command needs is a sum per attribute set (counters)
and a count, sum, min, max and bucket counts (histograms). :meth:`Aggregation.collect` encodes
them as an ``ExportMetricsServiceRequest`` of ``opentelemetry-proto``, with the temporality
``OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`` asks for (``cumulative``, the default;
``delta`` and ``lowmemory`` send deltas).
"""

from __future__ import annotations

import bisect
import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from hephaestus.core.otlp import key_values

if TYPE_CHECKING:
    from collections.abc import Mapping

    from google.protobuf.message import Message
    from opentelemetry.proto.common.v1.common_pb2 import KeyValue

    from hephaestus.core.instruments import Instrument

DEFAULT_BOUNDARIES: Final[tuple[float, ...]] = (
    0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000,
)  # fmt: skip
"""The specification's default histogram boundaries (for instruments that name none)."""
Key = tuple[str, frozenset[tuple[str, str]]]


@dataclass(slots=True)
class _Histogram:
    boundaries: tuple[float, ...]
    buckets: list[int]
    count: int = 0
    total: float = 0.0
    low: float = float("inf")
    high: float = float("-inf")

    def copy(self) -> _Histogram:
        return _Histogram(
            self.boundaries, list(self.buckets), self.count, self.total, self.low, self.high
        )

    def add(self, value: float) -> None:
        self.buckets[bisect.bisect_left(self.boundaries, value)] += 1  # upper bounds inclusive
        self.count += 1
        self.total += value
        self.low = min(self.low, value)
        self.high = max(self.high, value)


@dataclass(slots=True)
class _State:
    start: int = field(default_factory=time.time_ns)
    sums: dict[Key, int | float] = field(default_factory=dict)
    histograms: dict[Key, _Histogram] = field(default_factory=dict)
    instruments: dict[str, Instrument] = field(default_factory=dict)


class Aggregation:
    """The measurements of this process, thread-safe; encoded and (for deltas) reset on collect."""

    def __init__(self) -> None:
        preference = os.environ.get("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "")
        self.delta = preference.strip().lower() in {"delta", "lowmemory"}
        self._lock = threading.Lock()
        self._state = _State()
        self.series: set[Key] = set()
        """Every instrument and attribute set recorded: the data points a collection holds."""

    def record(self, instrument: Instrument, value: float, attributes: Mapping[str, str]) -> None:
        """Add ``value`` to a counter's sum, or to a histogram."""
        key: Key = (instrument.name, frozenset(attributes.items()))
        with self._lock:
            state = self._state
            self.series.add(key)
            state.instruments[instrument.name] = instrument
            if instrument.kind == "counter":
                state.sums[key] = state.sums.get(key, 0) + value
                return
            if key not in state.histograms:
                bounds = instrument.boundaries or DEFAULT_BOUNDARIES
                state.histograms[key] = _Histogram(bounds, [0] * (len(bounds) + 1))
            state.histograms[key].add(value)

    def collect(self, resource: Mapping[str, object], *, version: str) -> Message | None:
        """Encode what was recorded as an OTLP request (``None`` if nothing was)."""
        with self._lock:
            state = self._state
            if self.delta:
                self._state = _State(instruments=dict(state.instruments))
            else:  # cumulative: the same totals, and more, next time
                state = _State(
                    start=state.start,
                    sums=dict(state.sums),
                    histograms={k: h.copy() for k, h in state.histograms.items()},
                    instruments=dict(state.instruments),
                )
        if not (state.sums or state.histograms):
            return None
        return _encode(state, resource, version=version, delta=self.delta)


def _encode(state: _State, resource: Mapping[str, object], *, version: str, delta: bool) -> Message:
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (  # noqa: PLC0415
        ExportMetricsServiceRequest,
    )
    from opentelemetry.proto.common.v1.common_pb2 import (  # noqa: PLC0415
        InstrumentationScope,
    )
    from opentelemetry.proto.metrics.v1 import metrics_pb2 as pb  # noqa: PLC0415
    from opentelemetry.proto.resource.v1.resource_pb2 import Resource  # noqa: PLC0415

    def pairs(items: frozenset[tuple[str, str]] | Mapping[str, object]) -> list[KeyValue]:
        return key_values(dict(items))

    temporality = (
        pb.AGGREGATION_TEMPORALITY_DELTA if delta else pb.AGGREGATION_TEMPORALITY_CUMULATIVE
    )
    now = time.time_ns()
    times = {"start_time_unix_nano": state.start, "time_unix_nano": now}
    metrics: dict[str, pb.Metric] = {}
    for (name, attributes), total in sorted(state.sums.items(), key=repr):
        spec = state.instruments[name]
        metric = metrics.setdefault(
            name, pb.Metric(name=name, unit=spec.unit, description=spec.description)
        )
        metric.sum.aggregation_temporality = temporality
        metric.sum.is_monotonic = True
        point = metric.sum.data_points.add(attributes=pairs(attributes), **times)
        if isinstance(total, int):
            point.as_int = total
        else:
            point.as_double = total
    for (name, attributes), histogram in sorted(state.histograms.items(), key=repr):
        spec = state.instruments[name]
        metric = metrics.setdefault(
            name, pb.Metric(name=name, unit=spec.unit, description=spec.description)
        )
        metric.histogram.aggregation_temporality = temporality
        metric.histogram.data_points.add(
            attributes=pairs(attributes),
            count=histogram.count,
            sum=histogram.total,
            min=histogram.low,
            max=histogram.high,
            bucket_counts=histogram.buckets,
            explicit_bounds=[float(b) for b in histogram.boundaries],
            **times,
        )
    scope = pb.ScopeMetrics(
        scope=InstrumentationScope(name="hephaestus", version=version),
        metrics=list(metrics.values()),
    )
    return ExportMetricsServiceRequest(
        resource_metrics=[
            pb.ResourceMetrics(resource=Resource(attributes=pairs(resource)), scope_metrics=[scope])
        ]
    )
