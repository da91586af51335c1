"""Run subprocesses the one safe way: argv lists, a timeout, captured output.

Never a shell. A missing executable becomes :class:`ToolNotFoundError` with an install hint; a
timeout kills the process and becomes :class:`ToolTimeoutError`. A non-zero exit is data
(:attr:`ProcessResult.returncode`), because for a gate "the tool found problems" is a result.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hephaestus.core.errors import ToolNotFoundError, ToolTimeoutError
from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

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


def run(  # noqa: PLR0913  # keyword-only options, each with a safe default
    argv: Sequence[str],
    *,
    cwd: Path | str | None = None,
    timeout: float,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    install_hint: str | None = None,
    errors: str = "replace",
) -> ProcessResult:
    r"""Run ``argv`` (no shell) in ``cwd`` and return its captured result.

    ``env`` entries are added to the current environment. Output is decoded as UTF-8 with
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
    merged_env = {**os.environ, **env} if env is not None else None
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
