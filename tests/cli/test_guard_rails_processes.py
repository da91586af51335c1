"""guard-rails leaves no process behind: on a timeout, on Ctrl-C and on SIGTERM.

The installed ``hephaestus`` runs as a user's would (its own venv active, as ``uvx`` leaves
it), on a repository whose own environment runs a test that starts a child and hangs. The
signal goes to hephaestus alone: the tools run in process groups of their own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.gates.seeded import build
from tests.venvs import make_venv

from hephaestus.core.errors import ExitCode

HEPHAESTUS = str(Path(sys.executable).parent / "hephaestus")
HANGS = """\
import os, subprocess, sys, time


def test_hangs():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(os.environ["PIDS"], "a") as pids:
        pids.write(f"{os.getpid()}\\n{child.pid}\\n")
    time.sleep(600)
"""


@pytest.fixture
def hanging(tmp_path: Path) -> Path:
    """A repository whose one test starts a child process and then sleeps for ten minutes."""
    root = build(
        tmp_path / "repo",
        {
            ".gitignore": ".venv/\n",
            "pyproject.toml": '[project]\nname = "hangs"\nversion = "0"\n'
            '[dependency-groups]\ndev = ["pytest"]\n',
            "tests/test_hangs.py": HANGS,
        },
    )
    make_venv(root / ".venv", tools=("pytest",))
    return root


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its reaper has stopped running)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in {"Z", "X"}


def _start(root: Path, pids: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PIDS": str(pids), "VIRTUAL_ENV": sys.prefix}
    return subprocess.Popen(
        [HEPHAESTUS, "--format", "json", "guard-rails", "--gate", "pytest", "--no-cache", *args],
        cwd=root,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_pids(pids: Path, process: subprocess.Popen[str]) -> list[int]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if pids.exists() and len(found := pids.read_text().split()) == 2:
            return [int(p) for p in found]
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    pytest.fail("the hanging test never started")


def _stopped_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(map(_alive, pids)):
            return True
        time.sleep(0.02)
    return False


def _kill(pids: list[int]) -> None:
    for pid in pids:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize(
    ("sent", "code"),
    [(signal.SIGINT, ExitCode.INTERRUPTED), (signal.SIGTERM, ExitCode.TERMINATED)],
    ids=["SIGINT", "SIGTERM"],
)
def test_a_signal_stops_every_gate_and_reports(
    hanging: Path, tmp_path: Path, sent: signal.Signals, code: int
) -> None:
    """Signalled alone, hephaestus stops the tools and their children within 2 s.

    It writes the partial report (one JSON document) and exits 130 or 143.
    """
    pids_file = tmp_path / "pids"
    process = _start(hanging, pids_file)
    pids = _wait_for_pids(pids_file, process)
    try:
        signalled = time.monotonic()
        process.send_signal(sent)
        stdout, stderr = process.communicate(timeout=30)
        assert time.monotonic() - signalled < 2, stderr
        assert process.returncode == code, stderr
        assert _stopped_within(pids, 1)
        report = json.loads(stdout)
        assert report["interrupted"] == f"interrupted by {sent.name}"
        pytest_result = next(r for r in report["results"] if r["name"] == "pytest")
        assert pytest_result["status"] == "could-not-run"
        assert (hanging / ".hephaestus/guard-rails/latest.json").is_file()
    finally:
        process.kill()
        process.wait()
        _kill(pids)


def test_a_timeout_stops_the_tool_and_its_children(hanging: Path, tmp_path: Path) -> None:
    """--timeout stops the whole process group of the gate: nothing survives it."""
    pids_file = tmp_path / "pids"
    process = _start(hanging, pids_file, "--timeout", "5")
    pids = _wait_for_pids(pids_file, process)
    try:
        stdout, stderr = process.communicate(timeout=60)
        assert process.returncode == ExitCode.EXTERNAL, stderr
        assert _stopped_within(pids, 1)
        pytest_result = next(r for r in json.loads(stdout)["results"] if r["name"] == "pytest")
        assert pytest_result["status"] == "could-not-run"
        assert "did not finish within 5 s" in pytest_result["reason"]
    finally:
        process.kill()
        process.wait()
        _kill(pids)
