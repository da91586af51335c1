"""Gate results as they finish: a live table on a terminal, one line each otherwise (stderr)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from hephaestus.cli.environment import OutputFormat

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from hephaestus.cli.environment import Environment
    from hephaestus.gates.models import GateResult

STYLES = {
    "passed": "green",
    "cached": "green",
    "failed": "bold red",
    "could-not-run": "bold magenta",
    "skipped": "dim",
}


def result_line(result: GateResult) -> str:
    """One line about one finished gate."""
    count = result.finding_count
    counts = f", {count} finding{'s' if count != 1 else ''}" if count else ""
    reason = f": {result.reason}" if result.reason and result.status != "cached" else ""
    return f"{result.name}: {result.status.value} ({result.duration:.1f} s{counts}){reason}"


@contextmanager
def live_results(env: Environment) -> Iterator[Callable[[GateResult], None]]:
    """Yield a callback showing each result as it arrives (nothing in JSON mode)."""
    if env.format is OutputFormat.json:
        yield lambda _result: None
        return
    if not env.stderr.isatty():

        def write(result: GateResult) -> None:
            env.stderr.write(result_line(result) + "\n")
            env.stderr.flush()

        yield write
        return
    from rich.console import Console  # noqa: PLC0415  # only on a terminal
    from rich.live import Live  # noqa: PLC0415
    from rich.spinner import Spinner  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415

    rows: list[GateResult] = []

    def table() -> Table:
        grid = Table("gate", "status", "time", "findings", box=None)
        for row in rows:
            style = STYLES[row.status.value]
            grid.add_row(
                row.name,
                row.status.value,
                f"{row.duration:.1f} s",
                str(row.finding_count),
                style=style,
            )
        grid.add_row(Spinner("dots", "running…"), "", "", "")
        return grid

    with Live(
        table(), console=Console(file=env.stderr), transient=True, refresh_per_second=8
    ) as live:

        def update(result: GateResult) -> None:
            rows.append(result)
            live.update(table())

        yield update
