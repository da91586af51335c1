"""Long tool calls through ``hephaestus mcp``: progress while they run, and cancellation.

A guard-rails call on a repository whose test suite sleeps sends progress notifications, never
more than a heartbeat apart; cancelling a call whose test hangs (with a child of its own) stops
every process the gate started within 2 s, and the server goes on serving.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from typing import TYPE_CHECKING, Final

import anyio
import pytest
from tests.gates.seeded import build
from tests.mcp.servers import CONNECTIONS, Mode, Transport, alive, connect, stopped_within
from tests.venvs import make_venv

from hephaestus.mcp.progress import HEARTBEAT
from hephaestus.registry import OPERATIONS

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.skipif(
    "guard_rails" not in {o.name for o in OPERATIONS}, reason="guard_rails is not registered"
)

SLEEPS: Final = """\
import os, subprocess, sys, time


def test_sleeps():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(os.environ["PIDS"], "a") as pids:
        pids.write(f"{os.getpid()}\\n{child.pid}\\n")
    try:
        time.sleep(float(os.environ["SLEEP"]))
    finally:
        child.kill()
        child.wait()
"""
ARGUMENTS: Final = {"gates": ["pytest"], "cache": False}
SLOW: Final = HEARTBEAT + 2.5
"""Seconds the slow test sleeps: long enough for a heartbeat with no gate event around it."""


def _repository(tmp_path: Path) -> Path:
    """A repository whose one test starts a child, writes both pids and sleeps $SLEEP s."""
    root = build(
        tmp_path / "repo",
        {
            ".gitignore": ".venv/\n",
            "pyproject.toml": '[project]\nname = "sleeps"\nversion = "0"\n'
            '[dependency-groups]\ndev = ["pytest"]\n',
            "tests/test_sleeps.py": SLEEPS,
        },
    )
    make_venv(root / ".venv", tools=("pytest",))
    return root


def _written_pids(path: Path) -> list[int]:
    """The two pids the test writes, once it has written both (else none)."""
    found = path.read_text().split() if path.exists() else []
    return [int(p) for p in found] if len(found) == 2 else []


async def _pids(path: Path) -> list[int]:
    with anyio.fail_after(120):
        while not (found := await anyio.to_thread.run_sync(_written_pids, path)):  # noqa: ASYNC110  # another process writes it
            await anyio.sleep(0.05)
    return found


@pytest.mark.parametrize(("transport", "mode"), [("stdio", "auto"), ("http", "legacy")])
def test_a_long_call_reports_progress(tmp_path: Path, transport: Transport, mode: Mode) -> None:
    """Progress notifications arrive at the start, at least every heartbeat, and growing."""
    root = _repository(tmp_path)
    env = {"PIDS": str(tmp_path / "pids"), "SLEEP": str(SLOW)}
    seen: list[tuple[float, float, float | None, str | None]] = []

    async def record(progress: float, total: float | None, message: str | None) -> None:
        seen.append((time.monotonic(), progress, total, message))

    async def body() -> None:
        async with connect(transport, root, mode=mode, env=env) as client:
            started = time.monotonic()
            result = await client.call_tool("guard_rails", ARGUMENTS, progress_callback=record)
            ended = time.monotonic()
        assert not result.is_error, result.structured_content
        (gate,) = [r for r in result.structured_content["results"] if r["name"] == "pytest"]
        assert gate["status"] == "passed", gate
        times = [started, *(t for t, *_ in seen), ended]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert max(gaps) <= HEARTBEAT + 1.5, gaps
        assert ended - started >= SLOW
        values = [p for _, p, _, _ in seen]
        assert values == sorted(set(values)), values
        assert any(m == "pytest: running" for *_, m in seen), seen

    anyio.run(body)


@pytest.mark.parametrize(("transport", "mode"), CONNECTIONS)
def test_cancelling_a_call_stops_its_processes(
    tmp_path: Path, transport: Transport, mode: Mode
) -> None:
    """A cancelled guard-rails call leaves no process of its gate alive 2 s later."""
    root = _repository(tmp_path)
    pids_file = tmp_path / "pids"
    env = {"PIDS": str(pids_file), "SLEEP": "600"}
    pids: list[int] = []
    cancelled: list[float] = []

    async def body() -> None:
        async with connect(transport, root, mode=mode, env=env) as client:
            async with anyio.create_task_group() as group:
                group.start_soon(client.call_tool, "guard_rails", ARGUMENTS)
                pids.extend(await _pids(pids_file))
                assert all(map(alive, pids))
                cancelled.append(time.monotonic())
                group.cancel_scope.cancel()
            left = 2 - (time.monotonic() - cancelled[0])
            assert await anyio.to_thread.run_sync(stopped_within, pids, left)
            after = await client.call_tool("config", {})  # the server goes on serving
            assert not after.is_error

    try:
        anyio.run(body)
    finally:
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
