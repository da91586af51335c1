"""How a guard-rails run reports gates starting and finishing, to whichever face watches.

Every :class:`~hephaestus.core.progress.Progress` receives the run as plain progress: ``start``
with the number of planned gates, a ``note`` as each gate starts (``"mypy: running"``) and
finishes (``"mypy: failed"``), and an ``advance`` per finished gate; an MCP face turns these
into progress notifications. A sink that is also a :class:`GateProgress` (the CLI's live table)
receives the typed events besides.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from hephaestus.core.progress import Progress

if TYPE_CHECKING:
    from hephaestus.gates.models import GateResult


@runtime_checkable
class GateProgress(Progress, Protocol):
    """A progress sink that also wants each gate's start and result, typed."""

    def started(self, name: str) -> None:
        """Gate ``name``'s tool is about to run (never called for cached or skipped gates)."""

    def finished(self, result: GateResult) -> None:
        """Gate ``result.name`` finished: passed, failed, cached, skipped or could-not-run."""


class GateEvents:
    """Hands the runner's gate events to one :class:`Progress`, one call at a time.

    Gates start on worker threads and finish on the calling one: a lock keeps a sink that is
    not thread-safe (a notification stream) from receiving two events at once.
    """

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._typed = progress if isinstance(progress, GateProgress) else None
        self._lock = threading.Lock()

    def planned(self, total: int) -> None:
        """``total`` gates will each end with a result."""
        with self._lock:
            self._progress.start(total)

    def started(self, name: str) -> None:
        """Gate ``name``'s tool starts (called from the gate's worker thread)."""
        with self._lock:
            self._progress.note(f"{name}: running")
            if self._typed is not None:
                self._typed.started(name)

    def finished(self, result: GateResult) -> None:
        """Record the result of a planned gate."""
        with self._lock:
            self._progress.note(f"{result.name}: {result.status.value}")
            self._progress.advance()
            if self._typed is not None:
                self._typed.finished(result)
