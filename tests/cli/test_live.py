"""Gates as they run and finish: a rich live table on a terminal, lines otherwise, none in JSON."""

from __future__ import annotations

import io
import threading
import time
from typing import TYPE_CHECKING

from rich.console import Console

from hephaestus.cli.environment import Environment, OutputFormat
from hephaestus.cli.live import live_results, result_line
from hephaestus.gates.models import Finding, GateResult, GateStatus, Severity

if TYPE_CHECKING:
    import pytest

    from hephaestus.cli.live import GateWatcher

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


class Clock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        """The time now, in seconds."""
        return self.now


def _environment(
    monkeypatch: pytest.MonkeyPatch, stream: io.StringIO, fmt: OutputFormat
) -> Environment:
    monkeypatch.setattr("sys.stderr", stream)
    return Environment(format=fmt)


def _frame(watcher: GateWatcher) -> list[str]:
    """Render the terminal view once, as a terminal 80 columns wide would show it."""
    out = io.StringIO()
    Console(file=out, force_terminal=True, color_system=None, width=80).print(watcher)
    return [line.rstrip() for line in out.getvalue().splitlines()]


def _row(frame: list[str], gate: str) -> list[str]:
    """The cells of the one row naming ``gate``."""
    rows = [line.split() for line in frame if line.split()[:1] == [gate]]
    assert len(rows) == 1, frame
    return rows[0]


def test_result_line_counts_findings_and_hides_cache_reason() -> None:
    """A line names the gate, its status, its time and its findings."""
    assert result_line(FAILED) == "mypy: failed (1.2 s, 1 finding)"
    assert result_line(CACHED) == "ruff-check: cached (0.0 s)"


def test_lines_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Off a terminal each finished gate is one line on stderr, and a start writes nothing."""
    stream = io.StringIO()
    with live_results(_environment(monkeypatch, stream, OutputFormat.text)) as watcher:
        watcher.started("mypy")
        assert stream.getvalue() == ""
        watcher.finished(FAILED)
        assert stream.getvalue() == "mypy: failed (1.2 s, 1 finding)\n"
        watcher.finished(CACHED)
    assert stream.getvalue().splitlines() == [result_line(FAILED), result_line(CACHED)]


def test_nothing_in_json_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """In JSON mode nothing is written as gates start and finish, even on a terminal."""
    stream = Terminal()
    with live_results(_environment(monkeypatch, stream, OutputFormat.json)) as watcher:
        watcher.started("mypy")
        watcher.finished(FAILED)
    assert stream.getvalue() == ""


def test_running_gate_shows_its_elapsed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A running gate is named with a time that advances at each render, with no new event."""
    clock = Clock()
    env = _environment(monkeypatch, Terminal(), OutputFormat.text)
    with live_results(env, clock=clock) as watcher:
        watcher.started("mypy")
        clock.now += 0.4
        assert _row(_frame(watcher), "mypy")[2:] == ["running", "0.4", "s"]
        clock.now += 12.5
        assert _row(_frame(watcher), "mypy")[-2:] == ["12.9", "s"]


def test_running_gates_in_start_order_below_finished_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Finished gates come first, in finishing order, then the running ones in start order."""
    clock = Clock()
    env = _environment(monkeypatch, Terminal(), OutputFormat.text)
    with live_results(env, clock=clock) as watcher:
        for name in ("pytest", "mypy", "yamllint"):
            watcher.started(name)
            clock.now += 1
        watcher.finished(FAILED)
        watcher.finished(CACHED)
        names = [line.split()[0] for line in _frame(watcher)]
    assert names == ["gate", "mypy", "ruff-check", "pytest", "yamllint"]


def test_finishing_moves_a_gate_to_the_finished_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """A finished gate leaves the running list; its row shows status, duration and findings."""
    clock = Clock()
    env = _environment(monkeypatch, Terminal(), OutputFormat.text)
    with live_results(env, clock=clock) as watcher:
        watcher.started("mypy")
        clock.now += 3
        watcher.finished(FAILED)
        frame = _frame(watcher)
    assert _row(frame, "mypy") == ["mypy", "failed", "1.2", "s", "1"]
    assert not any("running" in line for line in frame)


def test_idle_board_shows_a_spinner(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no gate running (preparing, or only cached results) a spinner says work goes on."""
    env = _environment(monkeypatch, Terminal(), OutputFormat.text)
    with live_results(env) as watcher:
        assert any("working…" in line for line in _frame(watcher))
        watcher.started("mypy")
        assert not any("working…" in line for line in _frame(watcher))


def test_live_view_is_drawn_and_cleared_on_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal the live table is drawn on stderr with running and finished gates."""
    clock = Clock()
    stream = Terminal()
    with live_results(_environment(monkeypatch, stream, OutputFormat.text), clock=clock) as watcher:
        watcher.started("pytest")
        watcher.finished(FAILED)
        clock.now += 7
    output = stream.getvalue()
    assert "pytest" in output
    assert "7.0 s" in output
    assert "mypy" in output
    assert "failed" in output
    assert "\x1b[?25h" in output  # the cursor is shown again
    assert output.endswith("\x1b[2K")  # and the transient view erased


def test_concurrent_events_while_refreshing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many threads starting and finishing gates while the view refreshes: each ends once."""
    names = [f"gate-{number:02}" for number in range(40)]
    env = _environment(monkeypatch, Terminal(), OutputFormat.text)
    with live_results(env) as watcher:
        barrier = threading.Barrier(len(names))

        def run(name: str) -> None:
            barrier.wait()
            for _ in range(20):  # a stretch of churn on the running list
                watcher.started(f"{name}-probe")
                watcher.finished(
                    GateResult(name=f"{name}-probe", status="passed", required=True, duration=0)
                )
            watcher.started(name)
            time.sleep(0.01)
            watcher.finished(GateResult(name=name, status="passed", required=True, duration=0))

        threads = [threading.Thread(target=run, args=(name,)) for name in names]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            _frame(watcher)  # render from this thread too, as rich's refresh thread does
        for thread in threads:
            thread.join()
        frame = _frame(watcher)
    for name in names:
        assert _row(frame, name)[1] == "passed"
    assert not any("running" in line for line in frame)
