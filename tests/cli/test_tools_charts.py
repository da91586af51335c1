"""The analytics text tables through the CLI: score bars, sparklines, no empty columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from tests.analytics.history import commit
from tests.cli.test_tools import built, here

if TYPE_CHECKING:
    from pathlib import Path

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


def _starting(stdout: str, word: str) -> list[str]:
    return next(line.split() for line in stdout.splitlines() if line.startswith(word))


def test_trends_table_first_last_and_sparklines(cli: Cli, here: Path) -> None:
    """Two analysed commits: complexity 14 -> 16, pkg/util.py scored 0.222 then 0.556."""
    assert cli("tools", "refactor", "hotspots").exit_code == 0
    with (here / "pkg/util.py").open("a", encoding="utf-8") as handle:
        handle.write("\n\ndef extra(x):\n    return 1 if x else 2\n")
    commit(here, "dave", 6, "extra")
    assert cli("tools", "refactor", "hotspots").exit_code == 0
    out = cli("--color", "never", "tools", "refactor", "trends")
    assert out.exit_code == 0, out.stderr
    assert "2 snapshot(s), 2 analysed commit(s)" in out.stdout
    assert _starting(out.stdout, "complexity")[:4] == ["complexity", "14", "16", "+2"]
    util = _starting(out.stdout, "pkg/util.py")
    assert util[:3] == ["pkg/util.py", "0.556", "+0.333"]
    assert util[3] == "▃▅"  # round(0.222 * 7) = 2, round(0.556 * 7) = 4 of ▁..█ on 0-1
    assert "missing coverage" in out.stdout
