"""How long operations report progress without knowing who is watching.

The CLI adapts :class:`Progress` to a progress bar on stderr; an API can adapt it to server-sent
events. Operations default to :data:`NO_PROGRESS`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Progress(Protocol):
    """Receives progress from a long operation. Implementations must be cheap and never raise."""

    def start(self, total: int | None) -> None:
        """Begin a phase of ``total`` units of work (``None`` when the total is unknown)."""

    def advance(self, n: int = 1) -> None:
        """Record ``n`` more units done."""

    def note(self, message: str) -> None:
        """Show a short human-readable status line."""


class NullProgress:
    """A :class:`Progress` that ignores everything: the default for library callers."""

    def start(self, total: int | None) -> None:
        """Ignore the start of a phase."""

    def advance(self, n: int = 1) -> None:
        """Ignore progress."""

    def note(self, message: str) -> None:
        """Ignore a note."""


NO_PROGRESS: Progress = NullProgress()
