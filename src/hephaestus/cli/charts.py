"""Small charts drawn with characters inside text tables: score bars, sparklines.

Both are plain Unicode block characters, no colour and no escape code, so they read the same in
a colour terminal, with ``--color never`` and in a pipe. Neither is ever drawn from invented
data: a sparkline needs stored scores (an empty cell otherwise).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from hephaestus.cli.render import Table

if TYPE_CHECKING:
    from collections.abc import Sequence

BAR_WIDTH: Final = 8
"""Characters of a full bar; a bar is drawn in half characters."""
FULL, HALF = "█", "▌"
TICKS: Final = "▁▂▃▄▅▆▇█"
EMPTY_CELLS: Final = frozenset({"", "-"})
"""Cells that hold nothing: a column of only these is left out of a table."""


def scale(values: Sequence[float]) -> float:
    """Return the top of the scale for ``values``: 1.0, or the largest when one is above 1."""
    return max(1.0, *values) if values else 1.0


def bar(value: float, *, top: float = 1.0, width: int = BAR_WIDTH) -> str:
    """Draw ``value`` out of ``top`` as a bar of ``width`` characters, padded with spaces.

    The length is rounded to half a character; a value above zero shows at least a half.
    """
    fraction = min(max(value / top, 0.0), 1.0) if top > 0 else 0.0
    halves = round(fraction * width * 2)
    if value > 0 and halves == 0:
        halves = 1
    drawn = FULL * (halves // 2) + (HALF if halves % 2 else "")
    return drawn.ljust(width)


def sparkline(points: Sequence[float], *, top: float = 1.0) -> str:
    """One tick per point, from ``▁`` (0) to ``█`` (``top``); empty for fewer than two points.

    The scale is fixed (0 to ``top``), not stretched between the smallest and largest point, so a
    score that barely moved draws a flat line rather than a cliff.
    """
    if len(points) < 2:  # noqa: PLR2004  # one point is no history
        return ""
    last = len(TICKS) - 1
    return "".join(
        TICKS[round(min(max(p / top, 0.0), 1.0) * last) if top > 0 else 0] for p in points
    )


def without_empty_columns(table: Table) -> Table:
    """Return ``table`` without the columns whose every cell is empty (``""`` or ``"-"``).

    A table without rows keeps its columns: there is nothing to judge them by.
    """
    if not table.rows:
        return table
    keep = [
        i for i in range(len(table.columns)) if any(row[i] not in EMPTY_CELLS for row in table.rows)
    ]
    if len(keep) == len(table.columns):
        return table
    return Table(
        columns=[table.columns[i] for i in keep],
        rows=[[row[i] for i in keep] for row in table.rows],
        title=table.title,
        styles=table.styles,
    )
