"""``--color never`` means no escape sequence on a terminal: no colour, no redrawn progress.

The end-to-end tests run the real CLI on a pseudo-terminal (POSIX, as CI is).
"""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
from typing import TYPE_CHECKING

from hephaestus.cli.environment import ColorMode, Environment, OutputFormat
from hephaestus.cli.live import live_results
from hephaestus.cli.progress import progress_for
from hephaestus.core.progress import NO_PROGRESS
from hephaestus.gates.models import GateResult, GateStatus

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

ESCAPE = re.compile(r"\x1b[\[\]()#;?0-9A-Za-z]")
"""The start of any escape sequence: colour (SGR), cursor movement, erasing, titles."""


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        """Claim to be a terminal."""
        return True


def _on_a_terminal(argv: list[str], cwd: Path) -> str:
    """Run ``hephaestus argv`` with stdin, stdout and stderr on a pseudo-terminal; return all."""
    env = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "FORCE_COLOR"}}
    env |= {"TERM": "xterm-256color", "COLUMNS": "80"}
    leader, follower = pty.openpty()
    with subprocess.Popen(  # our own interpreter and module
        [sys.executable, "-m", "hephaestus", *argv],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=cwd,
        env=env,
    ) as child:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            chunks.append(chunk)
        child.wait(timeout=60)
    os.close(leader)
    assert child.returncode == 0, b"".join(chunks)
    return b"".join(chunks).decode("utf-8", "replace")


def _debris(tmp_path: Path) -> Path:
    """Make a project with a little debris beside the test's HOME (never above it)."""
    root = tmp_path / "project"
    (root / "pkg" / "__pycache__").mkdir(parents=True)
    (root / "pkg" / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"\0" * 2048)
    (root / ".pytest_cache").mkdir()
    return root


def test_color_never_writes_no_escape_sequence_on_a_terminal(tmp_path: Path) -> None:
    """The real CLI on a pty with --color never: plain text, no progress redraws, no colour."""
    output = _on_a_terminal(["--color", "never", "cleanup", "--dry-run"], _debris(tmp_path))
    assert "python-cache" in output
    assert not ESCAPE.search(output), repr(output)


def test_color_always_on_a_terminal_does_write_escapes(tmp_path: Path) -> None:
    """The same run with --color always shows escapes: the pty really is a terminal."""
    output = _on_a_terminal(["--color", "always", "cleanup", "--dry-run"], _debris(tmp_path))
    assert ESCAPE.search(output), repr(output)


def test_progress_is_off_with_color_never_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal stderr, --color never (and --quiet) give no progress display at all."""
    monkeypatch.setattr("sys.stderr", Terminal())
    for env in (Environment(color=ColorMode.never), Environment(quiet=True)):
        with progress_for(env, "scanning") as sink:
            assert sink is NO_PROGRESS
    with progress_for(Environment(), "scanning") as sink:
        assert sink is not NO_PROGRESS


def test_live_table_becomes_lines_with_color_never(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal, --color never shows one plain line per gate instead of the live table."""
    stream = Terminal()
    monkeypatch.setattr("sys.stderr", stream)
    env = Environment(format=OutputFormat.text, color=ColorMode.never)
    with live_results(env) as watcher:
        watcher.started("mypy")
        watcher.finished(
            GateResult(name="mypy", status=GateStatus.passed, required=True, duration=0.5)
        )
    assert stream.getvalue() == "mypy: passed (0.5 s)\n"


def test_quiet_silences_the_live_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """With --quiet nothing is written about gates as they run, on a terminal or not."""
    stream = Terminal()
    monkeypatch.setattr("sys.stderr", stream)
    with live_results(Environment(quiet=True)) as watcher:
        watcher.started("mypy")
        watcher.finished(
            GateResult(name="mypy", status=GateStatus.passed, required=True, duration=0.5)
        )
    assert stream.getvalue() == ""
