"""OpenTelemetry traces and metrics, only when the standard ``OTEL_*`` variables ask for them.

Off (the default), nothing from ``opentelemetry`` is imported: :func:`span` hands back one shared
no-op context manager and every other function returns at once. :func:`start` turns telemetry
on when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or a signal's own ``OTEL_EXPORTER_OTLP_*_ENDPOINT``)
is set, or ``OTEL_TRACES_EXPORTER`` / ``OTEL_METRICS_EXPORTER`` / ``OTEL_LOGS_EXPORTER`` names
``otlp`` or ``console``; never with ``OTEL_SDK_DISABLED=true``. The SDK side lives in
:mod:`hephaestus.core.otel` (the ``hephaestus-toolkit[otel]`` extra), which reads the rest of the
standard variables itself (protocol, headers, service name, resource attributes, sampler).

- **Context** arrives in ``TRACEPARENT`` / ``TRACESTATE`` / ``BAGGAGE`` (a CI job or a parent
  process: the first span continues its trace), or in a server from request headers or gRPC
  metadata (:func:`extract_from`); it leaves in every child process's environment with
  ``HEPHAESTUS_RUN_ID`` (:meth:`Span.environment`, :func:`child_environment`).
- **Never in the way**: spans and measurements are sent in background threads; :func:`shutdown`
  waits at most :data:`EXIT_BUDGET` seconds for the collector, then drops what is left and says
  so in one warning with the count. Telemetry never raises into, nor changes the exit code of,
  the command it observes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple, Protocol, Self

from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, MutableMapping
    from contextlib import AbstractContextManager
    from types import TracebackType

    from hephaestus.core.instruments import Instrument

__all__ = [
    "EXIT_BUDGET",
    "NO_SPAN",
    "AttributeValue",
    "Requested",
    "Span",
    "active",
    "add_sink",
    "capture",
    "child_environment",
    "current",
    "extract_from",
    "open_span",
    "record",
    "remove_sink",
    "requested",
    "set_attributes",
    "shutdown",
    "span",
    "start",
]

_log = get_logger(__name__)
EXIT_BUDGET: Final = 0.15
"""Seconds :func:`shutdown` waits for the collector at most: with the warning that follows when
it has not answered, the exit is delayed by 0.2 s at most."""
SpanKind = Literal["internal", "client", "server"]
AttributeValue = str | bool | int | float


class Span(Protocol):
    """A span as the code that observes sees it; the no-op one ignores everything."""

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        """Add ``attributes`` (semantic-convention names where they exist)."""

    def fail(self, *, error_type: str, description: str | None = None) -> None:
        """Mark the span failed: ``error.type`` and an error status (``description`` redacted)."""

    def rename(self, name: str) -> None:
        """Give the span a better name, known only once it runs (the command's)."""

    def environment(self) -> dict[str, str]:
        """``TRACEPARENT``, ``TRACESTATE``, ``BAGGAGE`` with this span as parent; run id."""

    def end(self) -> None:
        """End a span begun by :func:`open_span` (a ``with`` block ends its own)."""


class _NoSpan:
    """The span and the context manager of telemetry off: one shared object, no work."""

    __slots__ = ()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        """Ignore ``attributes``."""

    def fail(self, *, error_type: str, description: str | None = None) -> None:
        """Ignore the failure."""

    def rename(self, name: str) -> None:
        """Ignore the name."""

    def environment(self) -> dict[str, str]:
        """Nothing to pass on: a child inherits the environment unchanged."""
        return {}

    def end(self) -> None:
        """Nothing to end."""


NO_SPAN: Final = _NoSpan()


class _Live(Protocol):
    """What :mod:`hephaestus.core.otel` provides once telemetry is on."""

    def span(
        self,
        name: str,
        *,
        attributes: Mapping[str, AttributeValue],
        kind: str,
        parent: object,
        judged: bool,
    ) -> AbstractContextManager[Span]: ...

    def open_span(
        self, name: str, *, attributes: Mapping[str, AttributeValue], kind: str
    ) -> Span: ...
    def current(self) -> Span: ...
    def capture(self) -> object: ...
    def record(
        self, instrument: Instrument, value: float, attributes: Mapping[str, str]
    ) -> None: ...
    def extract(self, carrier: Mapping[str, str]) -> object: ...
    def log(self, event: Mapping[str, object]) -> None: ...
    def ids(self) -> tuple[str, str] | None: ...
    def shutdown(self, *, budget: float) -> None: ...


Sink = Callable[["Instrument", float, "Mapping[str, str]"], None]
"""Also receives every measurement, telemetry on or off (``serve``'s Prometheus endpoint)."""


class _State:
    """The live telemetry of this process (``None`` while off), and the measurements' sinks."""

    live: _Live | None = None
    sinks: tuple[Sink, ...] = ()


class Requested(NamedTuple):
    """What the ``OTEL_*`` variables ask for: the exporters of each signal (empty: none).

    A named tuple rather than a dataclass: it is defined at every start-up, and a frozen
    dataclass takes about 1.5 ms to build.
    """

    traces: tuple[str, ...]
    metrics: tuple[str, ...]
    logs: tuple[str, ...]
    ignored: tuple[str, ...] = ()
    """Exporter names asked for that hephaestus does not provide (``zipkin``, ``prometheus``)."""


_EXPORTERS: Final = frozenset({"otlp", "console"})


def _exporters(
    env: Mapping[str, str], signal: str, *, implied: bool
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the exporters ``OTEL_<signal>_EXPORTER`` names, and those it names in vain.

    Unset, the exporter is ``otlp`` when an endpoint implies it.
    """
    named = [n.strip().lower() for n in env.get(f"OTEL_{signal}_EXPORTER", "").split(",")]
    named = [n for n in named if n]
    if not named:
        own = bool(env.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT"))
        return (("otlp",) if implied or own else ()), ()
    kept = tuple(dict.fromkeys(n for n in named if n in _EXPORTERS))
    return kept, tuple(n for n in named if n not in _EXPORTERS and n != "none")


def requested(environ: Mapping[str, str] | None = None) -> Requested | None:
    """Read what the ``OTEL_*`` variables of ``environ`` (default: this process's) ask for.

    Returns ``None`` when they ask for nothing, or ``OTEL_SDK_DISABLED`` is ``true``. Logs are
    exported only when ``OTEL_LOGS_EXPORTER`` names an exporter; traces and metrics also when an
    OTLP endpoint is set (the specification's default exporter is ``otlp``).
    """
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    endpoint = bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT"))
    traces, bad_traces = _exporters(env, "TRACES", implied=endpoint)
    metrics, bad_metrics = _exporters(env, "METRICS", implied=endpoint)
    logs, bad_logs = _exporters(env, "LOGS", implied=False)
    if not (traces or metrics or logs):
        return None
    ignored = tuple(dict.fromkeys((*bad_traces, *bad_metrics, *bad_logs)))
    return Requested(traces=traces, metrics=metrics, logs=logs, ignored=ignored)


def start(*, long_running: bool = False) -> bool:
    """Turn telemetry on if the ``OTEL_*`` variables ask for it; return whether it is on.

    Imports the SDK (traces now, exporters and metrics in a background thread) and makes the
    context in ``TRACEPARENT`` / ``TRACESTATE`` / ``BAGGAGE`` the parent of the first span.
    ``long_running`` (a server) also sends as spans accumulate and metrics periodically; a
    command sends everything at :func:`shutdown`. Without the ``otel`` extra, or when the SDK
    refuses its configuration, it logs one warning and stays off. Never raises.
    """
    if _State.live is not None:
        return True
    wanted = requested()
    if wanted is None:
        return False
    try:
        from hephaestus.core import otel  # noqa: PLC0415  # the SDK: only when asked for
    except ImportError as exc:
        _log.warning(
            Event.TELEMETRY_UNAVAILABLE,
            reason=f"OTEL_* variables ask for telemetry but {exc.name or 'the SDK'} is missing",
            hint="install hephaestus-toolkit[otel]",
        )
        return False
    try:
        _State.live = otel.Live(wanted, long_running=long_running)
    except Exception as exc:  # noqa: BLE001  # telemetry must never fail the command it observes
        _log.warning(Event.TELEMETRY_UNAVAILABLE, reason=f"{type(exc).__name__}: {exc}")
        return False
    return True


def active() -> bool:
    """Whether telemetry is on in this process."""
    return _State.live is not None


def span(
    name: str,
    *,
    attributes: Mapping[str, AttributeValue] | None = None,
    kind: SpanKind = "internal",
    parent: object | None = None,
    judged: bool = False,
) -> AbstractContextManager[Span]:
    """Return a context manager that runs its block in a span named ``name``; it yields a Span.

    The span is the current one inside the block (its children and child processes hang
    under it). ``parent`` is what :func:`extract_from` returned (a server request); otherwise
    the current span is the parent. An exception leaving the block marks the span failed
    (``error.type``: the error's code or class) and goes on, unless ``judged``: the block says
    itself whether it failed (a gRPC abort raises for a client's error too). Off, this costs one
    check.
    """
    live = _State.live
    if live is None:
        return NO_SPAN
    return live.span(name, attributes=attributes or {}, kind=kind, parent=parent, judged=judged)


def open_span(
    name: str,
    *,
    attributes: Mapping[str, AttributeValue] | None = None,
    kind: SpanKind = "internal",
) -> Span:
    """Begin a span under the current one without making it current; the caller ends it.

    For what outlives a ``with`` block (a process whose output is read later).
    """
    live = _State.live
    if live is None:
        return NO_SPAN
    return live.open_span(name, attributes=attributes or {}, kind=kind)


def current() -> Span:
    """Return the current span (the no-op span when there is none, or telemetry is off)."""
    live = _State.live
    return NO_SPAN if live is None else live.current()


def capture() -> object | None:
    """Return the current context, to be the ``parent`` of a span begun later elsewhere.

    A server's task runs in a worker thread, after its request has been answered: its span is
    begun with the request's context as parent, so the task belongs to the request's trace.
    """
    live = _State.live
    return None if live is None else live.capture()


def set_attributes(attributes: Mapping[str, AttributeValue]) -> None:
    """Add ``attributes`` to the current span."""
    if _State.live is not None:
        current().set_attributes(attributes)


def record(
    instrument: Instrument, value: float, attributes: Mapping[str, str] | None = None
) -> None:
    """Add ``value`` to a counter, or record it in a histogram, with ``attributes``.

    Attribute values must be few (a gate name, a status, a severity): each combination is a
    time series of its own.
    """
    live = _State.live
    if live is not None:
        live.record(instrument, value, attributes or {})
    for sink in _State.sinks:
        sink(instrument, value, attributes or {})


def add_sink(sink: Sink) -> None:
    """Give ``sink`` every measurement from now on, whether telemetry is on or not."""
    _State.sinks = (*_State.sinks, sink)


def remove_sink(sink: Sink) -> None:
    """Stop giving ``sink`` measurements."""
    _State.sinks = tuple(kept for kept in _State.sinks if kept != sink)  # == for bound methods


def child_environment() -> dict[str, str]:
    """Return what a child process needs to continue the trace, with the current span as parent.

    ``TRACEPARENT`` (and ``TRACESTATE``, ``BAGGAGE`` when there are any) and
    ``HEPHAESTUS_RUN_ID``; empty while telemetry is off (the child inherits the environment).
    """
    return current().environment()


def extract_from(carrier: Mapping[str, str] | Iterable[tuple[str, object]]) -> object | None:
    """Read the trace context of a request: HTTP headers, or gRPC metadata as pairs.

    Returns the ``parent`` to give :func:`span` for the request's server span (``None`` while
    telemetry is off). Names are matched without regard to case (``traceparent``,
    ``tracestate``, ``baggage``); a malformed value is ignored (the span starts a new trace).

    A server calls it once per request, e.g. in FastAPI middleware
    ``with span("GET /v1/tasks", kind="server", parent=extract_from(request.headers))``, and in a
    gRPC interceptor with ``extract_from(context.invocation_metadata())``.
    """
    live = _State.live
    if live is None:
        return None
    items = carrier.items() if hasattr(carrier, "items") else carrier
    fields: MutableMapping[str, str] = {}
    for key, value in items:
        if isinstance(key, str) and isinstance(value, str):
            fields[key.lower()] = value
    return live.extract(fields)


def trace_fields(
    _logger: object, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Add the current span's ``trace_id`` and ``span_id`` to a log event (structlog)."""
    live = _State.live
    if live is not None and (ids := live.ids()) is not None:
        event.setdefault("trace_id", ids[0])
        event.setdefault("span_id", ids[1])
    return event


def export_event(
    _logger: object, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Keep a (redacted) log event for ``OTEL_LOGS_EXPORTER``, when it asks (structlog)."""
    live = _State.live
    if live is not None:
        live.log(event)
    return event


def shutdown() -> None:
    """Send what is left within :data:`EXIT_BUDGET` seconds, then turn telemetry off.

    What could not be sent is dropped and counted in one warning. Never raises: an interrupt
    while waiting (Ctrl-C, or SIGTERM as the CLI raises it) ends the wait, nothing more.
    """
    live, _State.live = _State.live, None
    if live is None:
        return
    try:
        live.shutdown(budget=EXIT_BUDGET)
    except KeyboardInterrupt:  # Ctrl-C (or SIGTERM) while waiting: stop waiting, keep the code
        return
    except Exception as exc:  # noqa: BLE001  # telemetry must never fail the command it observes
        _log.warning(Event.TELEMETRY_DROPPED, reason=f"{type(exc).__name__}: {exc}")
