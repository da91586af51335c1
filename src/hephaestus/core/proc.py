"""Run subprocesses the one safe way: argv lists, a timeout, captured output, whole groups stopped.

Never a shell. A missing executable becomes :class:`ToolNotFoundError` with an install hint. A
non-zero exit is data (:attr:`ProcessResult.returncode`): for a gate "found problems" is a result.
Each child leads a session and process group of its own, stopped whole (SIGTERM, then SIGKILL;
see :mod:`~hephaestus.core.process_groups`) on timeout (:class:`ToolTimeoutError`), through a
:class:`Cancellation` token (:class:`ProcessCancelledError`), or when anything else ends the wait
(Ctrl-C, SIGTERM raised as an exception, a bug): no tool's children outlive it. Ctrl-C reaches
hephaestus alone (the children are not in the terminal's group), and it stops the groups.

When tracing, each process is a client span named after its program (``argv[0]``'s name, its
exit code and pid: never its arguments or environment, which may hold secrets), and the child's
environment carries the trace on with that span as parent (``TRACEPARENT``). Processes whose
output is read as it comes are in :mod:`hephaestus.core.streams`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hephaestus.core.errors import ProcessCancelledError, ToolNotFoundError, ToolTimeoutError
from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger
from hephaestus.core.process_groups import Cancellation, communicate, signal_group, stop_and_reap

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from hephaestus.core import telemetry

__all__ = ["Cancellation", "ProcessResult", "merged_environment", "run", "timeout_error"]

_log = get_logger(__name__)


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


def timeout_error(program: str, timeout: float) -> ToolTimeoutError:
    """Return the error of ``program`` stopped after ``timeout`` seconds."""
    return ToolTimeoutError(
        f"{program!r} did not finish within {timeout:g} s and was stopped",
        hint="raise the timeout, or find out why it hangs",
    )


def merged_environment(env: Mapping[str, str | None]) -> dict[str, str]:
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
    merged_env = None if env is None else merged_environment(env)
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
    if cancellation is not None and cancellation.cancelled:
        raise _cancelled_error(argv[0])
    name = Path(argv[0]).name
    from hephaestus.core import telemetry  # noqa: PLC0415  # not on start-up: commands that run none

    with telemetry.span(name, kind="client", attributes={"process.executable.name": name}) as span:
        if carried := span.environment():  # the trace goes on in the child, under this span
            merged_env = {**(os.environ if merged_env is None else merged_env), **carried}
        result = _execute(
            argv,
            merged_env,
            cwd=cwd,
            timeout=timeout,
            stdin=stdin,
            install_hint=install_hint,
            errors=errors,
            cancellation=cancellation,
            span=span,
        )
        span.set_attributes({"process.exit.code": result.returncode})
        if result.returncode != 0:
            span.fail(error_type=str(result.returncode))
    return result


def _execute(  # noqa: PLR0913  # run's options, handed on
    argv: tuple[str, ...],
    env: dict[str, str] | None,
    *,
    cwd: Path | str | None,
    timeout: float,
    stdin: str | None,
    install_hint: str | None,
    errors: str,
    cancellation: Cancellation | None,
    span: telemetry.Span,
) -> ProcessResult:
    """Start the checked ``argv`` with ``env`` and wait for it, as :func:`run` says."""
    program = argv[0]
    _log.debug(Event.PROCESS_STARTED, argv=list(argv), cwd=str(cwd) if cwd else None)
    started = time.perf_counter()
    try:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
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
    span.set_attributes({"process.pid": process.pid})
    if cancellation is not None and not cancellation.admit(process):
        stop_and_reap(process)  # cancelled while it started
        raise _cancelled_error(program)
    try:
        data = None if stdin is None else stdin.encode("utf-8")
        output = communicate(process, data, timeout=timeout, cancellation=cancellation)
    except subprocess.TimeoutExpired as exc:
        stop_and_reap(process)
        _log.warning(Event.PROCESS_TIMED_OUT, argv=list(argv), timeout=timeout)
        raise timeout_error(program, timeout) from exc
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
