"""Score bars, sparklines and empty columns of the analytics text tables."""

from __future__ import annotations

from hephaestus.cli.charts import BAR_WIDTH, bar, scale, sparkline, without_empty_columns
from hephaestus.cli.render import Table, plain


def test_bar_is_proportional_in_half_characters_and_padded() -> None:
    """A bar is drawn in halves, padded to its width; any score above zero shows."""
    assert bar(1.0) == "█" * BAR_WIDTH
    assert bar(0.5) == "████    "
    assert bar(0.5625) == "████▌   "
    assert bar(0.001) == "▌       "
    assert bar(0.0) == " " * BAR_WIDTH
    assert bar(50, top=100.0) == "████    "
    assert bar(2.0) == "█" * BAR_WIDTH  # beyond the top: full, never wider


def test_scale_is_one_unless_a_score_is_above() -> None:
    """Scores of 0..1 share one scale; a strategy scoring above 1 stretches it."""
    assert scale([0.2, 0.5]) == 1.0
    assert scale([0.2, 1.3]) == 1.3
    assert scale([]) == 1.0


def test_sparkline_needs_history_and_keeps_a_fixed_scale() -> None:
    """One point is no history (empty); the scale runs from 0 to the top, not min to max."""
    assert sparkline([]) == ""
    assert sparkline([0.5]) == ""
    assert sparkline([0.0, 0.5, 1.0]) == "▁▅█"
    assert sparkline([0.50, 0.51]) == "▅▅"


def test_empty_columns_are_left_out() -> None:
    """A column of only empty or '-' cells is not shown; a column with one value is."""
    table = Table(
        ["score", "ingested", "coverage", "path"],
        [["1", "", "-", "a.py"], ["2", "", "50%", "b.py"]],
    )
    shown = without_empty_columns(table)
    assert shown.columns == ["score", "coverage", "path"]
    assert plain([shown]).splitlines()[0].split() == ["score", "coverage", "path"]
    assert without_empty_columns(Table(["a"], [])).columns == ["a"]
