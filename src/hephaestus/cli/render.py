"""Swap renderers, not data: one result model, rendered as JSON or as text.

``--format json`` writes exactly one JSON document (``model_dump(mode="json")``) to stdout.
Text is described by a few neutral blocks (:class:`Fields`, :class:`Table`, :class:`Line`) that
become rich renderables on a colour terminal and plain aligned text otherwise, so piping output
never imports rich nor carries escape codes. Either way numbers are right-aligned in tables.

Data reaches stdout only through :func:`write_data`: a stdout that is closed (the reader of a
pipe went away) or full (``> /dev/full``, a full disk) becomes one ``ExternalError`` (exit 5), and
the descriptor is pointed at ``/dev/null`` so that nothing fails again when Python exits.
"""

from __future__ import annotations

import errno
import json
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from hephaestus.cli.environment import OutputFormat, wants_color
from hephaestus.core.errors import ExternalError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import TextIO

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

_NUMBER = re.compile(r"[-+]?\d[\d,_]*(?:\.\d+)?(?: ?(?:%|[KMGT]iB|B|ms|s))?")
_MARKER_LENGTH = 3
"""A cell of at most this many characters and no digit ("-", "—", "new") stands for a number."""


def numeric_columns(table: Table) -> list[bool]:
    """Which columns of ``table`` hold numbers (right-aligned in text), in column order.

    A column is numeric when at least one cell is a number (``12``, ``0.850``, ``+0.1``,
    ``85%``, ``1.5 KiB``, ``3.2 s``) and every other cell is a short marker without a digit
    standing for a missing one (``-``, ``—``, ``new``).
    """

    def kind(cell: str) -> str:
        if _NUMBER.fullmatch(cell):
            return "number"
        marker = len(cell) <= _MARKER_LENGTH and not any(c.isdigit() for c in cell)
        return "marker" if marker else "text"

    kinds = [{kind(row[i]) for row in table.rows} for i in range(len(table.columns))]
    return ["number" in found and "text" not in found for found in kinds]


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
            right = numeric_columns(block)
            out.extend(
                "  ".join(
                    cell.rjust(w) if r else cell.ljust(w)
                    for cell, w, r in zip(row, widths, right, strict=True)
                ).rstrip()
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
            for name, right in zip(block.columns, numeric_columns(block), strict=True):
                table.add_column(name, justify="right" if right else "left")
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


STDOUT_FAILED = "stdout-failed"
"""The error code of a stdout that cannot take the output."""


def silence(stream: TextIO) -> None:
    """Point ``stream``'s descriptor at ``/dev/null``: its buffered bytes then go nowhere.

    After a write to a closed pipe or a full device failed, the interpreter would try again
    when it flushes at exit and print a traceback of its own; now that flush succeeds.
    """
    inner = stream.stream if isinstance(stream, WatchedStream) else stream
    if inner is None:  # stdout was closed before the process started: nothing to point
        return
    try:
        descriptor = inner.fileno()
    except (OSError, ValueError):  # no descriptor (a test's buffer) or already closed
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, descriptor)
    finally:
        os.close(null)


def stdout_failed(exc: OSError, stream: TextIO) -> ExternalError:
    """Return the one-line error of a failed write to stdout, after silencing ``stream``."""
    silence(stream)
    reason = exc.strerror or type(exc).__name__
    return ExternalError(
        f"cannot write the output to stdout: {reason}",
        hint="stdout was closed (the reader of the pipe went away) or its device is full",
        code=STDOUT_FAILED,
    )


class WatchedStream:
    """A text stream that remembers the ``OSError`` a write or flush raised, then raises it.

    The error handler puts one in front of ``sys.stdout`` while a command runs: an ``OSError``
    that escapes a command is then known to be stdout's (a closed pipe, a full disk) rather than
    a bug, even when it came from code that writes to stdout itself (Typer's help, ``schema``).
    A stdout closed before the process started (``>&-``: ``sys.stdout`` is None) fails every
    write with ``EBADF``, like any other closed stdout.
    """

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.error: OSError | None = None

    def _closed(self) -> OSError:
        return OSError(errno.EBADF, os.strerror(errno.EBADF))

    def write(self, text: str) -> int:
        """Write ``text`` to the stream, remembering an ``OSError``."""
        try:
            if self.stream is None:
                raise self._closed()
            return self.stream.write(text)
        except OSError as exc:
            self.error = exc
            raise

    def flush(self) -> None:
        """Flush the stream, remembering an ``OSError``."""
        try:
            if self.stream is not None:
                self.stream.flush()
        except OSError as exc:
            self.error = exc
            raise

    def isatty(self) -> bool:
        """Whether the stream is a terminal (a missing one is not)."""
        return self.stream is not None and self.stream.isatty()

    def fileno(self) -> int:
        """Return the stream's descriptor; raise ``EBADF`` for a missing one."""
        if self.stream is None:
            raise self._closed()
        return self.stream.fileno()

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401  # whatever the stream has
        return getattr(self.stream, name)


def write_data(stream: TextIO, text: str) -> None:
    """Write ``text`` to stdout and flush it.

    Raises:
        ExternalError: stdout is closed or full (exit 5); see :func:`stdout_failed`.

    """
    try:
        stream.write(text)
        stream.flush()
    except OSError as exc:
        raise stdout_failed(exc, stream) from exc


def emit(env: Environment, result: M, text: Callable[[M], Sequence[Block]]) -> None:
    """Write ``result`` to stdout in the format ``env`` asks for.

    Raises:
        ExternalError: stdout is closed or full (exit 5).

    """
    if env.format is OutputFormat.json:
        write_data(env.stdout, json_document(result.model_dump(mode="json")) + "\n")
        return
    blocks = text(result)
    if wants_color(env.color, env.stdout):
        try:
            _rich(blocks, env)
            env.stdout.flush()
        except OSError as exc:
            raise stdout_failed(exc, env.stdout) from exc
    else:
        write_data(env.stdout, plain(blocks))
