"""Sending telemetry: exporters built off the main thread, a bounded wait at exit, drops counted.

Each signal has a :class:`Courier`: a daemon thread that builds its exporters (importing the
protobuf encoders while the command works) and sends when asked. A command sends once, at
exit; a long-running process (``long_running``) also sends every ``OTEL_BSP_SCHEDULE_DELAY`` ms
or 512 spans, and its metrics every ``OTEL_METRIC_EXPORT_INTERVAL`` ms. At exit
:meth:`Delivery.finish` waits for the couriers at most ``budget`` seconds: an exporter that has
not answered by then is abandoned (its daemon thread ends with the process), and what was not
sent is counted in one warning. The SDK's own log lines become hephaestus warnings, each once.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Final, Protocol

from hephaestus.core.errors import one_line
from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger, preload, redact
from hephaestus.core.metadata import package_version
from hephaestus.core.otel_logs import LogBuffer, LogSender
from hephaestus.core.otel_metrics import Aggregation
from hephaestus.core.otlp import Exporter, ExportError, exporters

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from opentelemetry.sdk.resources import Resource

    from hephaestus.core.otel import Buffer
    from hephaestus.core.telemetry import Requested

_log = get_logger(__name__)
BUILD_WAIT: Final = 10.0
"""Seconds the exit waits for a courier still building its exporters (local work, no network)."""
QUICK: Final = 0.02
"""Seconds a collector on the same network answers within; slower, a warning is prepared."""
SERVER_TIMEOUT: Final = 10.0
"""Seconds a long-running process's export may take (``OTEL_EXPORTER_OTLP_TIMEOUT``, in ms)."""


class SdkLog(logging.Handler):
    """Turns the SDK's log lines into hephaestus warnings, each distinct one once."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self._seen: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        """Warn once about ``record`` (redacted, one line)."""
        try:
            message = redact(one_line(record.getMessage()))[:200]
        except Exception:  # noqa: BLE001  # a logging handler must never raise
            return
        if message not in self._seen:
            self._seen.add(message)
            _log.warning(Event.TELEMETRY_SDK, message=message)

    @classmethod
    def install(cls) -> None:
        """Attach one such handler to the ``opentelemetry`` logger (it then stops propagating)."""
        logger = logging.getLogger("opentelemetry")
        for old in [h for h in logger.handlers if isinstance(h, SdkLog)]:
            logger.removeHandler(old)
        logger.addHandler(cls())
        logger.propagate = False


def _milliseconds(variable: str, default: float) -> float:
    """Return the variable's value in seconds (``default`` when unset or not a number)."""
    try:
        return max(float(os.environ.get(variable, default * 1000)), 1.0) / 1000
    except ValueError:
        return default


class Sender(Protocol):
    """What a courier drives: one signal's exporters."""

    error: str | None
    """Why the last export failed (``None`` while all succeeded)."""

    def send(self) -> None:
        """Send what is waiting (never raises for the collector's failures)."""


class SpanSender:
    """Sends the buffered spans: encoded once, to every exporter; counts those accepted."""

    def __init__(self, names: Sequence[str], buffer: Buffer, *, timeout: float) -> None:
        from opentelemetry.exporter.otlp.proto.common.trace_encoder import (  # noqa: PLC0415
            encode_spans,
        )

        self._encode = encode_spans
        self.exporters = exporters("TRACES", [n for n in names if n != "console"], timeout=timeout)
        self.console = None
        if "console" in names:
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter  # noqa: PLC0415

            self.console = ConsoleSpanExporter(out=sys.stderr)  # stdout carries data only
        self.buffer = buffer
        self.sent = 0
        self.error: str | None = None

    def send(self) -> None:
        """Export the spans waiting."""
        spans = self.buffer.take()
        if not spans:
            return
        if self.console is not None:
            self.console.export(spans)
        if _sent(self.exporters, self._encode(spans), self):
            self.sent += len(spans)


class MetricSender:
    """Collects the aggregation and sends it to every exporter."""

    def __init__(
        self,
        names: Sequence[str],
        aggregation: Aggregation,
        *,
        resource: Mapping[str, object],
        timeout: float,
    ) -> None:
        self.exporters = exporters("METRICS", names, timeout=timeout)
        self.aggregation = aggregation
        self.resource = resource
        self.error: str | None = None
        self.ok = True

    def send(self) -> None:
        """Export what was recorded (nothing when nothing was)."""
        request = self.aggregation.collect(self.resource, version=package_version())
        if request is not None:
            self.ok = _sent(self.exporters, request, self) and self.ok


def _sent(targets: Sequence[Exporter], request: object, sender: Sender) -> bool:
    """Send ``request`` to every exporter; return whether all took it (else note why)."""
    ok = True
    for exporter in targets:
        try:
            exporter.send(request)  # type: ignore[arg-type]  # an encoded protobuf message
        except ExportError as exc:
            sender.error, ok = str(exc), False
    return ok


class Courier:
    """One signal's daemon thread: builds the sender, then sends when woken and at the end."""

    def __init__(self, name: str, build: Callable[[], Sender], *, interval: float | None) -> None:
        self.ready = threading.Event()
        self.done = threading.Event()
        self.sender: Sender | None = None
        self.error: str | None = None
        self._build = build
        self._interval = interval
        self._wake = threading.Event()
        self._final = False
        thread = threading.Thread(target=self._run, name=f"hephaestus-otel-{name}", daemon=True)
        thread.start()

    def _run(self) -> None:
        try:
            self.sender = self._build()
        except Exception as exc:  # noqa: BLE001  # reported as the reason nothing was sent
            self.error = f"{type(exc).__name__}: {exc}"
            self.ready.set()
            self.done.set()
            return
        self.ready.set()
        final = False
        while not final:
            self._wake.wait(self._interval)
            self._wake.clear()
            final = self._final
            try:
                self.sender.send()
            except Exception as exc:  # noqa: BLE001  # an encoder's bug must not end the thread
                self.sender.error = f"{type(exc).__name__}: {exc}"
        self.done.set()

    def wake(self) -> None:
        """Send now (a batch is ready)."""
        self._wake.set()

    def finish(self) -> None:
        """Send what is left, then stop."""
        self._final = True
        self._wake.set()

    def reason(self, budget: float) -> str:
        """Say why what this courier carried was not all sent."""
        if not self.done.is_set():
            return f"no answer within {budget:g} s"
        found = self.error or (self.sender.error if self.sender is not None else None)
        return found or "not sent"


class Delivery:
    """The couriers of the signals asked for, and the measurements they carry."""

    def __init__(
        self, wanted: Requested, *, resource: Resource, buffer: Buffer, long_running: bool
    ) -> None:
        SdkLog.install()
        self.aggregation = Aggregation()
        self.buffer = buffer
        self.log_buffer = LogBuffer()
        # A command sends only at exit, so the exporters' own timeout is the exit's budget; a
        # server sends as it goes and allows OTEL_EXPORTER_OTLP_TIMEOUT (ms), 10 s by default.
        from hephaestus.core.telemetry import EXIT_BUDGET  # noqa: PLC0415  # it imports us

        timeout = (
            _milliseconds("OTEL_EXPORTER_OTLP_TIMEOUT", SERVER_TIMEOUT)
            if long_running
            else EXIT_BUDGET
        )
        self.spans: Courier | None = None
        self.metrics: Courier | None = None
        self.logs: Courier | None = None
        attributes = dict(resource.attributes)
        if wanted.traces:
            self.spans = Courier(
                "traces",
                lambda: SpanSender(wanted.traces, buffer, timeout=timeout),
                interval=_milliseconds("OTEL_BSP_SCHEDULE_DELAY", 5) if long_running else None,
            )
            if long_running:
                buffer.on_batch = self.spans.wake
        if wanted.logs:
            self.logs = Courier(
                "logs",
                lambda: LogSender(
                    wanted.logs, self.log_buffer, resource=attributes, timeout=timeout
                ),
                interval=_milliseconds("OTEL_BLRP_SCHEDULE_DELAY", 1) if long_running else None,
            )
        if wanted.metrics:
            self.metrics = Courier(
                "metrics",
                lambda: MetricSender(
                    wanted.metrics, self.aggregation, resource=attributes, timeout=timeout
                ),
                interval=_milliseconds("OTEL_METRIC_EXPORT_INTERVAL", 60) if long_running else None,
            )
        if wanted.ignored:
            _log.warning(
                Event.TELEMETRY_UNAVAILABLE,
                reason=f"exporters hephaestus does not provide: {', '.join(wanted.ignored)}",
                hint="use otlp or console",
            )

    def finish(self, *, budget: float) -> None:
        """Send what is left, waiting ``budget`` seconds at most; warn once about what was not."""
        couriers = [c for c in (self.spans, self.metrics, self.logs) if c is not None]
        for courier in couriers:
            courier.ready.wait(BUILD_WAIT)
        now = time.monotonic()
        deadline, quick = now + budget, now + min(QUICK, budget)
        for courier in couriers:
            courier.finish()
        for courier in couriers:
            courier.done.wait(max(0.0, quick - time.monotonic()))
        if not all(courier.done.is_set() for courier in couriers):
            preload()  # a warning is likely: its imports overlap the wait instead of following it
        for courier in couriers:
            courier.done.wait(max(0.0, deadline - time.monotonic()))
        self._report(budget)

    def _report(self, budget: float) -> None:
        """Warn once, with the counts, about what was not sent, where to and why."""
        spans = points = records = 0
        reasons: list[str] = []
        where: list[str] = []
        if self.logs is not None:
            sender = self.logs.sender
            sent = sender.sent if isinstance(sender, LogSender) else 0
            records = self.log_buffer.added - sent
            if records:
                reasons.append(self.logs.reason(budget))
                where += [e.where for e in getattr(sender, "exporters", ())]
        if self.spans is not None:
            sender = self.spans.sender
            spans = self.buffer.ended - (sender.sent if isinstance(sender, SpanSender) else 0)
            if spans:
                reasons.append(self.spans.reason(budget))
                where += [e.where for e in getattr(sender, "exporters", ())]
        if self.metrics is not None:
            sender = self.metrics.sender
            done = self.metrics.done.is_set() and isinstance(sender, MetricSender) and sender.ok
            if not done:
                points = len(self.aggregation.series)
            if points:
                reasons.append(self.metrics.reason(budget))
                where += [e.where for e in getattr(sender, "exporters", ())]
        if spans or points or records:
            _log.warning(
                Event.TELEMETRY_DROPPED,
                spans=spans,
                metric_points=points,
                log_records=records,
                endpoint=redact(", ".join(dict.fromkeys(where))) or None,
                reason="; ".join(dict.fromkeys(reasons)),
            )
