"""Structured logging to stderr, as text or JSON, with the run id on every event.

structlog is imported only when an event actually passes the level filter, so commands that log
nothing (``--help``, ``version``) never pay for it. Event names come from
:class:`hephaestus.core.events.Event`.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from hephaestus.core.events import Event

LogLevel = Literal["debug", "info", "warning", "error"]
LogFormat = Literal["text", "json"]

LEVELS: Final[dict[str, int]] = {"debug": 10, "info": 20, "warning": 30, "error": 40}


@dataclass(frozen=True, slots=True)
class LogSettings:
    """Where and how events are written; ``run_id`` is bound to every event."""

    level: LogLevel = "warning"
    format: LogFormat = "text"
    run_id: str = "-"
    color: bool = False


_lock = threading.Lock()
_state: dict[str, Any] = {"settings": LogSettings(), "configured": False}


def configure(settings: LogSettings) -> None:
    """Set the level, format, colour and run id for every later event (cheap: imports nothing)."""
    with _lock:
        _state["settings"] = settings
        _state["configured"] = False


def current_settings() -> LogSettings:
    """Return the settings events are written with now."""
    settings: LogSettings = _state["settings"]
    return settings


def _structlog_logger() -> Any:  # noqa: ANN401  # structlog's bound logger is untyped here
    import structlog  # noqa: PLC0415  # heavy: imported only when an event is written

    with _lock:
        settings: LogSettings = _state["settings"]
        if not _state["configured"]:
            renderer: Any = (
                structlog.processors.JSONRenderer()
                if settings.format == "json"
                else structlog.dev.ConsoleRenderer(colors=settings.color)
            )
            structlog.configure(
                processors=[
                    structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                    structlog.processors.format_exc_info,
                    renderer,
                ],
                wrapper_class=structlog.make_filtering_bound_logger(LEVELS[settings.level]),
                # Resolve sys.stderr at each event: tests and the CLI runner swap it.
                logger_factory=lambda *_: structlog.PrintLogger(sys.stderr),
                cache_logger_on_first_use=False,
            )
            _state["configured"] = True
    return structlog.get_logger().bind(run_id=settings.run_id)


class EventLogger:
    """A logger that accepts only registered event names and key-value fields."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _emit(self, level: LogLevel, event: Event, fields: dict[str, Any]) -> None:
        if LEVELS[level] < LEVELS[current_settings().level]:
            return
        getattr(_structlog_logger(), level)(event.value, logger=self.name, **fields)

    def debug(self, event: Event, **fields: Any) -> None:  # noqa: ANN401
        """Write a debug event."""
        self._emit("debug", event, fields)

    def info(self, event: Event, **fields: Any) -> None:  # noqa: ANN401
        """Write an info event."""
        self._emit("info", event, fields)

    def warning(self, event: Event, **fields: Any) -> None:  # noqa: ANN401
        """Write a warning event."""
        self._emit("warning", event, fields)

    def error(self, event: Event, **fields: Any) -> None:  # noqa: ANN401
        """Write an error event."""
        self._emit("error", event, fields)


def get_logger(name: str) -> EventLogger:
    """Return the event logger for module ``name`` (cheap; nothing is imported until it writes)."""
    return EventLogger(name)
