"""Renderers: the same blocks as plain aligned text or as rich output; JSON on one line."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING

import pytest
from pydantic import BaseModel

from hephaestus.cli.environment import ColorMode, Environment, OutputFormat, wants_color
from hephaestus.cli.render import Block, Fields, Line, Table, emit, json_document, plain

if TYPE_CHECKING:
    from collections.abc import Sequence


class Sample(BaseModel):
    """A result with text that would wrap in a narrow terminal."""

    name: str
    items: list[int]


BLOCKS: list[Block] = [
    Line("summary line", style="bold"),
    Fields([("a", "1"), ("longer", "two")], title="fields"),
    Table(["gate", "status"], [["ruff", "passed"], ["mypy-strict", "failed"]], title="gates"),
]


def _blocks(_: Sample) -> Sequence[Block]:
    return BLOCKS


def test_plain_aligns_fields_and_tables() -> None:
    """Plain text aligns labels and columns with spaces and ends with one newline."""
    assert plain(BLOCKS) == (
        "summary line\n"
        "fields\n"
        "a:      1\n"
        "longer: two\n"
        "gates\n"
        "gate         status\n"
        "ruff         passed\n"
        "mypy-strict  failed\n"
    )


def test_plain_of_nothing_is_empty() -> None:
    """No blocks render as no output at all."""
    assert plain([]) == ""


def test_json_document_is_one_line_unescaped() -> None:
    """JSON documents are compact, one line, and keep non-ASCII text readable."""
    text = json_document({"name": "Ünïcode", "n": [1, 2]})
    assert "\n" not in text
    assert json.loads(text) == {"name": "Ünïcode", "n": [1, 2]}
    assert "Ü" in text


def test_emit_json_ignores_width(capsys: pytest.CaptureFixture[str]) -> None:
    """--format json writes the model as one document however long it is."""
    emit(Environment(format=OutputFormat.json), Sample(name="x" * 500, items=[1]), _blocks)
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert json.loads(out) == {"name": "x" * 500, "items": [1]}


def test_emit_text_in_colour_renders_every_block(capsys: pytest.CaptureFixture[str]) -> None:
    """With colour forced, rich renders lines, fields and tables with escape codes."""
    emit(Environment(color=ColorMode.always), Sample(name="x", items=[]), _blocks)
    out = capsys.readouterr().out
    assert "\x1b[" in out
    for word in ("summary line", "longer", "mypy-strict", "failed", "gates"):
        assert word in out


@pytest.mark.parametrize(
    ("mode", "env", "tty", "expected"),
    [
        (ColorMode.always, {"NO_COLOR": "1"}, False, True),
        (ColorMode.never, {"FORCE_COLOR": "1"}, True, False),
        (ColorMode.auto, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),
        (ColorMode.auto, {"FORCE_COLOR": "1"}, False, True),
        (ColorMode.auto, {}, True, True),
        (ColorMode.auto, {}, False, False),
    ],
)
def test_wants_color(
    monkeypatch: pytest.MonkeyPatch,
    mode: ColorMode,
    env: dict[str, str],
    tty: bool,
    expected: bool,
) -> None:
    """Colour: the flag first, then NO_COLOR, then FORCE_COLOR, then whether it is a terminal."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return tty

    assert wants_color(mode, Stream()) is expected
