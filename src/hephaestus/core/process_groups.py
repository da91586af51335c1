"""Process groups: stopped whole (SIGTERM, then SIGKILL), on time-out or from another thread.

:mod:`hephaestus.core.proc` starts every child as the leader of a session and process group of its
own; this module stops such groups and waits for their leaders, and holds :class:`Cancellation`,
the token through which a caller stops, from any thread, every process it started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterable

STOP_GRACE: Final = 0.5
"""Seconds a stopped process group gets between SIGTERM and SIGKILL."""
DRAIN_TIMEOUT: Final = 0.5
"""Seconds to read what is left in a stopped process's pipes before closing them: a descendant
that left the group (``setsid``) may hold them open for ever."""
CANCEL_POLL: Final = 0.05
"""Seconds between two looks at a :class:`Cancellation` token while a process is waited for."""

Process = subprocess.Popen[bytes]


class Cancellation:
    """A token that stops, from any thread, every process started with it, and refuses new ones.

    Hand it to :func:`hephaestus.core.proc.run`. :meth:`cancel` stops each process still running
    with the token (its whole group, SIGTERM then SIGKILL, all groups at once) and makes every
    later ``run`` with it raise :class:`~hephaestus.core.errors.ProcessCancelledError` without
    starting anything. Thread-safe; cancelling twice does nothing more.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._running: set[Process] = set()

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` has been called."""
        return self._cancelled

    def cancel(self) -> None:
        """Stop every process running with this token; refuse every later one.

        Returns once the groups were sent SIGKILL (at most :data:`STOP_GRACE` seconds).
        """
        with self._lock:
            self._cancelled = True
            taken, self._running = list(self._running), set()
        stop_groups(taken)

    def admit(self, process: Process) -> bool:
        """Watch a started ``process``; False (and not watched) if the token is cancelled."""
        with self._lock:
            if self._cancelled:
                return False
            self._running.add(process)
            return True

    def release(self, process: Process) -> bool:
        """Stop watching ``process``; return whether :meth:`cancel` took it to stop it."""
        with self._lock:
            if process in self._running:
                self._running.discard(process)
                return False
            return True


def signal_group(process: Process, signum: int) -> None:
    """Send ``signum`` to the process group ``process`` leads (nothing left in it: no-op)."""
    # EPERM: some systems refuse to signal a group whose only member is a zombie.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _exited(process: Process) -> bool:
    """Whether ``process`` has ended, without reaping it (its pid keeps naming its group)."""
    if process.returncode is not None:
        return True
    if sys.platform == "darwin" and sys.version_info < (3, 13):  # no os.waitid: reap instead
        return process.poll() is not None
    try:
        return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:  # another thread reaped it
        return True


def stop_groups(processes: Iterable[Process], *, grace: float = STOP_GRACE) -> None:
    """Stop the process groups led by ``processes``: SIGTERM, then SIGKILL after ``grace`` s.

    SIGKILL goes to every group even if its leader obeyed SIGTERM, for children that did not.
    Returns as soon as every leader has ended, or after ``grace``; reaps nothing.
    """
    processes = list(processes)
    for process in processes:
        signal_group(process, signal.SIGTERM)
    try:
        deadline = time.monotonic() + grace
        while not all(_exited(p) for p in processes) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:  # even when a second Ctrl-C cuts the grace short
        for process in processes:
            signal_group(process, signal.SIGKILL)


def stop_and_reap(process: Process) -> None:
    """Stop ``process``'s group and reap it, reading its pipes for :data:`DRAIN_TIMEOUT` at most."""
    stop_groups([process])
    try:
        process.communicate(timeout=DRAIN_TIMEOUT)
    except subprocess.TimeoutExpired:
        pass  # an escaped descendant holds a pipe: give up on the rest of the output
    finally:
        for pipe in (process.stdin, process.stdout, process.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        process.wait()


def communicate(
    process: Process, data: bytes | None, *, timeout: float, cancellation: Cancellation | None
) -> tuple[bytes, bytes] | None:
    """Feed ``data``, read both pipes until ``process`` ends; None once ``cancellation`` is set.

    Raises:
        subprocess.TimeoutExpired: ``timeout`` seconds passed first.

    """
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        step = remaining if cancellation is None else min(remaining, CANCEL_POLL)
        try:
            return process.communicate(data, timeout=max(step, 0))
        except subprocess.TimeoutExpired:
            if cancellation is None or remaining <= CANCEL_POLL:
                raise
            if cancellation.cancelled:
                return None
        data = None  # kept by the first call, which goes on writing it
