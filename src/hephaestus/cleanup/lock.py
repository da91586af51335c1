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

from hephaestus.core.errors import ExternalError
from hephaestus.core.fs import printable_path
from hephaestus.core.state import state_directory

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

LOCK_NAME: Final = "cleanup.lock"
POLL: Final = 0.05


@contextlib.contextmanager
def cleanup_lock(root: Path, *, timeout: float) -> Iterator[None]:
    """Hold the cleanup lock of ``root`` while inside; wait for it at most ``timeout`` seconds.

    Raises:
        ExternalError: another cleanup of ``root`` held the lock all that time (exit 5).

    """
    state = state_directory(root)
    fd = os.open(state / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
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
