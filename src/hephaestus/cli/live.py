"""Gates as they run and finish: a live table on a terminal, one line each otherwise (stderr).

Each view is the :class:`~hephaestus.gates.progress.GateProgress` the guard-rails operations
report to: it shows the typed gate events and ignores the plain progress ones.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING

from hephaestus.cli.environment import OutputFormat, wants_color
from hephaestus.cli.operation import spell
from hephaestus.core.errors import render_fields
from hephaestus.gates.progress import GateProgress

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import TextIO

    from rich.table import Table

    from hephaestus.cli.environment import Environment
    from hephaestus.gates.models import GateResult

STYLES = {
    "passed": "green",
    "cached": "green",
    "failed": "bold red",
    "baselined": "yellow",
    "could-not-run": "bold magenta",
    "skipped": "dim",
}


GateWatcher = GateProgress
"""What the operation tells the display; every method may be called from any thread."""


def spelt(text: str) -> str:
    """``text`` with the request fields it names spelt as this command's flags."""
    return render_fields(text, spell)


def result_line(result: GateResult) -> str:
    """One line about one finished gate."""
    count = result.finding_count
    counts = f", {count} finding{'s' if count != 1 else ''}" if count else ""
    reason = f": {spelt(result.reason)}" if result.reason and result.status != "cached" else ""
    return f"{result.name}: {result.status.value} ({result.duration:.1f} s{counts}){reason}"


class _Plain:
    """The plain progress events, ignored: the gate events carry everything a view shows."""

    def start(self, total: int | None) -> None:
        """Ignore the number of gates."""

    def advance(self, n: int = 1) -> None:
        """Ignore a count (a result follows)."""

    def note(self, message: str) -> None:
        """Ignore a note (a gate event follows)."""


class _Silent(_Plain):
    """JSON mode or ``--quiet``: stderr stays empty."""

    def started(self, name: str) -> None:
        """Show nothing."""

    def finished(self, result: GateResult) -> None:
        """Show nothing."""


class _Lines(_Plain):
    """Off a terminal (CI logs): one line per finished gate, none when a gate starts.

    A start line would double the log for little: gates start together, and every started gate
    ends in a result line (the runner's timeout guarantees it) that carries its duration.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def started(self, name: str) -> None:
        """Show nothing (see the class docstring)."""

    def finished(self, result: GateResult) -> None:
        """Write the result's line and flush it, so a CI log shows it at once."""
        with self._lock:
            self._stream.write(result_line(result) + "\n")
            self._stream.flush()


class _Board(_Plain):
    """On a terminal: the finished gates' rows, then each running gate with its elapsed time.

    The board is itself the rich renderable: rich's refresh thread calls :meth:`__rich__` several
    times a second, so elapsed times move even when no gate starts or finishes.
    """

    def __init__(self, *, clock: Callable[[], float]) -> None:
        from rich.spinner import Spinner  # noqa: PLC0415  # only on a terminal

        self._clock = clock
        self._lock = threading.Lock()
        self._running: dict[str, float] = {}  # name -> start time, in start order
        self._finished: list[GateResult] = []
        # One spinner for every row: a spinner animates from its first render, so it must last.
        self._spinner = Spinner("dots", "running", style="cyan")
        self._idle = Spinner("dots", "working…")

    def started(self, name: str) -> None:
        """Add ``name`` to the running gates, its clock starting now."""
        with self._lock:
            self._running[name] = self._clock()

    def finished(self, result: GateResult) -> None:
        """Move ``result``'s gate from the running gates (if there) to the finished rows."""
        with self._lock:
            self._running.pop(result.name, None)
            self._finished.append(result)

    def __rich__(self) -> Table:
        """Return the table as of now (the caller is rich, at each refresh)."""
        from rich.table import Table  # noqa: PLC0415  # only on a terminal

        with self._lock:
            finished = list(self._finished)
            running = list(self._running.items())
        now = self._clock()
        grid = Table("gate", "status", box=None)
        grid.add_column("time", justify="right")
        grid.add_column("findings", justify="right")
        for row in finished:
            grid.add_row(
                row.name,
                row.status.value,
                f"{row.duration:.1f} s",
                str(row.finding_count),
                style=STYLES[row.status.value],
            )
        for name, start in running:
            grid.add_row(name, self._spinner, f"{max(now - start, 0):.1f} s", "")
        if not running:  # preparing, between gates, or finishing: show that something moves
            grid.add_row(self._idle, "", "", "")
        return grid


@contextmanager
def live_results(
    env: Environment, *, clock: Callable[[], float] = time.monotonic
) -> Iterator[GateWatcher]:
    """Yield a :class:`GateWatcher` that shows gates as they start and finish, on stderr.

    On a terminal, a live table (cleared on exit) names each running gate with its elapsed
    time, measured with ``clock`` (colourless with ``NO_COLOR``); off a terminal or with
    ``--color never`` (no escape sequences at all), one :func:`result_line` per finished gate;
    in JSON mode or with ``--quiet``, nothing.
    """
    if env.format is OutputFormat.json or env.quiet:
        yield _Silent()
        return
    if not env.shows_progress(env.stderr):
        yield _Lines(env.stderr)
        return
    from rich.console import Console  # noqa: PLC0415  # only on a terminal
    from rich.live import Live  # noqa: PLC0415

    board = _Board(clock=clock)
    console = Console(file=env.stderr, no_color=not wants_color(env.color, env.stderr))
    with Live(board, console=console, transient=True, refresh_per_second=8):
        yield board
