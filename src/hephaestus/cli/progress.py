"""Progress on stderr: a rich display on a terminal in text mode, nothing otherwise."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from hephaestus.cli.environment import wants_color
from hephaestus.core.progress import NO_PROGRESS, Progress

if TYPE_CHECKING:
    from collections.abc import Iterator

    from hephaestus.cli.environment import Environment


class RichProgress:
    """Adapts :class:`~hephaestus.core.progress.Progress` to one rich progress task."""

    def __init__(self, display: Any, description: str) -> None:  # noqa: ANN401  # rich object
        self._display = display
        self._task = display.add_task(description, total=None)

    def start(self, total: int | None) -> None:
        """Restart the task with ``total`` units (``None``: unknown, a counter)."""
        self._display.reset(self._task, total=total)

    def advance(self, n: int = 1) -> None:
        """Advance the task."""
        self._display.advance(self._task, n)

    def note(self, message: str) -> None:
        """Show ``message`` as the task's description."""
        self._display.update(self._task, description=message)


@contextmanager
def progress_for(env: Environment, description: str) -> Iterator[Progress]:
    """Yield a progress sink: rich where :meth:`Environment.shows_progress`, else a no-op.

    That is, on a terminal stderr in text mode, without ``--quiet`` or ``--color never`` (which
    promises no escape sequences, so no redrawn bar); colourless where colour is not wanted.
    """
    if not env.shows_progress(env.stderr):
        yield NO_PROGRESS
        return
    from rich.console import Console  # noqa: PLC0415  # only on a terminal
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        MofNCompleteColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import Progress as RichDisplay  # noqa: PLC0415

    display = RichDisplay(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(file=env.stderr, no_color=not wants_color(env.color, env.stderr)),
        transient=True,
    )
    with display:
        yield RichProgress(display, description)
