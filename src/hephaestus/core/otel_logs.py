"""Log events as OpenTelemetry log records, when ``OTEL_LOGS_EXPORTER`` asks for them.

Every event that passes the log level is also kept here, already redacted (the same event the
terminal shows), with the trace and span it was written in; the logs courier sends them as an
``ExportLogsServiceRequest``: the event's name as ``event_name`` and body, its level as the
severity, its fields as attributes. At most :data:`KEPT` records wait; more are dropped and
counted like spans.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from hephaestus.core.metadata import package_version
from hephaestus.core.otlp import ExportError, exporters, key_values

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from google.protobuf.message import Message

KEPT: Final = 8192
"""Log records kept for sending at most."""
_SEVERITY: Final = {"debug": 5, "info": 9, "warning": 13, "error": 17}
"""OpenTelemetry severity numbers of the log levels (DEBUG, INFO, WARN, ERROR)."""
_OWN: Final = frozenset({"event", "level", "timestamp", "trace_id", "span_id"})
"""Fields that become the record's own parts rather than attributes."""


@dataclass(frozen=True, slots=True)
class Record:
    """One log event, ready to encode."""

    time: int
    level: str
    event: str
    attributes: dict[str, str | bool | int | float]
    trace_id: str | None
    span_id: str | None


def _plain(value: object) -> str | bool | int | float:
    return value if isinstance(value, str | bool | int | float) else repr(value)


class LogBuffer:
    """Log records waiting to be sent, thread-safe; counts every one added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[Record] = []
        self.added = 0

    def add(self, event: Mapping[str, Any]) -> None:
        """Keep ``event`` (a structlog event dict, redacted) if there is room."""
        record = Record(
            time=time.time_ns(),
            level=str(event.get("level", "info")),
            event=str(event.get("event", "")),
            attributes={k: _plain(v) for k, v in event.items() if k not in _OWN},
            trace_id=event.get("trace_id"),
            span_id=event.get("span_id"),
        )
        with self._lock:
            self.added += 1
            if len(self._records) < KEPT:
                self._records.append(record)

    def take(self) -> list[Record]:
        """Return the records waiting, and forget them."""
        with self._lock:
            records, self._records = self._records, []
        return records


class LogSender:
    """Sends the buffered records to every exporter; counts those accepted."""

    def __init__(
        self,
        names: Sequence[str],
        buffer: LogBuffer,
        *,
        resource: Mapping[str, object],
        timeout: float,
    ) -> None:
        self.exporters = exporters("LOGS", names, timeout=timeout)
        self.buffer = buffer
        self.resource = resource
        self.sent = 0
        self.error: str | None = None

    def send(self) -> None:
        """Export the records waiting."""
        records = self.buffer.take()
        if not records:
            return
        request = encode(records, self.resource)
        ok = True
        for exporter in self.exporters:
            try:
                exporter.send(request)
            except ExportError as exc:
                self.error, ok = str(exc), False
        if ok:
            self.sent += len(records)


def encode(records: Sequence[Record], resource: Mapping[str, object]) -> Message:
    """Return ``records`` as one ``ExportLogsServiceRequest``."""
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (  # noqa: PLC0415
        ExportLogsServiceRequest,
    )
    from opentelemetry.proto.common.v1.common_pb2 import (  # noqa: PLC0415
        AnyValue,
        InstrumentationScope,
    )
    from opentelemetry.proto.logs.v1 import logs_pb2 as pb  # noqa: PLC0415
    from opentelemetry.proto.resource.v1.resource_pb2 import Resource  # noqa: PLC0415

    scope = pb.ScopeLogs(scope=InstrumentationScope(name="hephaestus", version=package_version()))
    for record in records:
        scope.log_records.add(
            time_unix_nano=record.time,
            observed_time_unix_nano=record.time,
            severity_number=_SEVERITY.get(record.level, 0),
            severity_text=record.level.upper(),
            event_name=record.event,
            body=AnyValue(string_value=record.event),
            attributes=key_values(record.attributes),
            trace_id=bytes.fromhex(record.trace_id) if record.trace_id else b"",
            span_id=bytes.fromhex(record.span_id) if record.span_id else b"",
        )
    return ExportLogsServiceRequest(
        resource_logs=[
            pb.ResourceLogs(resource=Resource(attributes=key_values(resource)), scope_logs=[scope])
        ]
    )
