"""The one error handler: every way a command can end becomes an exit code and one line.

- :class:`HephaestusError` → ``error: …`` and ``hint: …`` on stderr, its exit code.
- a usage error from the parser → usage and the error on stderr, exit 2.
- Ctrl-C → exit 130; SIGTERM, while :func:`sigterm_raises` is in force (the console script) →
  exit 143. Both arrive as an exception in the main thread, so the same clean-up runs.
- a stdout that is closed or full → one line on stderr, exit 5 (no traceback, no JSON).
- anything else is a bug → the traceback goes to a crash file, one line on stderr, exit 70.

In JSON mode stdout also receives exactly one error document, so agents always get JSON. Every
line written here, and every crash file, passes through :func:`~hephaestus.core.logging.redact`
first; crash files are the user's alone (``0600`` in a ``0700`` directory).
"""

from __future__ import annotations

import contextlib
import errno
import os
import platform
import shlex
import signal
import stat
import sys
import threading
import traceback
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

import typer

from hephaestus.cli.environment import CURRENT, Environment, OutputFormat
from hephaestus.cli.render import STDOUT_FAILED, WatchedStream, json_document, stdout_failed
from hephaestus.core.errors import (
    ExitCode,
    HephaestusError,
    error_document,
    one_line,
    render_fields,
)
from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger, redact, register_secret, secret_arguments

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


def _report(env: Environment, code: str, exit_code: int, message: str, hint: str | None) -> int:
    """Write the error (redacted, one line each) to stderr, and in JSON mode to stdout too.

    A stdout that fails here is silenced: the error still reaches stderr. A stderr that fails
    leaves only the exit code, which is all that is left to say anything with.
    """
    message, hint = redact(one_line(message)), redact(one_line(hint)) if hint else hint
    if env.format is OutputFormat.json and code != STDOUT_FAILED:
        document = json_document(error_document(code, exit_code, message, hint)) + "\n"
        try:
            sys.stdout.write(document)
            sys.stdout.flush()
        except OSError as exc:
            stdout_failed(exc, sys.stdout)
    with contextlib.suppress(OSError):
        sys.stderr.write(f"error: {message}\n" + (f"hint: {hint}\n" if hint else ""))
        sys.stderr.flush()
    return exit_code


def _spelt(text: str) -> str:
    """Name request fields as this command's flags (`` `audit_manifest` `` → --audit-manifest)."""
    from hephaestus.cli.operation import spell  # noqa: PLC0415  # only on an error

    return render_fields(text, spell)


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


def _private_directory(directory: Path) -> Path:
    """Create ``directory`` (mode ``0700``) or make an existing one ours alone; return it.

    Raises:
        OSError: it is a symlink, not a directory, or someone else's.

    """
    directory.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        directory.mkdir(mode=0o700)
    info = directory.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise OSError(errno.EPERM, "not a directory of this user", str(directory))
    if stat.S_IMODE(info.st_mode) & 0o077:
        directory.chmod(0o700)
    return directory


def _create_private(directory: Path, stem: str) -> tuple[Path, int]:
    """Create a new file ``<stem>.txt`` (another name if taken) readable by its owner only."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for suffix in ("", *(f"-{uuid.uuid4().hex[:8]}" for _ in range(5))):
        path = directory / f"{stem}{suffix}.txt"
        try:
            return path, os.open(path, flags, 0o600)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free crash file name", str(directory))


def save_crash(exc: BaseException, *, run_id: str, argv: Sequence[str]) -> Path | None:
    """Write the traceback and context of an unexpected exception; return the file or None.

    The file is created new (``O_EXCL``, never through a symlink) with mode ``0600`` in a
    ``0700`` directory, and its whole text passes through
    :func:`~hephaestus.core.logging.redact`, with the values of secret options in ``argv``
    (``--token X``) replaced wherever they occur.
    """
    for value in secret_arguments(list(argv)):
        register_secret(value)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        directory = _private_directory(crash_directory())
        from hephaestus.core.metadata import package_version  # noqa: PLC0415  # only when crashing

        header = (
            f"hephaestus {package_version()} on Python {platform.python_version()} "
            f"({platform.platform()})\nrun id: {run_id}\n"
            f"argv: {shlex.join(redact(list(argv)))}\n\n"
        )
        text = redact(header + "".join(traceback.format_exception(exc)))
        path, descriptor = _create_private(directory, f"crash-{stamp}-{run_id}")
        with os.fdopen(descriptor, "w", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(text)
    except OSError:
        return None
    _log.debug(Event.CRASH_SAVED, path=str(path))
    return path


def guarded(invoke: Callable[[], Any], *, argv: Sequence[str]) -> int:
    """Run ``invoke`` (the parsed command line) and map every outcome to an exit code.

    Whatever is still buffered for stdout is flushed here, so that a closed or full stdout is
    reported like any other error rather than by the interpreter at exit.
    """
    token = CURRENT.set(None)
    for value in secret_arguments(list(argv)):  # --token X: never repeated in an error line
        register_secret(value)
    stdout = sys.stdout
    watched = WatchedStream(stdout)
    sys.stdout = cast("TextIO", watched)
    try:
        code = _outcome(invoke, argv, watched)
        try:
            sys.stdout.flush()
        except OSError as exc:
            return _stdout_error(exc, argv)
        return code
    finally:
        sys.stdout = stdout  # also in place of Typer's wrapper after a closed pipe
        CURRENT.reset(token)


def _stdout_error(exc: OSError, argv: Sequence[str]) -> int:
    """Report a closed or full stdout: one line on stderr, exit 5."""
    error = stdout_failed(exc, sys.stdout)
    env = CURRENT.get() or Environment(format=sniff_format(argv))
    return _report(env, error.code, error.exit_code, error.message, error.hint)


def _usage_error(exc: typer.TyperException, argv: Sequence[str]) -> int:
    """Report the parser's usage error: Typer's own text, or the JSON error document."""
    env = CURRENT.get() or Environment(format=sniff_format(argv))
    code = exc.exit_code
    if env.format is OutputFormat.json:
        # Typer's "no arguments" error carries the whole help text as its message.
        message = "missing command" if type(exc).__name__ == "NoArgsIsHelpError" else None
        hint = "see `hephaestus --help`, or `hephaestus schema` for every command"
        return _report(env, "usage-error", code, message or exc.format_message(), hint)
    show = getattr(exc, "show", None)
    if type(exc).__name__ == "NoArgsIsHelpError" and callable(show):
        show()  # the help, as asked for by giving nothing
        return code
    # One line and a hint, as every other error: not the parser's usage block.
    context = getattr(exc, "ctx", None)
    command = getattr(context, "command_path", None) or "hephaestus"
    message = _spelt(one_line(exc.format_message()))
    sys.stderr.write(f"error: {message}\nhint: see `{command} --help`\n")
    return code


def _outcome(  # noqa: PLR0911  # one return per outcome
    invoke: Callable[[], Any], argv: Sequence[str], watched: WatchedStream
) -> int:
    """Run ``invoke`` and return the exit code of its outcome, reported as it needs."""
    try:
        result = invoke()
        if result == ExitCode.INTERRUPTED:  # Typer turns Ctrl-C (and SIGTERM) into a silent 130
            return _interrupted(argv)
        return result if isinstance(result, int) else ExitCode.OK
    except HephaestusError as exc:
        env = CURRENT.get() or Environment(format=sniff_format(argv))
        _log.debug(Event.COMMAND_FAILED, code=exc.code, exit_code=int(exc.exit_code))
        message, hint = _spelt(exc.message), _spelt(exc.hint) if exc.hint else exc.hint
        return _report(env, exc.code, exc.exit_code, message, hint)
    except (typer.Exit, Reported) as exc:
        return exc.exit_code
    except (KeyboardInterrupt, typer.Abort) as exc:
        return _interrupted(argv, terminated=isinstance(exc, Terminated))
    except SystemExit as exc:
        # Typer answers a write to a closed pipe with a silent exit 1: say what happened.
        cause = exc.__context__
        if not isinstance(cause, OSError) or cause.errno != errno.EPIPE:
            raise
        return _stdout_error(cause, argv)
    except typer.TyperException as exc:  # the parser's usage errors (Typer's own click)
        return _usage_error(exc, argv)
    except Exception as exc:  # noqa: BLE001  # the last resort: a bug, reported as one
        if isinstance(exc, OSError) and watched.error is not None:  # stdout's, not a bug
            return _stdout_error(exc, argv)
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
