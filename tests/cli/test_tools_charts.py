"""The analytics text tables through the CLI: score bars, sparklines, no empty columns."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest
from tests.analytics.history import build_history

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Cli

CONFIG = '[tool.hephaestus.analytics]\nsince = "2000-01-01"\nlarge-commit = 3\n'


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The known history, built once for this module."""
    root = tmp_path_factory.mktemp("charts") / "repo"
    build_history(root)
    return root


@pytest.fixture
def here(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy as the current directory, with an untracked pyproject.toml."""
    root = tmp_path / "repo"
    shutil.copytree(built, root)
    (root / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(root)
    return root


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
