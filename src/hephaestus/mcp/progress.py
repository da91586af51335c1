"""Progress of a tool call, from the operation's thread to MCP progress notifications.

The operation runs in a worker thread and reports through the :class:`Progress` protocol;
:class:`RelayProgress` only records what it hears (under a lock, never blocking on the network).
:func:`notify_progress`, on the server's event loop, reads it every :data:`POLL` seconds and sends
a notification when something changed, and at least every :data:`HEARTBEAT` seconds while the
call runs, so that a client that cuts calls silent for 60 s never cuts a long gate run.

Progress values only grow, as MCP asks: the units done over every phase so far, plus a
thousandth for each notification that repeats them (a note, a heartbeat).
"""

from __future__ import annotations

import contextlib
import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import anyio

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

POLL: Final = 0.25
"""Seconds between two looks at the relay: changes are coalesced at most this long."""
HEARTBEAT: Final = 5.0
"""Seconds at most between two notifications while a call runs (MCP clients often give up
after 60 s without one)."""
STEP: Final = 0.001
"""How much a notification that repeats the units done adds, to keep values growing."""
MESSAGE_LIMIT: Final = 200


@dataclass(frozen=True, slots=True)
class Reading:
    """What a relay holds at one moment."""

    changes: int
    done: float
    total: float | None
    message: str | None


class RelayProgress:
    """A :class:`~hephaestus.core.progress.Progress` that records, for a notifier to read.

    Thread-safe and cheap: the operation's threads call it; :meth:`read` is called from the
    event loop.
    """

    def __init__(self, message: str | None = None) -> None:
        self._lock = threading.Lock()
        self._finished = 0.0  # units of the phases before the current one
        self._done = 0.0
        self._total: float | None = None
        self._message = message
        self._changes = 0

    def start(self, total: int | None) -> None:
        """Begin a phase of ``total`` units (``None``: unknown)."""
        with self._lock:
            self._finished += max(self._done, self._total or 0.0)
            self._done, self._total = 0.0, total
            self._changes += 1

    def advance(self, n: int = 1) -> None:
        """Record ``n`` more units done."""
        with self._lock:
            self._done += n
            self._changes += 1

    def note(self, message: str) -> None:
        """Record a status line (the latest one is sent)."""
        with self._lock:
            self._message = message[:MESSAGE_LIMIT]
            self._changes += 1

    def read(self) -> Reading:
        """Return what the relay holds now."""
        with self._lock:
            total = None if self._total is None else self._finished + self._total
            return Reading(self._changes, self._finished + self._done, total, self._message)


async def notify_progress(
    relay: RelayProgress,
    send: Callable[[float, float | None, str | None], Awaitable[None]],
    *,
    poll: float = POLL,
    heartbeat: float = HEARTBEAT,
) -> None:
    """Send ``relay``'s progress until cancelled: on each change, and at least every ``heartbeat``.

    The first notification goes out at once. ``send`` failing (the client went away) stops
    nothing: the call ends or is cancelled by the transport.
    """
    seen, sent, last = -1, -math.inf, -math.inf
    while True:
        reading = relay.read()
        now = anyio.current_time()
        if reading.changes != seen or now - last >= heartbeat:
            value = reading.done if reading.done > sent else round(sent + STEP, 6)
            total = reading.total if reading.total is not None and reading.total >= value else None
            # A transport that is gone: the call is about to be cancelled.
            with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
                await send(value, total, reading.message)
            seen, sent, last = reading.changes, value, now
        await anyio.sleep(poll)
