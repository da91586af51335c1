"""Structured logging to stderr, as text or JSON, with the run id on every event; redaction.

When tracing (:mod:`hephaestus.core.telemetry`), an event written inside a span also carries its
``trace_id`` and ``span_id``.

structlog is imported only when an event actually passes the level filter, so commands that log
nothing (``--help``, ``version``) never pay for it. Event names come from
:class:`hephaestus.core.events.Event`.

:func:`redact` is the one function that removes secrets from what hephaestus writes: every log
event passes through it, and so do crash files and the CLI's error lines.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar, cast

if TYPE_CHECKING:
    from hephaestus.core.events import Event

LogLevel = Literal["debug", "info", "warning", "error"]
LogFormat = Literal["text", "json"]

LEVELS: Final[dict[str, int]] = {"debug": 10, "info": 20, "warning": 30, "error": 40}
REDACTED: Final = "[REDACTED]"

_SECRET_WORD: Final = r"(?:token|password|passwd|secret|credentials?|api[_-]?key)"  # noqa: S105
SECRET_OPTION: Final = re.compile(rf"--[A-Za-z0-9-]*{_SECRET_WORD}[A-Za-z0-9-]*", re.IGNORECASE)
"""Options whose value is secret: ``--token``, and any option named like one."""
SECRET_VARIABLE: Final = re.compile(
    r"GITHUB_TOKEN|GH_TOKEN|HEPHAESTUS_\w*TOKEN\w*|\w*_(?:TOKEN|SECRET|PASSWORD)(?:_\w*)?"
)
"""Environment variables whose value is secret (``GITHUB_TOKEN``, ``HEPHAESTUS_*TOKEN*``, …)."""
_SECRET_KEY: Final = re.compile(rf"{_SECRET_WORD}|authorization|^auth$", re.IGNORECASE)
"""Keys of a mapping (a log event's fields, headers) whose string value is secret as a whole."""
_QUOTED: Final = r"'[^']*'|\"[^\"]*\""
_PROSE: Final = r"(?:or|and|nor|to|is|for|with|from|then|if|in|on|the|a|an)\b"
"""Words that follow an option's name in a sentence ("pass --token or set ..."): not its value."""
_PATTERNS: Final = tuple(
    re.compile(pattern, flags)
    for pattern, flags in (
        # Credentials in a URL: scheme://user:password@host, scheme://token@host.
        (r"\b[A-Za-z][A-Za-z0-9+.-]*://(?P<secret>[^\s/?#@'\"<>]+)@", 0),
        # An Authorization header, as text, a dict's repr or JSON; then any "Bearer <value>".
        (
            (
                r"\bauthorization\b['\"]?\s*[:=]\s*['\"]?(?:(?:bearer|token|basic)\s+)?"
                r"(?P<secret>[^\s'\",;]+)"
            ),
            re.IGNORECASE,
        ),
        # Never across another "Bearer ": each credential is redacted on its own.
        (r"\bbearer\s+(?P<secret>(?:(?!bearer\s)[A-Za-z0-9._~+/=-])+)", re.IGNORECASE),
        # A secret option's value: --token X, --token=X, --token 'X Y', and ['--token', 'X'].
        (
            (
                rf"{SECRET_OPTION.pattern}(?:=|\s+)(?![\'\"]?\[REDACTED\]|{_PROSE})"
                rf"(?P<secret>{_QUOTED}|[^\s'\",\])]+)"
            ),
            re.IGNORECASE,
        ),
        (
            rf"{SECRET_OPTION.pattern}['\"]\s*,\s*(?P<q>['\"])(?P<secret>(?:(?!(?P=q)).)*)",
            re.IGNORECASE,
        ),
        # A secret variable's value: GITHUB_TOKEN=X, 'GH_TOKEN': 'X', "HEPHAESTUS_TOKEN": "X".
        (
            rf"\b(?:{SECRET_VARIABLE.pattern})['\"]?\s*[:=]\s*(?P<secret>{_QUOTED}|[^\s'\",}}]+)",
            0,
        ),
        # Tokens known by their prefix: GitHub, GitLab, Slack, OpenAI-style sk-, AWS access keys.
        (r"(?P<secret>(?:gh[pousr]_|github_pat_)[A-Za-z0-9_]+)", 0),
        (r"(?P<secret>glpat-[A-Za-z0-9_-]+)", 0),
        (r"(?P<secret>heph_[A-Za-z0-9_-]+)", 0),  # hephaestus serve's bearer tokens
        (r"(?P<secret>xox[abpr]-[A-Za-z0-9-]+)", 0),
        (r"(?<![A-Za-z0-9])(?P<secret>sk-[A-Za-z0-9_-]+)", 0),
        (r"(?<![A-Za-z0-9])(?P<secret>A(?:KIA|SIA)[A-Z0-9]{12,})", 0),
    )
)
"""What is secret in text: each pattern's ``secret`` group (the rest says why it is secret)."""
_SHORTEST_SECRET: Final = 4
"""A literal secret shorter than this is not replaced wherever it occurs (it would mangle text)."""
_registered: set[str] = set()
_lock = threading.Lock()
T = TypeVar("T")


def register_secret(value: str) -> None:
    """Have :func:`redact` replace ``value`` wherever it occurs from now on (a resolved token)."""
    if len(value) >= _SHORTEST_SECRET:
        with _lock:
            _registered.add(value)


def secret_arguments(argv: list[str] | tuple[str, ...]) -> list[str]:
    """Return the values of secret options in ``argv`` (``--token X``, ``--token=X``)."""
    found = []
    for previous, arg in zip(("", *argv), argv, strict=False):
        name, equals, value = arg.partition("=")
        if SECRET_OPTION.fullmatch(previous):
            found.append(arg)
        elif equals and SECRET_OPTION.fullmatch(name):
            found.append(value)
    return found


def _literal_secrets() -> list[str]:
    """Return the registered secrets and the values of secret variables, longest first."""
    found = {v for k, v in os.environ.items() if SECRET_VARIABLE.fullmatch(k)}
    with _lock:
        found |= _registered
    return sorted((v for v in found if len(v) >= _SHORTEST_SECRET), key=len, reverse=True)


def _redact_text(text: str, literals: list[str]) -> str:
    """Replace every secret span of ``text``: literal secrets and patterns, merged.

    The spans are all found in the original text first, then merged where they overlap or
    touch, so that neither kind of secret can hide part of another from the other's rule.
    """
    spans: list[tuple[int, int]] = []
    for literal in literals:
        start = text.find(literal)
        while start != -1:
            spans.append((start, start + len(literal)))
            start = text.find(literal, start + 1)
    for pattern in _PATTERNS:
        spans += [found.span("secret") for found in pattern.finditer(text)]
    out: list[str] = []
    position = 0
    for start, end in _merged(spans):
        out += [text[position:start], REDACTED]
        position = end
    return "".join([*out, text[position:]])


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return ``spans`` sorted, overlapping or touching ones merged; empty spans dropped."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _redact_argv(argv: list[Any] | tuple[Any, ...], literals: list[str]) -> list[Any]:
    """Redact an argument list: the word after a secret option is secret whatever it is."""
    out: list[Any] = []
    secret_next = False
    for arg in argv:
        if secret_next and isinstance(arg, str):
            out.append(REDACTED)
        elif isinstance(arg, str) and SECRET_OPTION.fullmatch(arg.partition("=")[0]) and "=" in arg:
            out.append(f"{arg.partition('=')[0]}={REDACTED}")
        else:
            out.append(_redact(arg, literals))
        secret_next = isinstance(arg, str) and SECRET_OPTION.fullmatch(arg) is not None
    return out


def _redact(value: Any, literals: list[str]) -> Any:  # noqa: ANN401  # any shape of data
    if isinstance(value, str):
        return _redact_text(value, literals)
    if isinstance(value, Mapping):
        return {
            key: REDACTED
            if isinstance(item, str) and isinstance(key, str) and _secret_key(key)
            else _redact(item, literals)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        redacted = _redact_argv(value, literals)
        return tuple(redacted) if isinstance(value, tuple) else redacted
    return value


def _secret_key(key: str) -> bool:
    return bool(SECRET_VARIABLE.fullmatch(key) or _SECRET_KEY.search(key))


def redact(value: T) -> T:
    """Return ``value`` with every secret in it replaced by ``[REDACTED]``.

    The one redaction function: log events, crash files and error lines all pass through it.
    Strings lose tokens known by their prefix (``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_``,
    ``github_pat_``, ``glpat-``, ``heph_`` (serve tokens),
    ``xoxa-``/``xoxb-``/``xoxp-``/``xoxr-``, ``sk-``, AWS ``AKIA``/``ASIA`` keys),
    ``Authorization`` header values and ``Bearer`` credentials, credentials in URLs
    (``https://user:pass@``), the value of a secret option (``--token X``, ``--token=X``) or
    variable (``GITHUB_TOKEN``, ``GH_TOKEN``, ``HEPHAESTUS_*TOKEN*``, any ``*_TOKEN``,
    ``*_SECRET``, ``*_PASSWORD``), and, anywhere, the current value of a secret variable and
    every value given to :func:`register_secret`. In a list or tuple (an argv) the word after a
    secret option is redacted whole; in a mapping, the string value of a key naming a secret
    (``token``, ``authorization``, ``GITHUB_TOKEN``, …). Other values pass unchanged; containers
    are copied, never changed in place.
    """
    return cast("T", _redact(value, _literal_secrets()))


def _redact_event(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> Mapping[str, Any]:  # noqa: ANN401
    """Run :func:`redact` over an event before it is rendered (a structlog processor)."""
    redacted: Mapping[str, Any] = redact(event)
    return redacted


@dataclass(frozen=True, slots=True)
class LogSettings:
    """Where and how events are written; ``run_id`` is bound to every event."""

    level: LogLevel = "warning"
    format: LogFormat = "text"
    run_id: str = "-"
    color: bool = False


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


def preload() -> None:
    """Import what writing an event takes, now: a caller idle anyway (waiting on the network)."""
    import structlog  # noqa: F401, PLC0415  # heavy: the import is the point


def _structlog_logger() -> Any:  # noqa: ANN401  # structlog's bound logger is untyped here
    import structlog  # noqa: PLC0415  # heavy: imported only when an event is written

    from hephaestus.core.telemetry import (  # noqa: PLC0415  # it imports this module
        export_event,
        trace_fields,
    )

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
                    trace_fields,  # trace_id and span_id of the current span, when tracing
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                    structlog.processors.format_exc_info,
                    _redact_event,  # after the traceback is text, before anything is rendered
                    export_event,  # as an OpenTelemetry log record, when asked for
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
