"""Swap renderers, not data: one result model, rendered as JSON or as text.

``--format json`` writes exactly one JSON document (``model_dump(mode="json")``) to stdout.
Text is described by a few neutral blocks (:class:`Fields`, :class:`Table`, :class:`Line`) that
become rich renderables on a colour terminal and plain aligned text otherwise, so piping output
never imports rich nor carries escape codes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from hephaestus.cli.environment import OutputFormat, wants_color

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from pydantic import BaseModel

    from hephaestus.cli.environment import Environment

M = TypeVar("M", bound="BaseModel")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of text; ``style`` is a rich style used only on a colour terminal."""

    text: str
    style: str | None = None


@dataclass(frozen=True, slots=True)
class Fields:
    """Label-value pairs, labels aligned."""

    rows: Sequence[tuple[str, str]]
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """Rows under column headings."""

    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    title: str | None = None
    styles: Sequence[str | None] = field(default_factory=tuple)


Block = Line | Fields | Table


def plain(blocks: Sequence[Block]) -> str:
    """Render blocks as plain text: no colour, no wrapping, columns aligned with spaces."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Line):
            out.append(block.text)
            continue
        if block.title:
            out.append(block.title)
        if isinstance(block, Fields):
            width = max((len(label) for label, _ in block.rows), default=0)
            out.extend(f"{label + ':':<{width + 1}} {value}" for label, value in block.rows)
        else:
            grid = [list(block.columns), *[list(row) for row in block.rows]]
            widths = [max(len(row[i]) for row in grid) for i in range(len(block.columns))]
            out.extend(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                for row in grid
            )
    return "\n".join(out) + "\n" if out else ""


def _rich(blocks: Sequence[Block], env: Environment) -> None:
    from rich import box  # noqa: PLC0415  # rich only for a colour terminal
    from rich.console import Console  # noqa: PLC0415
    from rich.table import Table as RichTable  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    console = Console(file=env.stdout, force_terminal=True, highlight=False, soft_wrap=False)
    for block in blocks:
        if isinstance(block, Line):
            console.print(Text(block.text, style=block.style or ""))
        elif isinstance(block, Fields):
            grid = RichTable.grid(padding=(0, 2))
            grid.add_column(style="bold")
            grid.add_column()
            for label, value in block.rows:
                grid.add_row(label, value)
            if block.title:
                console.print(Text(block.title, style="bold underline"))
            console.print(grid)
        else:
            table = RichTable(title=block.title, box=box.SIMPLE_HEAD, title_justify="left")
            for name in block.columns:
                table.add_column(name)
            for i, row in enumerate(block.rows):
                style = block.styles[i] if i < len(block.styles) else None
                table.add_row(*row, style=style)
            console.print(table)


KIB = 1024


def human_bytes(size: int) -> str:
    """Format a byte count the way people read it: 512 B, 1.5 KiB, 2.0 MiB, 3.1 GiB."""
    if size < KIB:
        return f"{size} B"
    value = size / KIB
    for unit in ("KiB", "MiB"):
        if value < KIB:
            return f"{value:.1f} {unit}"
        value /= KIB
    return f"{value:.1f} GiB"


def json_document(data: Any) -> str:  # noqa: ANN401  # any JSON-able value
    """Serialise one JSON document, compact and on one line, never wrapped."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def emit(env: Environment, result: M, text: Callable[[M], Sequence[Block]]) -> None:
    """Write ``result`` to stdout in the format ``env`` asks for."""
    if env.format is OutputFormat.json:
        env.stdout.write(json_document(result.model_dump(mode="json")) + "\n")
        env.stdout.flush()
        return
    blocks = text(result)
    if wants_color(env.color, env.stdout):
        _rich(blocks, env)
    else:
        env.stdout.write(plain(blocks))
        env.stdout.flush()
