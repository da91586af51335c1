"""Gate results as they finish: a rich live table on a terminal, lines otherwise, none in JSON."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from hephaestus.cli.environment import Environment, OutputFormat
from hephaestus.cli.live import live_results, result_line
from hephaestus.gates.models import Finding, GateResult, GateStatus, Severity

if TYPE_CHECKING:
    import pytest

FAILED = GateResult(
    name="mypy",
    status=GateStatus.failed,
    required=True,
    duration=1.25,
    findings=(
        Finding(gate="mypy", rule="x", severity=Severity.error, message="m", path="a.py", line=1),
    ),
)
CACHED = GateResult(
    name="ruff-check", status=GateStatus.cached, required=True, duration=0, reason="unchanged"
)


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        """Claim to be a terminal."""
        return True


def _environment(
    monkeypatch: pytest.MonkeyPatch, stream: io.StringIO, fmt: OutputFormat
) -> Environment:
    monkeypatch.setattr("sys.stderr", stream)
    return Environment(format=fmt)


def test_result_line_counts_findings_and_hides_cache_reason() -> None:
    """A line names the gate, its status, its time and its findings."""
    assert result_line(FAILED) == "mypy: failed (1.2 s, 1 finding)"
    assert result_line(CACHED) == "ruff-check: cached (0.0 s)"


def test_lines_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Off a terminal each result is one line on stderr, as it arrives."""
    stream = io.StringIO()
    with live_results(_environment(monkeypatch, stream, OutputFormat.text)) as show:
        show(FAILED)
        assert stream.getvalue() == "mypy: failed (1.2 s, 1 finding)\n"


def test_nothing_in_json_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """In JSON mode nothing is written as gates finish."""
    stream = Terminal()
    with live_results(_environment(monkeypatch, stream, OutputFormat.json)) as show:
        show(FAILED)
    assert stream.getvalue() == ""


def test_live_table_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal a live table shows each finished gate while the others run."""
    stream = Terminal()
    with live_results(_environment(monkeypatch, stream, OutputFormat.text)) as show:
        show(FAILED)
        show(CACHED)
    output = stream.getvalue()
    assert "mypy" in output
    assert "ruff-check" in output
    assert "running" in output
