"""The one error handler: every way a command can end becomes an exit code and one line.

- :class:`HephaestusError` → ``error: …`` and ``hint: …`` on stderr, its exit code.
- a usage error from the parser → usage and the error on stderr, exit 2.
- Ctrl-C → exit 130; SIGTERM, while :func:`sigterm_raises` is in force (the console script) →
  exit 143. Both arrive as an exception in the main thread, so the same clean-up runs.
- anything else is a bug → the traceback goes to a crash file, one line on stderr, exit 70.

In JSON mode stdout also receives exactly one error document, so agents always get JSON.
"""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import sys
import threading
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from hephaestus.cli.environment import CURRENT, Environment, OutputFormat
from hephaestus.cli.render import json_document
from hephaestus.core.errors import ExitCode, HephaestusError
from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from types import FrameType


_log = get_logger(__name__)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread by :func:`sigterm_raises`.

    A ``KeyboardInterrupt``, so that whatever tidies up after Ctrl-C (stopping the process groups
    of the tools a command started, ``finally`` blocks) does the same after SIGTERM.
    """


class Reported(Exception):  # noqa: N818  # not an error: an exit status already explained
    """The command wrote its whole output (a partial report) and ends with ``exit_code``.

    An interrupted guard-rails run prints its report and exits 130 or 143; a plain 130 from Typer
    would be taken for a Ctrl-C that nobody reported yet.
    """

    def __init__(self, exit_code: int) -> None:
        super().__init__(exit_code)
        self.exit_code = exit_code


class _Signals:
    """Whether SIGTERM arrived (Typer reports any ``KeyboardInterrupt`` as exit status 130)."""

    terminated = False


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    """Raise :class:`Terminated` on SIGTERM; ignore a repeat, which would cut clean-up short."""
    del signum, frame
    if not _Signals.terminated:
        _Signals.terminated = True
        raise Terminated


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """While inside, SIGTERM raises :class:`Terminated` in the main thread; then restore.

    For the console script only: a library caller keeps its own SIGTERM handling. Outside the
    main thread, where Python cannot set signal handlers, nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _Signals.terminated = False
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def sniff_format(argv: Sequence[str]) -> OutputFormat:
    """Guess ``--format`` before parsing, for errors raised before the root callback runs."""
    value = os.environ.get("HEPHAESTUS_FORMAT", "text")
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--format" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--format="):
            value = arg.partition("=")[2]
    return OutputFormat.json if value == "json" else OutputFormat.text


def error_document(code: str, exit_code: int, message: str, hint: str | None) -> dict[str, Any]:
    """Build the JSON error document (its schema is ``hephaestus.schema.ErrorDocument``)."""
    return {"error": {"code": code, "exit_code": exit_code, "message": message, "hint": hint}}


def one_line(text: str) -> str:
    """Join ``text``'s non-blank lines with spaces: an error stays one line whatever wrapped it.

    A library's exception text (YAML's, pydantic's) may span lines; the error contract is one
    line of message and one of hint.
    """
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def _report(env: Environment, code: str, exit_code: int, message: str, hint: str | None) -> int:
    message, hint = one_line(message), one_line(hint) if hint else hint
    if env.format is OutputFormat.json:
        sys.stdout.write(json_document(error_document(code, exit_code, message, hint)) + "\n")
        sys.stdout.flush()
    sys.stderr.write(f"error: {message}\n")
    if hint:
        sys.stderr.write(f"hint: {hint}\n")
    sys.stderr.flush()
    return exit_code


def _interrupted(argv: Sequence[str], *, terminated: bool = False) -> int:
    """Report Ctrl-C (exit 130), or SIGTERM (exit 143) when that was the cause."""
    env = CURRENT.get() or Environment(format=sniff_format(argv))
    if terminated or _Signals.terminated:
        return _report(env, "terminated", ExitCode.TERMINATED, "terminated (SIGTERM)", None)
    return _report(env, "interrupted", ExitCode.INTERRUPTED, "interrupted", None)


def crash_directory() -> Path:
    """Where crash files go: ``$XDG_CACHE_HOME/hephaestus/crash`` (default ``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hephaestus" / "crash"


def save_crash(exc: BaseException, *, run_id: str, argv: Sequence[str]) -> Path | None:
    """Write the traceback and context of an unexpected exception; return the file or None."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        directory = crash_directory()
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"crash-{stamp}-{run_id}.txt"
        from hephaestus.core.metadata import package_version  # noqa: PLC0415  # only when crashing

        header = (
            f"hephaestus {package_version()} on Python {platform.python_version()} "
            f"({platform.platform()})\nrun id: {run_id}\nargv: {list(argv)}\n\n"
        )
        body = "".join(traceback.format_exception(exc))
        path.write_text(header + body, encoding="utf-8")
    except OSError:
        return None
    _log.debug(Event.CRASH_SAVED, path=str(path))
    return path


def guarded(invoke: Callable[[], Any], *, argv: Sequence[str]) -> int:  # noqa: PLR0911  # one return per outcome
    """Run ``invoke`` (the parsed command line) and map every outcome to an exit code."""
    token = CURRENT.set(None)
    try:
        result = invoke()
        if result == ExitCode.INTERRUPTED:  # Typer turns Ctrl-C (and SIGTERM) into a silent 130
            return _interrupted(argv)
        return result if isinstance(result, int) else ExitCode.OK
    except HephaestusError as exc:
        env = CURRENT.get() or Environment(format=sniff_format(argv))
        _log.debug(Event.COMMAND_FAILED, code=exc.code, exit_code=int(exc.exit_code))
        return _report(env, exc.code, exc.exit_code, exc.message, exc.hint)
    except (typer.Exit, Reported) as exc:
        return exc.exit_code
    except (KeyboardInterrupt, typer.Abort) as exc:
        return _interrupted(argv, terminated=isinstance(exc, Terminated))
    except typer.TyperException as exc:  # the parser's usage errors (Typer's own click)
        env = CURRENT.get() or Environment(format=sniff_format(argv))
        code = exc.exit_code
        if env.format is OutputFormat.json:
            # Typer's "no arguments" error carries the whole help text as its message.
            message = "missing command" if type(exc).__name__ == "NoArgsIsHelpError" else None
            hint = "see `hephaestus --help`, or `hephaestus schema` for every command"
            return _report(env, "usage-error", code, message or exc.format_message(), hint)
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            sys.stderr.write(f"error: {exc.format_message()}\n")
        return code
    except Exception as exc:  # noqa: BLE001  # the last resort: a bug, reported as one
        env = CURRENT.get() or Environment(format=sniff_format(argv))
        path = save_crash(exc, run_id=env.run_id, argv=argv)
        where = f"the traceback is in {path}" if path else "the traceback could not be saved"
        return _report(
            env,
            "internal-error",
            ExitCode.INTERNAL,
            f"internal error: {type(exc).__name__}: {exc} (this is a bug in hephaestus)",
            f"{where}; please attach it to a bug report",
        )
    finally:
        CURRENT.reset(token)
