"""The OpenTelemetry SDK behind :mod:`hephaestus.core.telemetry`: imported only when it is on.

Spans come from a private ``TracerProvider`` (never the global one: a process may turn
telemetry on and off again, and a library's own instrumentation stays its own), with the
sampler the ``OTEL_TRACES_SAMPLER`` variables choose and the resource of ``OTEL_SERVICE_NAME`` /
``OTEL_RESOURCE_ATTRIBUTES`` over ``service.name=hephaestus`` and ``service.version``. Finished
spans wait in a :class:`Buffer` until :mod:`hephaestus.core.otel_delivery` sends them.

The context in ``TRACEPARENT`` / ``TRACESTATE`` / ``BAGGAGE`` when telemetry starts is the
parent of every span begun outside any other (the command's root span).
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Final

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.sdk.resources import OTELResourceDetector, Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.version import __version__ as sdk_version
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from hephaestus.core.errors import HephaestusError, one_line
from hephaestus.core.logging import current_settings, redact
from hephaestus.core.metadata import package_version
from hephaestus.core.otel_delivery import Delivery
from hephaestus.core.telemetry import NO_SPAN

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from contextlib import AbstractContextManager
    from types import TracebackType

    from hephaestus.core.instruments import Instrument
    from hephaestus.core.telemetry import AttributeValue, Requested, Span

_KINDS: Final = {
    "internal": SpanKind.INTERNAL,
    "client": SpanKind.CLIENT,
    "server": SpanKind.SERVER,
}
_TRACE_CONTEXT: Final = TraceContextTextMapPropagator()
_BAGGAGE: Final = W3CBaggagePropagator()
CARRIER_VARIABLES: Final = {
    "traceparent": "TRACEPARENT",
    "tracestate": "TRACESTATE",
    "baggage": "BAGGAGE",
}
"""The W3C fields and the environment variables that carry them between processes."""
_DESCRIPTION: Final = 200
"""Characters of an error's message kept as the span's status description."""
BUFFERED: Final = 8192
"""Finished spans kept for sending at most; later ones are dropped (and counted)."""
BATCH: Final = 512
"""Finished spans that make a long-running process send at once."""


def _resource() -> Resource:
    """``service.name=hephaestus`` and versions, overridden by the ``OTEL_*`` resource variables."""
    ours = Resource(
        {
            "service.name": "hephaestus",
            "service.version": package_version(),
            "telemetry.sdk.language": "python",
            "telemetry.sdk.name": "opentelemetry",
            "telemetry.sdk.version": sdk_version,
        }
    )
    return ours.merge(OTELResourceDetector().detect())


def origin() -> otel_context.Context:
    """Return the context ``TRACEPARENT``, ``TRACESTATE`` and ``BAGGAGE`` hold (empty if none)."""
    carrier = {
        key: os.environ[name] for key, name in CARRIER_VARIABLES.items() if os.environ.get(name)
    }
    return _BAGGAGE.extract(carrier, context=_TRACE_CONTEXT.extract(carrier))


def _error_type(exc: BaseException) -> str:
    """Name what ended a span, with few distinct values: the error's code, or its class."""
    if isinstance(exc, HephaestusError):
        return exc.code
    kind = type(exc)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


class LiveSpan:
    """An SDK span seen through :class:`hephaestus.core.telemetry.Span`."""

    __slots__ = ("_context", "_span")

    def __init__(self, span: trace.Span, context: otel_context.Context) -> None:
        self._span = span
        self._context = context

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        """Add ``attributes``."""
        self._span.set_attributes(attributes)

    def fail(self, *, error_type: str, description: str | None = None) -> None:
        """Set ``error.type`` and an error status whose description is redacted, one line."""
        self._span.set_attribute("error.type", error_type)
        text = redact(one_line(description))[:_DESCRIPTION] if description else None
        self._span.set_status(Status(StatusCode.ERROR, text))

    def rename(self, name: str) -> None:
        """Rename the span."""
        self._span.update_name(name)

    def environment(self) -> dict[str, str]:
        """Return the W3C variables with this span as parent, and ``HEPHAESTUS_RUN_ID`` if known."""
        carrier: dict[str, str] = {}
        _TRACE_CONTEXT.inject(carrier, context=self._context)
        _BAGGAGE.inject(carrier, context=self._context)
        found = {name: carrier[key] for key, name in CARRIER_VARIABLES.items() if key in carrier}
        run_id = current_settings().run_id
        if run_id != "-":
            found["HEPHAESTUS_RUN_ID"] = run_id
        return found

    def end(self) -> None:
        """End the span (now)."""
        self._span.end()


class _Scope:
    """The context manager :func:`hephaestus.core.telemetry.span` returns while on."""

    __slots__ = ("_begin", "_judged", "_span", "_token")

    def __init__(self, begin: Callable[[], LiveSpan], *, judged: bool) -> None:
        self._begin = begin
        self._judged = judged

    def __enter__(self) -> LiveSpan:
        self._span = self._begin()
        self._token = otel_context.attach(self._span._context)  # noqa: SLF001  # our own class
        return self._span

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc is not None and not self._judged:
                self._span.fail(error_type=_error_type(exc), description=str(exc) or None)
            self._span.end()
        finally:
            otel_context.detach(self._token)


class Buffer(SpanProcessor):
    """Keeps finished, sampled spans until they are taken to be sent; counts them all."""

    def __init__(self) -> None:
        self._spans: list[ReadableSpan] = []
        self._lock = threading.Lock()
        self.ended = 0
        """Sampled spans finished so far (sent, waiting, or dropped when the buffer was full)."""
        self.on_batch: Callable[[], None] = lambda: None
        """Called when a batch is ready (a long-running process then sends at once)."""

    def on_end(self, span: ReadableSpan) -> None:
        """Keep ``span`` if it was sampled and there is room."""
        if span.context is None or not span.context.trace_flags.sampled:
            return
        with self._lock:
            self.ended += 1
            if len(self._spans) < BUFFERED:
                self._spans.append(span)
            ready = len(self._spans) == BATCH
        if ready:
            self.on_batch()

    def take(self) -> list[ReadableSpan]:
        """Return the spans waiting, and forget them."""
        with self._lock:
            spans, self._spans = self._spans, []
        return spans


class Live:
    """Telemetry while it is on: the tracer, the buffer, and the delivery of both signals."""

    def __init__(self, wanted: Requested, *, long_running: bool) -> None:
        resource = _resource()
        self.buffer = Buffer()
        self.tracer: trace.Tracer | None = None
        if wanted.traces:
            provider = TracerProvider(resource=resource, shutdown_on_exit=False)
            provider.add_span_processor(self.buffer)
            self.tracer = provider.get_tracer("hephaestus", package_version())
        self.origin = origin()
        self.delivery = Delivery(
            wanted, resource=resource, buffer=self.buffer, long_running=long_running
        )

    def _begin(
        self, name: str, attributes: Mapping[str, AttributeValue], kind: str, parent: object
    ) -> LiveSpan:
        assert self.tracer is not None  # noqa: S101  # callers check
        if isinstance(parent, otel_context.Context):
            context = parent
        elif trace.get_current_span() is trace.INVALID_SPAN:
            context = self.origin  # the first span continues the trace this process was given
        else:
            context = otel_context.get_current()
        begun = self.tracer.start_span(
            name, context=context, kind=_KINDS[kind], attributes=attributes
        )
        return LiveSpan(begun, trace.set_span_in_context(begun, context))

    def span(
        self,
        name: str,
        *,
        attributes: Mapping[str, AttributeValue],
        kind: str,
        parent: object,
        judged: bool,
    ) -> AbstractContextManager[Span]:
        """Return a context manager running its block in a new current span (``telemetry.span``)."""
        if self.tracer is None:
            return NO_SPAN
        return _Scope(lambda: self._begin(name, attributes, kind, parent), judged=judged)

    def open_span(self, name: str, *, attributes: Mapping[str, AttributeValue], kind: str) -> Span:
        """Begin a span under the current one, not made current."""
        if self.tracer is None:
            return NO_SPAN
        return self._begin(name, attributes, kind, None)

    def current(self) -> Span:
        """Return the current span (the no-op one when there is none)."""
        found = trace.get_current_span()
        if found is trace.INVALID_SPAN or self.tracer is None:
            return NO_SPAN
        return LiveSpan(found, otel_context.get_current())

    def capture(self) -> otel_context.Context:
        """Return the current context (a later span's ``parent``)."""
        return otel_context.get_current()

    def ids(self) -> tuple[str, str] | None:
        """Trace and span id of the current span, as hex, or ``None``."""
        found = trace.get_current_span().get_span_context()
        if not found.is_valid:
            return None
        return f"{found.trace_id:032x}", f"{found.span_id:016x}"

    def record(self, instrument: Instrument, value: float, attributes: Mapping[str, str]) -> None:
        """Record a measurement."""
        self.delivery.aggregation.record(instrument, value, attributes)

    def log(self, event: Mapping[str, object]) -> None:
        """Keep a log event for export, when logs are exported."""
        if self.delivery.logs is not None:
            self.delivery.log_buffer.add(event)

    def extract(self, carrier: Mapping[str, str]) -> otel_context.Context:
        """Return the context in ``carrier`` (lower-case W3C field names)."""
        return _BAGGAGE.extract(carrier, context=_TRACE_CONTEXT.extract(carrier))

    def shutdown(self, *, budget: float) -> None:
        """Send what is left within ``budget`` seconds; warn once about what was dropped."""
        self.delivery.finish(budget=budget)
