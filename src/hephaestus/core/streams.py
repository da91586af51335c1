"""Processes whose output records are read as they come, never all held at once.

:class:`RecordStream` starts a process at once (argv lists, never a shell, in a process group of
its own with a watchdog at the timeout) and yields the NUL- or newline-separated records of its
output as they arrive, from a pipe or from a spool file the process writes freely;
:func:`stream_records` starts it when first read. Like :func:`hephaestus.core.proc.run`, each
process is a span of its own when tracing, and its environment carries the trace on.
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
from pathlib import Path
from typing import TYPE_CHECKING, Final, Self

from hephaestus.core import telemetry
from hephaestus.core.errors import ExternalError, ToolNotFoundError, ToolTimeoutError
from hephaestus.core.proc import merged_environment, timeout_error
from hephaestus.core.process_groups import signal_group, stop_groups

if sys.platform == "linux":
    import fcntl

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from typing import IO

__all__ = ["READ_SIZE", "RecordStream", "stream_records"]

READ_SIZE: Final = 1 << 16
"""Bytes read at a time from a process's output (pipe or spool file)."""
SPOOL_WAIT: Final = 0.002
"""Seconds to wait for a spooled process to write more (it is read while it runs)."""


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
        name = Path(program).name
        self.span = telemetry.open_span(
            name, kind="client", attributes={"process.executable.name": name}
        )
        if carried := self.span.environment():  # the trace goes on in the child
            env = {**(env or {}), **carried}
        with contextlib.ExitStack() as undo:
            undo.callback(self._end_span, None)  # unless the process starts
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
                env=None if env is None else merged_environment(env),
                start_new_session=True,
            )
            if given is not None:
                given.close()  # the child holds its own descriptor
            undo.pop_all()  # the files (and the span) live until close()
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
        self._end_span(self.process.wait())
        if self.process.stdout is not None:
            self.process.stdout.close()
        if self.spool is not None:
            self.spool.close()
        self.errors.close()

    def _end_span(self, code: int | None) -> None:
        """End the process's span, once: with its exit code, or failed if it never started."""
        if code is None:
            self.span.fail(error_type="not-started")
        else:
            self.span.set_attributes({"process.exit.code": code, "process.pid": self.process.pid})
            if code != 0:
                self.span.fail(error_type=str(code))
        self.span.end()
        self.span = telemetry.NO_SPAN

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
            return timeout_error(self.program, self.timeout)
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
