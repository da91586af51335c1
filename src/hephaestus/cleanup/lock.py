"""One cleanup at a time per root: an exclusive ``flock`` on ``.hephaestus/cleanup.lock``.

Two runs that planned the same paths would otherwise both remove them and both record the
removals in their manifests. With the lock, the second waits; its plan is then stale and each
path it finds gone is recorded as ``vanished``, not as removed by it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from typing import TYPE_CHECKING, Final

from hephaestus.core.errors import ExternalError, HephaestusError, UsageError
from hephaestus.core.fs import printable_path
from hephaestus.core.state import STATE_NAME, state_directory

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

LOCK_NAME: Final = "cleanup.lock"
POLL: Final = 0.05
LOCK_FLAGS: Final = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC


def _unwritable(root: Path, exc: OSError) -> UsageError:
    return UsageError(
        f"cannot write the state directory {printable_path(root / STATE_NAME)}: "
        f"{exc.strerror or exc}; nothing was removed",
        hint="cleanup keeps its lock and audit manifest there: run it where the tree is writable",
    )


def writable_state(root: Path) -> Path:
    """Make ``root``'s state directory (:func:`state_directory`) for a cleanup that removes.

    Raises:
        UsageError: it cannot be written, e.g. a read-only checkout (exit 2).
        UnsafeStateError: it is a link, or no directory (exit 3).

    """
    try:
        return state_directory(root)
    except HephaestusError:
        raise
    except OSError as exc:
        raise _unwritable(root, exc) from exc


@contextlib.contextmanager
def cleanup_lock(root: Path, *, timeout: float) -> Iterator[None]:
    """Hold the cleanup lock of ``root`` while inside; wait for it at most ``timeout`` seconds.

    Raises:
        ExternalError: another cleanup of ``root`` held the lock all that time (exit 5).
        UsageError: the state directory or the lock cannot be written (exit 2).

    """
    state = writable_state(root)
    try:
        fd = os.open(state / LOCK_NAME, LOCK_FLAGS, 0o644)
    except OSError as exc:
        raise _unwritable(root, exc) from exc
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ExternalError(
                        f"another cleanup of {printable_path(root)} is running",
                        hint="wait for it to finish, then run again",
                        code="busy",
                    ) from None
                time.sleep(POLL)
        yield
    finally:
        os.close(fd)  # closing releases the lock
