"""One tool call in-process: a bug is an error result without its traceback, which is logged."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.mcp.fakes import CRASH

from hephaestus.core.process_groups import Cancellation
from hephaestus.core.progress import NO_PROGRESS
from hephaestus.mcp.calls import SUMMARY_LIMIT, run_tool, summarize
from hephaestus.mcp.tools import tool_spec

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_a_bug_is_an_internal_error_result_and_a_logged_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An exception that is no HephaestusError: internal-error, exit 70, details in the log."""
    outcome = run_tool(
        tool_spec(CRASH),
        {},
        root=tmp_path,
        run_id="test-1",
        progress=NO_PROGRESS,
        cancellation=Cancellation(),
    )
    assert outcome.is_error
    error = outcome.structured["error"]
    assert (error["code"], error["exit_code"]) == ("internal-error", 70)
    assert error["message"] == "crash failed: internal error (RuntimeError)"
    assert "secret detail" not in outcome.text
    assert "bug" in error["hint"]
    logged = capsys.readouterr().err
    assert "Traceback" in logged
    assert "secret detail of a bug" in logged


def test_the_text_content_is_one_short_line() -> None:
    """Scalars as they are, lists and objects as their length, cut to a limit."""
    text = summarize("tool", {"a": 1, "b": [1, 2], "c": {"x": 1}, "d": None, "e": "z" * 2000})
    assert text.startswith("tool: a=1, b: 2, c: 1, e=zzz")
    assert "\n" not in text
    assert len(text) < SUMMARY_LIMIT + 60
