"""An OTLP/HTTP receiver on 127.0.0.1 that decodes the real protobuf, and a silent twin.

:class:`Collector` answers ``POST /v1/traces`` and ``/v1/metrics`` as a collector does and keeps
what arrived, decoded with ``opentelemetry-proto`` into plain :class:`ReceivedSpan` and
:class:`ReceivedPoint` records. :class:`Silent` accepts connections and never answers. Both
run in daemon threads and stop when their ``with`` block ends.

Example::

    with Collector() as collector:
        run_hephaestus(env={"OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint})
        spans = collector.wait_for_spans(lambda spans: any(s.parent is None for s in spans))
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Self

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from opentelemetry.proto.common.v1.common_pb2 import KeyValue

KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


def _attributes(pairs: Iterable[KeyValue]) -> dict[str, Any]:
    """Decode protobuf key-values into a dict of Python values."""
    found: dict[str, Any] = {}
    for pair in pairs:
        which = pair.value.WhichOneof("value")
        found[pair.key] = getattr(pair.value, which) if which else None
    return found


@dataclass(frozen=True)
class ReceivedSpan:
    """One span as the collector received it (ids as lower-case hex)."""

    name: str
    trace_id: str
    span_id: str
    parent: str | None
    kind: str
    attributes: dict[str, Any]
    resource: dict[str, Any]
    error: bool
    duration: float


@dataclass(frozen=True)
class ReceivedPoint:
    """One metric data point: its metric's name and unit, its attributes and value."""

    metric: str
    unit: str
    attributes: dict[str, Any]
    value: float


@dataclass(frozen=True)
class ReceivedLog:
    """One log record: its event name, severity number, attributes, trace and span."""

    event: str
    severity: int
    attributes: dict[str, Any]
    trace_id: str | None
    span_id: str | None


@dataclass
class _Store:
    spans: list[ReceivedSpan] = field(default_factory=list)
    points: list[ReceivedPoint] = field(default_factory=list)
    logs: list[ReceivedLog] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _spans(body: bytes) -> list[ReceivedSpan]:
    request = ExportTraceServiceRequest.FromString(body)
    found = []
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        for scope in resource_spans.scope_spans:
            found += [
                ReceivedSpan(
                    name=span.name,
                    trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(),
                    parent=span.parent_span_id.hex() or None,
                    kind=KINDS.get(span.kind, "unspecified"),
                    attributes=_attributes(span.attributes),
                    resource=resource,
                    error=span.status.code == span.status.STATUS_CODE_ERROR,
                    duration=(span.end_time_unix_nano - span.start_time_unix_nano) / 1e9,
                )
                for span in scope.spans
            ]
    return found


def _points(body: bytes) -> list[ReceivedPoint]:
    request = ExportMetricsServiceRequest.FromString(body)
    found = []
    for resource_metrics in request.resource_metrics:
        for scope in resource_metrics.scope_metrics:
            for metric in scope.metrics:
                which = metric.WhichOneof("data") or "sum"
                for point in getattr(metric, which).data_points:
                    if which == "histogram":
                        value = float(point.sum)
                    else:
                        value = float(getattr(point, point.WhichOneof("value")))
                    found.append(
                        ReceivedPoint(
                            metric.name, metric.unit, _attributes(point.attributes), value
                        )
                    )
    return found


def _logs(body: bytes) -> list[ReceivedLog]:
    request = ExportLogsServiceRequest.FromString(body)
    return [
        ReceivedLog(
            event=record.event_name,
            severity=record.severity_number,
            attributes=_attributes(record.attributes),
            trace_id=record.trace_id.hex() or None,
            span_id=record.span_id.hex() or None,
        )
        for resource_logs in request.resource_logs
        for scope in resource_logs.scope_logs
        for record in scope.log_records
    ]


class Collector:
    """An OTLP/HTTP collector on 127.0.0.1 that keeps what it receives.

    ``status``, when given, is its answer to every export (and nothing is kept). It keeps the
    headers of each request, and reads gzip-compressed bodies.
    """

    def __init__(self, *, status: int | None = None) -> None:
        store = self._store = _Store()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                with store.lock:
                    store.requests.append(self.path)
                    store.headers.append({k.lower(): v for k, v in self.headers.items()})
                    if status is not None:
                        self.send_error(status)
                        return
                    if self.path == "/v1/traces":
                        store.spans += _spans(body)
                        answer = ExportTraceServiceResponse().SerializeToString()
                    elif self.path == "/v1/metrics":
                        store.points += _points(body)
                        answer = ExportMetricsServiceResponse().SerializeToString()
                    elif self.path == "/v1/logs":
                        store.logs += _logs(body)
                        answer = ExportLogsServiceResponse().SerializeToString()
                    else:
                        self.send_error(404)
                        return
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002, ANN401
                del format, args  # quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def spans(self) -> list[ReceivedSpan]:
        """Every span received so far."""
        with self._store.lock:
            return list(self._store.spans)

    @property
    def points(self) -> list[ReceivedPoint]:
        """Every metric data point received so far."""
        with self._store.lock:
            return list(self._store.points)

    @property
    def logs(self) -> list[ReceivedLog]:
        """Every log record received so far."""
        with self._store.lock:
            return list(self._store.logs)

    @property
    def headers(self) -> list[dict[str, str]]:
        """The headers of every request received so far (names in lower case)."""
        with self._store.lock:
            return list(self._store.headers)

    @property
    def requests(self) -> list[str]:
        """The path of every request received so far."""
        with self._store.lock:
            return list(self._store.requests)

    def wait_for(self, ready: Callable[[Collector], bool], timeout: float = 10) -> None:
        """Wait until ``ready(self)`` (the exporter may still be sending); else fail."""
        deadline = time.monotonic() + timeout
        while not ready(self):
            if time.monotonic() > deadline:
                msg = f"the collector never got what was expected: {self.requests}"
                raise AssertionError(msg)
            time.sleep(0.01)


class GrpcCollector(Collector):
    """The same collector over OTLP/gRPC (``grpcio`` server, ``opentelemetry-proto`` services)."""

    def __init__(self) -> None:
        from concurrent import futures  # noqa: PLC0415

        import grpc  # noqa: PLC0415
        from opentelemetry.proto.collector.metrics.v1 import (  # noqa: PLC0415
            metrics_service_pb2_grpc as metrics_grpc,
        )
        from opentelemetry.proto.collector.trace.v1 import (  # noqa: PLC0415
            trace_service_pb2_grpc as trace_grpc,
        )

        store = self._store = _Store()

        class Traces(trace_grpc.TraceServiceServicer):
            def Export(  # noqa: N802  # the service's method name
                self, request: ExportTraceServiceRequest, context: object
            ) -> ExportTraceServiceResponse:
                del context
                with store.lock:
                    store.requests.append("/v1/traces")
                    store.spans += _spans(request.SerializeToString())
                return ExportTraceServiceResponse()

        class Metrics(metrics_grpc.MetricsServiceServicer):
            def Export(  # noqa: N802
                self, request: ExportMetricsServiceRequest, context: object
            ) -> ExportMetricsServiceResponse:
                del context
                with store.lock:
                    store.requests.append("/v1/metrics")
                    store.points += _points(request.SerializeToString())
                return ExportMetricsServiceResponse()

        self._grpc = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_grpc.add_TraceServiceServicer_to_server(Traces(), self._grpc)  # type: ignore[no-untyped-call]
        metrics_grpc.add_MetricsServiceServicer_to_server(Metrics(), self._grpc)  # type: ignore[no-untyped-call]
        port = self._grpc.add_insecure_port("127.0.0.1:0")
        self.endpoint = f"http://127.0.0.1:{port}"

    def __enter__(self) -> Self:
        self._grpc.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._grpc.stop(grace=None)


class Silent:
    """A server on 127.0.0.1 that accepts connections and never answers (nor reads)."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)  # the kernel completes the handshakes: nobody ever accepts
        self.endpoint = f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self._socket.close()


def closed_port() -> str:
    """Return an endpoint on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def by_id(spans: Iterable[ReceivedSpan]) -> dict[str, ReceivedSpan]:
    """Index ``spans`` by span id."""
    return {span.span_id: span for span in spans}
