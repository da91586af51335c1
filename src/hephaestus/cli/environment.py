"""The one environment object handed to every command: output format, colour, run id.

Commands never reach for ``sys.stdout`` or global flags themselves; the root callback builds an
:class:`Environment` from the global options and stores it on the Typer context.
"""

from __future__ import annotations

import os
import re
import sys
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TextIO

from hephaestus.core.errors import UsageError
from hephaestus.core.events import Event
from hephaestus.core.logging import LogSettings, configure, get_logger

if TYPE_CHECKING:
    from pathlib import Path

    from hephaestus.configuration import HephaestusConfig


_log = get_logger(__name__)


class OutputFormat(StrEnum):
    """What stdout carries: human-readable text or exactly one JSON document."""

    text = "text"
    json = "json"


class ColorMode(StrEnum):
    """When to colour text output."""

    auto = "auto"
    always = "always"
    never = "never"


class LogLevelChoice(StrEnum):
    """Lowest level of log events written to stderr."""

    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


class LogFormatChoice(StrEnum):
    """How log events are written to stderr."""

    text = "text"
    json = "json"


_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def new_run_id() -> str:
    """Return a fresh run id: 12 hex digits, safe in file names and log fields."""
    return uuid.uuid4().hex[:12]


def check_run_id(run_id: str) -> str:
    """Return ``run_id`` if it is safe to put in file names, else raise :class:`UsageError`."""
    if not _RUN_ID.fullmatch(run_id):
        raise UsageError(
            f"invalid run id {run_id!r}",
            hint="use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    return run_id


def verbosity(
    *,
    quiet: bool,
    verbose: bool,
    log_level: LogLevelChoice | None,
    level_flag_given: bool,
) -> LogLevelChoice | None:
    """Return the log level that ``-q``/``-v`` and ``--log-level`` ask for together.

    ``-q`` means ``error``, ``-v`` (repeated or not) means ``debug``; either one overrides
    ``HEPHAESTUS_LOG_LEVEL`` (a flag beats the environment) and the configuration file.

    Raises:
        UsageError: ``-q`` with ``-v``, or either with a ``--log-level`` flag of another level.

    """
    if quiet and verbose:
        raise UsageError(
            "--quiet and --verbose contradict each other", hint="give one of them, or neither"
        )
    wanted = LogLevelChoice.error if quiet else LogLevelChoice.debug if verbose else None
    if wanted is None:
        return log_level
    if level_flag_given and log_level is not None and log_level is not wanted:
        flag = "--quiet" if quiet else "--verbose"
        raise UsageError(
            f"{flag} contradicts --log-level {log_level.value}",
            hint=f"{flag} means --log-level {wanted.value}; give one of them",
        )
    return wanted


def wants_color(mode: ColorMode, stream: TextIO) -> bool:
    """Decide colour for ``stream``: the flag, then NO_COLOR, then FORCE_COLOR, then the TTY."""
    if mode is ColorMode.always:
        return True
    if mode is ColorMode.never or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()


@dataclass(frozen=True, slots=True)
class Environment:
    """Global options of one invocation, resolved."""

    format: OutputFormat = OutputFormat.text
    color: ColorMode = ColorMode.auto
    run_id: str = "-"
    log_level: LogLevelChoice | None = None
    log_format: LogFormatChoice | None = None
    quiet: bool = False
    """``-q``: no progress display, only errors on stderr."""

    @property
    def stdout(self) -> TextIO:
        """Where data goes (looked up per call: test runners swap the stream)."""
        return sys.stdout

    def shows_progress(self, stream: TextIO) -> bool:
        """Whether a redrawn progress display may go to ``stream`` (stderr).

        Only in text mode, not ``--quiet``, on a terminal, and not ``--color never``: a redrawn
        display moves the cursor with escape sequences, and ``--color never`` promises none at
        all. ``NO_COLOR`` asks for no colour only (https://no-color.org): the display stays,
        colourless.
        """
        if self.format is OutputFormat.json or self.quiet or not stream.isatty():
            return False
        return self.color is not ColorMode.never

    @property
    def stdin_is_terminal(self) -> bool:
        """Whether a person can answer a prompt on stdin."""
        return sys.stdin.isatty()

    @property
    def stderr(self) -> TextIO:
        """Where logs, progress, prompts and errors go."""
        return sys.stderr

    def configure_logging(self, config: HephaestusConfig | None = None) -> None:
        """Apply log settings: flags and environment first, then the configuration file."""
        level = self.log_level.value if self.log_level else (config.log_level if config else None)
        fmt = self.log_format.value if self.log_format else (config.log_format if config else None)
        configure(
            LogSettings(
                level=level or "warning",
                format=fmt or "text",
                run_id=self.run_id,
                color=wants_color(self.color, self.stderr),
            )
        )

    def load_config(self, root: Path, **overrides: Any) -> HephaestusConfig:  # noqa: ANN401
        """Load ``[tool.hephaestus]`` of ``root`` (flags as ``overrides``); apply its logging."""
        from hephaestus.configuration import load_config  # noqa: PLC0415  # pydantic-settings: lazy

        flags = {
            "log_level": self.log_level.value if self.log_level else None,
            "log_format": self.log_format.value if self.log_format else None,
        }
        config = load_config(root, overrides={**flags, **overrides})
        self.configure_logging(config)
        pyproject = root / "pyproject.toml"
        _log.debug(
            Event.CONFIG_LOADED,
            root=str(root),
            pyproject=str(pyproject) if pyproject.is_file() else None,
        )
        return config


CURRENT: ContextVar[Environment | None] = ContextVar("hephaestus_environment", default=None)
"""The environment of the running invocation, for the error handler (set by the root callback)."""
