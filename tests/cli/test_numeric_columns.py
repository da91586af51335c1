"""Numbers are right-aligned in text tables, plain and rich; text columns stay left-aligned."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from pydantic import BaseModel

from hephaestus.cli.environment import ColorMode, Environment
from hephaestus.cli.render import Table, emit, numeric_columns, plain

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Cli

SIZES = Table(
    ["category", "paths", "size", "trend", "coverage"],
    [
        ["python-cache", "3", "1.5 KiB", "new", "85%"],
        ["coverage", "120", "512 B", "+0.125", "-"],
    ],
)


class Nothing(BaseModel):
    """A result whose text is :data:`SIZES`."""


@pytest.mark.parametrize(
    ("cells", "numeric"),
    [
        (["1", "22", "333"], True),
        (["0.850", "-1.5", "+0.1"], True),
        (["1.5 KiB", "512 B", "3.1 GiB"], True),
        (["85%", "7%", "—"], True),
        (["12.3 s", "0.4 s"], True),
        (["-", "—", ""], False),  # markers only: no number to align
        (["v1.0.0", "v2"], False),
        (["2026-12-01", "2026-11-30"], False),
        (["S", "M"], False),
        (["3", "three"], False),
    ],
)
def test_numeric_columns(cells: list[str], *, numeric: bool) -> None:
    """Numbers (with units, signs, %) and short markers for a missing one make a number column."""
    table = Table(["x"], [[cell] for cell in cells])
    assert numeric_columns(table) == [numeric]


def test_plain_right_aligns_numbers() -> None:
    """Plain text pads numbers on the left, headings included; text columns on the right."""
    assert plain([SIZES]).splitlines() == [
        "category      paths     size   trend  coverage",
        "python-cache      3  1.5 KiB     new       85%",
        "coverage        120    512 B  +0.125         -",
    ]


def _assert_right_aligned(heading: str, rows: list[str], columns: tuple[str, ...]) -> None:
    """Each row has a cell ending exactly where each of ``columns``' headings ends."""
    for column in columns:
        end = heading.index(column) + len(column)
        for row in rows:
            assert row[end - 1] != " ", (column, row)
            assert end == len(row) or row[end] == " ", (column, row)


def test_rich_right_aligns_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    """On a colour terminal rich justifies the same columns to the right."""
    emit(Environment(color=ColorMode.always), Nothing(), lambda _: [SIZES])
    lines = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out).splitlines()
    head = next(i for i, line in enumerate(lines) if "category" in line)
    rows = [lines[head + 2], lines[head + 3]]  # below the heading's rule
    assert "python-cache" in rows[0]
    _assert_right_aligned(lines[head], rows, ("paths", "size", "trend", "coverage"))
    assert rows[1].index("coverage") == lines[head].index("category")  # text: left


def test_cleanup_totals_right_align_counts_and_sizes(cli: Cli, tmp_path: Path) -> None:
    """`cleanup --dry-run`'s totals: the paths and size columns end under their headings."""
    root = tmp_path / "project"
    for package in ("a", "b"):
        (root / package / "__pycache__").mkdir(parents=True)
        (root / package / "__pycache__" / "m.pyc").write_bytes(b"\0" * 3000)
    (root / ".pytest_cache").mkdir()
    out = cli("cleanup", str(root), "--dry-run")
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("category"))
    _assert_right_aligned(lines[head], lines[head + 1 : head + 3], ("paths", "size"))
