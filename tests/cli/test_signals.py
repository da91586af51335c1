"""SIGTERM and Ctrl-C end the installed `hephaestus`: its tools' groups stopped, 143 or 130."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from hephaestus.cli.handler import Terminated, guarded, sigterm_raises
from hephaestus.core.errors import ExitCode

if TYPE_CHECKING:
    from collections.abc import Iterator

HEPHAESTUS = str(Path(sys.executable).parent / "hephaestus")
# A `git` that hangs with a child in its group: `hephaestus config` asks git for the repository
# root (10 s timeout), so the signal arrives while hephaestus waits on a tool.
HANGING_GIT = """
import os, subprocess, sys, time

directory = sys.argv[0].rpartition("/bin/")[0]
child = subprocess.Popen([sys.executable, "-I", "-c", "import time; time.sleep(60)"])
with open(os.path.join(directory, "pids.tmp"), "w") as f:
    f.write(f"{os.getpid()} {child.pid}")
os.replace(os.path.join(directory, "pids.tmp"), os.path.join(directory, "pids"))
time.sleep(60)
"""
STOP_BOUND = 2.0
"""Seconds within which hephaestus must exit once signalled (and its tools be gone)."""
LINUX_ONLY = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting for its reaper is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rpartition(")")[2].split()[0] not in {"Z", "X"}


class Launch:
    """``hephaestus … config`` started with a hanging ``git`` first on PATH."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.process: subprocess.Popen[str] | None = None

    @property
    def tools(self) -> list[int]:
        """The pids of the hanging git and its child, once git has noted them."""
        noted = self.directory / "pids"
        return (
            [int(pid) for pid in noted.read_text(encoding="utf-8").split()]
            if noted.exists()
            else []
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Start ``hephaestus args config``; return once git and its child run."""
        project = self.directory / "project"
        project.mkdir()
        path = f"{self.directory / 'bin'}{os.pathsep}{os.environ['PATH']}"
        self.process = process = subprocess.Popen(
            [HEPHAESTUS, *args, "config"],
            cwd=project,
            env={**os.environ, "PATH": path},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # a group of its own: the clean-up can stop all of it
        )
        deadline = time.monotonic() + 30
        while not self.tools:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "git was not started"
            time.sleep(0.01)
        return process

    def stop(self) -> None:
        """Kill whatever of hephaestus and the tools still runs (the test's clean-up)."""
        if self.process is not None:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.communicate()
        for pid in self.tools:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Launch]:
    """A launcher of `hephaestus config` with a hanging git; all of it is stopped after."""
    directory = tmp_path / "launch"
    (directory / "bin").mkdir(parents=True)
    git = directory / "bin" / "git"
    git.write_text(f"#!{sys.executable} -I\n{textwrap.dedent(HANGING_GIT)}", encoding="utf-8")
    git.chmod(0o755)
    launcher = Launch(directory)
    yield launcher
    launcher.stop()


@LINUX_ONLY
@pytest.mark.parametrize(
    ("signum", "exit_code", "code", "line"),
    [
        (signal.SIGTERM, ExitCode.TERMINATED, "terminated", "error: terminated (SIGTERM)"),
        (signal.SIGINT, ExitCode.INTERRUPTED, "interrupted", "error: interrupted"),
    ],
    ids=["SIGTERM", "SIGINT"],
)
@pytest.mark.parametrize("output_format", ["text", "json"])
def test_a_signal_stops_the_tools_and_exits_with_its_code(
    launch: Launch,
    signum: signal.Signals,
    exit_code: ExitCode,
    code: str,
    line: str,
    output_format: str,
) -> None:
    """SIGTERM → 143, Ctrl-C → 130: one stderr line, one JSON document, no tool left running."""
    process = launch.start("--format", output_format)
    tools = launch.tools
    sent = time.monotonic()
    process.send_signal(signum)  # to hephaestus alone: its tools are in a group of their own
    out, err = process.communicate(timeout=30)
    assert time.monotonic() - sent < STOP_BOUND
    assert process.returncode == exit_code
    assert err.splitlines() == [line]
    if output_format == "json":
        document = json.loads(out)
        assert document["error"]["code"] == code
        assert document["error"]["exit_code"] == exit_code
    else:
        assert out == ""
    deadline = time.monotonic() + STOP_BOUND
    while any(_running(pid) for pid in tools) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [pid for pid in tools if _running(pid)] == []


def test_terminated_reaching_the_handler_exits_143(capsys: pytest.CaptureFixture[str]) -> None:
    """Terminated raised by a command: exit 143, one stderr line and one JSON error document."""

    def terminated() -> None:
        raise Terminated

    assert guarded(terminated, argv=["--format", "json", "config"]) == ExitCode.TERMINATED
    out, err = capsys.readouterr()
    assert json.loads(out)["error"] == {
        "code": "terminated",
        "exit_code": 143,
        "message": "terminated (SIGTERM)",
        "hint": None,
    }
    assert err == "error: terminated (SIGTERM)\n"


def test_sigterm_raises_only_inside_and_restores_the_handler() -> None:
    """sigterm_raises() installs its SIGTERM handler for its block only, then puts back the old."""
    before = signal.getsignal(signal.SIGTERM)
    with sigterm_raises():
        assert signal.getsignal(signal.SIGTERM) not in {before, signal.SIG_DFL, None}
    assert signal.getsignal(signal.SIGTERM) == before
