"""Run subprocesses the one safe way: argv lists, a timeout, captured output, whole groups stopped.

Never a shell. A missing executable becomes :class:`ToolNotFoundError` with an install hint. A
non-zero exit is data (:attr:`ProcessResult.returncode`): for a gate "found problems" is a result.
Each child leads a session and process group of its own, stopped whole (SIGTERM, then SIGKILL;
see :mod:`~hephaestus.core.process_groups`) on timeout (:class:`ToolTimeoutError`), through a
:class:`Cancellation` token (:class:`ProcessCancelledError`), or when anything else ends the wait
(Ctrl-C, SIGTERM raised as an exception, a bug): no tool's children outlive it. Ctrl-C reaches
hephaestus alone (the children are not in the terminal's group), and it stops the groups.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Self

from hephaestus.core.errors import (
    ExternalError,
    ProcessCancelledError,
    ToolNotFoundError,
    ToolTimeoutError,
)
from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger
from hephaestus.core.process_groups import (
    Cancellation,
    communicate,
    signal_group,
    stop_and_reap,
    stop_groups,
)

if sys.platform == "linux":
    import fcntl

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path
    from typing import IO

__all__ = ["READ_SIZE", "Cancellation", "ProcessResult", "RecordStream", "run", "stream_records"]

_log = get_logger(__name__)
READ_SIZE: Final = 1 << 16
"""Bytes read at a time from a process's output (pipe or spool file)."""
SPOOL_WAIT: Final = 0.002
"""Seconds to wait for a spooled process to write more (it is read while it runs)."""


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """What a finished subprocess did."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration: float

    @property
    def ok(self) -> bool:
        """Whether the process exited with status 0."""
        return self.returncode == 0


def _cancelled_error(program: str) -> ProcessCancelledError:
    return ProcessCancelledError(
        f"{program!r} was stopped because the operation was cancelled",
        hint="nothing to fix: run the command again when you need its result",
    )


def _timeout_error(program: str, timeout: float) -> ToolTimeoutError:
    return ToolTimeoutError(
        f"{program!r} did not finish within {timeout:g} s and was stopped",
        hint="raise the timeout, or find out why it hangs",
    )


def _environment(env: Mapping[str, str | None]) -> dict[str, str]:
    """Return this process's environment with ``env`` applied (``None`` removes a variable)."""
    return {k: v for k, v in {**os.environ, **env}.items() if v is not None}


def _check(
    argv: Sequence[str],
    *,
    cwd: Path | str | None,
    env: Mapping[str, str | None] | None,
    install_hint: str | None,
) -> tuple[tuple[str, ...], dict[str, str] | None]:
    """Check :func:`run`'s arguments, raising as it says; return argv as str and the child's env."""
    if not argv:
        raise ValueError("argv must name a program")
    argv = tuple(str(a) for a in argv)
    program = argv[0]
    merged_env = None if env is None else _environment(env)
    if cwd is not None and not os.path.isdir(cwd):  # noqa: PTH112  # str or Path alike
        raise NotADirectoryError(f"working directory {cwd} does not exist")
    # A relative program path ("./tool") is resolved against cwd, as the child will resolve it.
    lookup = os.path.join(cwd, program) if cwd is not None and os.sep in program else program  # noqa: PTH118
    if shutil.which(lookup, path=(merged_env or os.environ).get("PATH")) is None:
        raise ToolNotFoundError(
            f"{program!r} is not installed or not on PATH",
            hint=install_hint or f"install {program} and make sure it is on PATH",
        )
    return argv, merged_env


def run(  # noqa: PLR0913  # keyword-only options, each with a safe default
    argv: Sequence[str],
    *,
    cwd: Path | str | None = None,
    timeout: float,
    env: Mapping[str, str | None] | None = None,
    stdin: str | None = None,
    install_hint: str | None = None,
    errors: str = "replace",
    cancellation: Cancellation | None = None,
) -> ProcessResult:
    r"""Run ``argv`` (no shell) in ``cwd``, in a process group of its own; return its result.

    ``env`` entries are added to the current environment; an entry whose value is ``None``
    removes that variable. Output is decoded as UTF-8 with ``errors`` (default: replacement, so
    a tool's odd bytes never crash the caller; ``"surrogateescape"`` round-trips file names),
    with no newline translation: ``\r`` and ``\r\n`` arrive as the tool wrote them. Without
    ``stdin`` the child reads an empty input, never hephaestus' own. Whatever ends the wait
    early (timeout, ``cancellation``, an exception such as Ctrl-C) stops the whole group first,
    then reads for half a second at most what a descendant that left the group holds open.
    What the tool left running in its group when it exited is killed.

    Raises:
        ToolNotFoundError: ``argv[0]`` is not installed or not executable.
        ToolTimeoutError: the process ran longer than ``timeout`` seconds (its group is stopped).
        ProcessCancelledError: ``cancellation`` was cancelled before or while it ran (its group is
            stopped; nothing is started once the token is cancelled).
        ValueError: ``argv`` is empty.
        NotADirectoryError: ``cwd`` does not exist (a caller's bug, not a missing tool).

    """
    argv, merged_env = _check(argv, cwd=cwd, env=env, install_hint=install_hint)
    program = argv[0]
    if cancellation is not None and cancellation.cancelled:
        raise _cancelled_error(program)
    _log.debug(Event.PROCESS_STARTED, argv=list(argv), cwd=str(cwd) if cwd else None)
    started = time.perf_counter()
    try:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=merged_env,
            # never hephaestus' own stdin (piped data, or a terminal to wait on until the timeout)
            stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
            stdout=subprocess.PIPE,  # bytes: decoded below without newline translation
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        # which() saw it, but it vanished or its interpreter line points nowhere.
        raise ToolNotFoundError(
            f"{program!r} could not be started: {exc.strerror}",
            hint=install_hint or f"reinstall {program}",
        ) from exc
    if cancellation is not None and not cancellation.admit(process):
        stop_and_reap(process)  # cancelled while it started
        raise _cancelled_error(program)
    try:
        data = None if stdin is None else stdin.encode("utf-8")
        output = communicate(process, data, timeout=timeout, cancellation=cancellation)
    except subprocess.TimeoutExpired as exc:
        stop_and_reap(process)
        _log.warning(Event.PROCESS_TIMED_OUT, argv=list(argv), timeout=timeout)
        raise _timeout_error(program, timeout) from exc
    except BaseException:
        stop_and_reap(process)  # Ctrl-C, SIGTERM, a bug: the tool's group never outlives the wait
        raise
    finally:
        taken = cancellation is not None and cancellation.release(process)
    if output is None or taken:
        stop_and_reap(process)
        raise _cancelled_error(program)
    signal_group(process, signal.SIGKILL)  # what the tool left running behind it
    duration = time.perf_counter() - started
    _log.debug(Event.PROCESS_FINISHED, argv=list(argv), returncode=process.returncode)
    return ProcessResult(
        argv=argv,
        returncode=process.returncode,
        stdout=output[0].decode("utf-8", errors),
        stderr=output[1].decode("utf-8", errors),
        duration=duration,
    )


class RecordStream:
    """A process started at once whose output records are read later, never all held at once.

    The caller can do other work while the process runs (its output waits in a 1 MiB pipe),
    then iterate once. With ``spool`` the output goes to a temporary file instead, so the
    process never waits for its reader: it is read while it grows, or whole through
    :meth:`spooled` (several streams can run side by side and be read in turn). ``stdin``
    (bytes, or an open file the stream then owns and closes) is fed to the process.
    Records are split on ``separator`` and decoded like :func:`os.fsdecode` (surrogate
    escapes), so file names round-trip exactly. ``env`` adds variables to the inherited
    environment (an entry whose value is ``None`` removes that variable). stderr goes to a
    temporary file (no pipe to fill up and deadlock). The process runs in a process group of
    its own: a watchdog stops the group at ``timeout`` (SIGTERM, then SIGKILL) even if it hangs
    without writing anything, and :meth:`close` (or leaving the ``with`` block) kills what is
    left of the group, e.g. a process not read to its end.

    Raises:
        ToolNotFoundError: ``argv[0]`` is not installed (when started).
        ToolTimeoutError: the whole run took longer than ``timeout`` seconds (it is stopped).
        ExternalError: the process exited non-zero (its last stderr line is in the message).

    """

    def __init__(  # noqa: PLR0913  # keyword-only, each with a default
        self,
        argv: Sequence[str],
        *,
        cwd: Path | str,
        timeout: float,
        separator: bytes = b"\0",
        install_hint: str | None = None,
        env: Mapping[str, str | None] | None = None,
        stdin: bytes | IO[bytes] | None = None,
        spool: bool = False,
    ) -> None:
        self.program = program = str(argv[0])
        if shutil.which(program) is None:
            if stdin is not None and not isinstance(stdin, bytes):
                stdin.close()  # it was handed over: closed on every path
            raise ToolNotFoundError(
                f"{program!r} is not installed or not on PATH",
                hint=install_hint or f"install {program} and make sure it is on PATH",
            )
        self.separator = separator
        self.timeout = timeout
        with contextlib.ExitStack() as undo:
            self.errors = undo.enter_context(tempfile.TemporaryFile())
            self.spool = undo.enter_context(tempfile.TemporaryFile()) if spool else None
            given: IO[bytes] | None = None
            if isinstance(stdin, bytes):
                given = undo.enter_context(tempfile.TemporaryFile())
                given.write(stdin)
                given.seek(0)
            elif stdin is not None:
                given = undo.enter_context(stdin)
            self.process = subprocess.Popen(
                [str(a) for a in argv],
                cwd=cwd,
                stdin=subprocess.DEVNULL if given is None else given,
                stdout=subprocess.PIPE if self.spool is None else self.spool,
                stderr=self.errors,
                env=None if env is None else _environment(env),
                start_new_session=True,
            )
            if given is not None:
                given.close()  # the child holds its own descriptor
            undo.pop_all()  # the files live until close()
        if self.process.stdout is not None and sys.platform == "linux":
            # a 1 MiB pipe: the writer rarely waits for a busy reader
            with contextlib.suppress(OSError):
                fcntl.fcntl(self.process.stdout.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
        self.expired = False
        """Whether the watchdog stopped the process group at the timeout."""
        self.watchdog = threading.Timer(timeout, self._expire)
        self.watchdog.daemon = True
        self.watchdog.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _expire(self) -> None:
        """Stop the process group: the watchdog calls this when the timeout has passed."""
        self.expired = True
        stop_groups([self.process])

    def close(self) -> None:
        """Kill what is left of the process group; release the pipe and the temporary files."""
        self.watchdog.cancel()
        signal_group(self.process, signal.SIGKILL)  # not read to its end, or left behind
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        if self.spool is not None:
            self.spool.close()
        self.errors.close()

    def __iter__(self) -> Iterator[str]:
        """Yield the records as they arrive; check the exit status at the end; then close."""
        try:
            yield from self._read()
        finally:
            self.close()

    def _chunks(self) -> Iterator[bytes]:
        """Output as it comes: from the pipe, or from the spool file while it grows."""
        if self.spool is None:
            assert self.process.stdout is not None  # noqa: S101  # stdout=PIPE without spool
            while chunk := os.read(self.process.stdout.fileno(), READ_SIZE):
                yield chunk
            return
        # pread: the child writes through the same open file, so its offset must not move.
        offset = 0
        while True:
            ended = self.process.poll() is not None  # before reading: nothing written is missed
            chunk = os.pread(self.spool.fileno(), READ_SIZE, offset)
            if chunk:
                offset += len(chunk)
                yield chunk
            elif ended:
                return
            else:
                time.sleep(SPOOL_WAIT)

    def _read(self) -> Iterator[str]:
        separator = self.separator
        pending = b""
        for chunk in self._chunks():
            *records, pending = (pending + chunk).split(separator)
            yield from (os.fsdecode(record) for record in records if record)
        failure = self._failure()
        if isinstance(failure, ToolTimeoutError):
            raise failure
        if pending:
            yield os.fsdecode(pending)
        if failure is not None:
            raise failure

    def spooled(self) -> IO[bytes]:
        """Wait for the (spooled) process to end; return its output file, at its start.

        Raises:
            ToolTimeoutError: it took longer than the timeout (it is stopped).
            ExternalError: it exited non-zero.

        """
        assert self.spool is not None  # noqa: S101  # only for spool=True
        failure = self._failure()
        if failure is not None:
            raise failure
        self.spool.seek(0)
        return self.spool

    def _failure(self) -> ToolTimeoutError | ExternalError | None:
        code = self.process.wait()
        self.watchdog.cancel()
        if self.expired and code != 0:
            return _timeout_error(self.program, self.timeout)
        if code == 0:
            return None
        self.errors.seek(0)
        lines = self.errors.read().decode("utf-8", "replace").strip().splitlines()
        return ExternalError(
            f"{self.program!r} failed with exit code {code}: {lines[-1] if lines else ''}".rstrip(),
            hint="run it by hand to see the whole error",
        )


def stream_records(  # noqa: PLR0913  # keyword-only, each with a default
    argv: Sequence[str],
    *,
    cwd: Path | str,
    timeout: float,
    separator: bytes = b"\0",
    install_hint: str | None = None,
    env: Mapping[str, str | None] | None = None,
) -> Iterator[str]:
    """Run ``argv`` when first read and yield its output records (see :class:`RecordStream`).

    ``env`` adds variables to the inherited environment; a ``None`` value removes one.

    Raises:
        ToolNotFoundError: ``argv[0]`` is not installed.
        ToolTimeoutError: the whole run took longer than ``timeout`` seconds (it is stopped).
        ExternalError: the process exited non-zero (its last stderr line is in the message).

    """
    with RecordStream(
        argv,
        cwd=cwd,
        timeout=timeout,
        separator=separator,
        install_hint=install_hint,
        env=env,
    ) as stream:
        yield from stream
