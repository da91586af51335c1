"""Run subprocesses the one safe way: argv lists, a timeout, captured output.

Never a shell. A missing executable becomes :class:`ToolNotFoundError` with an install hint; a
timeout kills the process and becomes :class:`ToolTimeoutError`. A non-zero exit is data
(:attr:`ProcessResult.returncode`), because for a gate "the tool found problems" is a result.
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

from hephaestus.core.errors import ExternalError, ToolNotFoundError, ToolTimeoutError
from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger

if sys.platform == "linux":
    import fcntl

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path
    from typing import IO

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


def run(  # noqa: PLR0913  # keyword-only options, each with a safe default
    argv: Sequence[str],
    *,
    cwd: Path | str | None = None,
    timeout: float,
    env: Mapping[str, str | None] | None = None,
    stdin: str | None = None,
    install_hint: str | None = None,
    errors: str = "replace",
) -> ProcessResult:
    r"""Run ``argv`` (no shell) in ``cwd`` and return its captured result.

    ``env`` entries are added to the current environment; an entry whose value is ``None``
    removes that variable. Output is decoded as UTF-8 with
    ``errors`` (default: replacement, so a tool's odd bytes never crash the caller; use
    ``"surrogateescape"`` to round-trip file names exactly), with no newline translation:
    ``\r`` and ``\r\n`` arrive as the tool wrote them.

    Raises:
        ToolNotFoundError: ``argv[0]`` is not installed or not executable.
        ToolTimeoutError: the process ran longer than ``timeout`` seconds (it is killed).
        ValueError: ``argv`` is empty.
        NotADirectoryError: ``cwd`` does not exist (a caller's bug, not a missing tool).

    """
    if not argv:
        raise ValueError("argv must name a program")
    argv = tuple(str(a) for a in argv)
    program = argv[0]
    merged_env = None
    if env is not None:
        merged_env = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    if cwd is not None and not os.path.isdir(cwd):  # noqa: PTH112  # str or Path alike
        raise NotADirectoryError(f"working directory {cwd} does not exist")
    # A relative program path ("./tool") is resolved against cwd, as the child will resolve it.
    lookup = os.path.join(cwd, program) if cwd is not None and os.sep in program else program  # noqa: PTH118
    if shutil.which(lookup, path=(merged_env or os.environ).get("PATH")) is None:
        raise ToolNotFoundError(
            f"{program!r} is not installed or not on PATH",
            hint=install_hint or f"install {program} and make sure it is on PATH",
        )
    _log.debug(Event.PROCESS_STARTED, argv=list(argv), cwd=str(cwd) if cwd else None)
    started = time.perf_counter()
    try:
        completed = subprocess.run(
            argv,
            cwd=cwd,
            env=merged_env,
            input=None if stdin is None else stdin.encode("utf-8"),
            # Never let a tool read hephaestus' own stdin (piped data, or a terminal it would
            # wait on until the timeout).
            stdin=subprocess.DEVNULL if stdin is None else None,
            capture_output=True,  # bytes: decoded below without newline translation
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        # which() saw it, but it vanished or its interpreter line points nowhere.
        raise ToolNotFoundError(
            f"{program!r} could not be started: {exc.strerror}",
            hint=install_hint or f"reinstall {program}",
        ) from exc
    except subprocess.TimeoutExpired as exc:
        _log.warning(Event.PROCESS_TIMED_OUT, argv=list(argv), timeout=timeout)
        raise ToolTimeoutError(
            f"{program!r} did not finish within {timeout:g} s and was stopped",
            hint="raise the timeout, or find out why it hangs",
        ) from exc
    duration = time.perf_counter() - started
    _log.debug(Event.PROCESS_FINISHED, argv=list(argv), returncode=completed.returncode)
    return ProcessResult(
        argv=argv,
        returncode=completed.returncode,
        stdout=completed.stdout.decode("utf-8", errors),
        stderr=completed.stderr.decode("utf-8", errors),
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
    environment. stderr goes to a temporary file (no pipe to fill up and deadlock). A watchdog
    kills the process at ``timeout`` even if it hangs without writing anything. :meth:`close`
    (or leaving the ``with`` block) stops a process not read to its end.

    Raises:
        ToolNotFoundError: ``argv[0]`` is not installed (when started).
        ToolTimeoutError: the whole run took longer than ``timeout`` seconds (it is killed).
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
        env: Mapping[str, str] | None = None,
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
                env=None if env is None else {**os.environ, **env},
            )
            if given is not None:
                given.close()  # the child holds its own descriptor
            undo.pop_all()  # the files live until close()
        if self.process.stdout is not None and sys.platform == "linux":
            # a 1 MiB pipe: the writer rarely waits for a busy reader
            with contextlib.suppress(OSError):
                fcntl.fcntl(self.process.stdout.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
        self.watchdog = threading.Timer(timeout, self.process.kill)
        self.watchdog.daemon = True
        self.watchdog.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the process if it still runs; release the pipe and the temporary files."""
        self.watchdog.cancel()
        if self.process.poll() is None:  # not read to its end
            self.process.kill()
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
            ToolTimeoutError: it took longer than the timeout (it is killed).
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
        if code == -signal.SIGKILL:
            return ToolTimeoutError(
                f"{self.program!r} did not finish within {self.timeout:g} s and was stopped",
                hint="raise the timeout, or find out why it hangs",
            )
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
    env: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Run ``argv`` when first read and yield its output records (see :class:`RecordStream`).

    Raises:
        ToolNotFoundError: ``argv[0]`` is not installed.
        ToolTimeoutError: the whole run took longer than ``timeout`` seconds (it is killed).
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
