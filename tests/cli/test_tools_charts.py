"""The analytics text tables through the CLI: score bars, sparklines, no empty columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from tests.cli.test_tools import built, here

if TYPE_CHECKING:
    from tests.conftest import Cli

__all__ = ["built", "here"]  # test_tools' fixtures: the known history, a private copy of it


def _row(stdout: str, path: str) -> str:
    return next(line for line in stdout.splitlines() if line.rstrip().endswith(path))


@pytest.mark.usefixtures("here")
def test_hotspots_draw_a_bar_and_a_sparkline_once_history_is_stored(cli: Cli) -> None:
    """First run: bars, no history or ingested column; second run: a sparkline per file."""
    first = cli("--color", "never", "tools", "refactor", "hotspots")
    assert first.exit_code == 0, first.stderr
    header = first.stdout.splitlines()[1].split()
    assert header == ["score", "commits", "complexity", "path"]
    assert "█" * 8 in _row(first.stdout, "pkg/core.py")  # the top score fills the bar
    assert "\x1b" not in first.stdout
    second = cli("--color", "never", "tools", "refactor", "hotspots", "--trend")
    assert second.stdout.splitlines()[1].split() == [
        "score", "history", "commits", "complexity", "trend", "path",
    ]  # fmt: skip
    assert "██" in _row(second.stdout, "pkg/core.py").split("█" * 8, 1)[1]


@pytest.mark.usefixtures("here")
def test_rankings_and_coupling_show_bars_without_empty_columns(cli: Cli) -> None:
    """No coverage: the all-'-' coverage column is left out; coupling degrees get bars."""
    out = cli("tools", "refactor", "rankings", "--no-store")
    assert out.exit_code == 0, out.stderr
    assert "coverage" not in out.stdout.splitlines()[2]
    assert "missing: coverage" in out.stdout
    pairs = cli("tools", "refactor", "coupling", "--min-revs", "1", "--min-degree", "1")
    assert "█" in pairs.stdout
