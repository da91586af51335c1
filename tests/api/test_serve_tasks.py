"""Tasks of a real server: cancelled within 2 s, and reported interrupted after a restart.

The task is a guard-rails run whose pytest gate runs, in the repository's own venv, a test that
writes its process id and sleeps: the server must stop that process group.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import TYPE_CHECKING, Any

import httpx
from tests.api.servers import bearer, make_repo, running
from tests.api.test_serve_rest import wait_done
from tests.mcp.servers import alive, stopped_within
from tests.venvs import make_venv

if TYPE_CHECKING:
    from pathlib import Path

SLEEPER = """
import os, pathlib, time

def test_sleeps():
    pathlib.Path(os.environ["PID_FILE"]).write_text(str(os.getpid()))
    time.sleep(120)
"""


def slow_repo(path: Path) -> Path:
    """A repository whose test suite sleeps two minutes, with pytest in its own .venv."""
    repo = make_repo(path)
    (repo / "tests").mkdir()
    (repo / "tests" / "test_slow.py").write_text(SLEEPER)
    pytest_table = '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'
    (repo / "pyproject.toml").write_text(f'[project]\nname = "demo"\nversion = "0"\n{pytest_table}')
    make_venv(repo / ".venv", tools=["pytest"])
    return repo


def started(http: httpx.Client, pid_file: Path) -> tuple[str, int]:
    """Start a guard-rails task running the sleeping test; return its id and the test's pid."""
    response = http.post("/v1/operations/guard_rails", json={"gates": ["pytest"], "cache": False})
    assert response.status_code == 202, response.text
    task: str = response.json()["id"]
    deadline = time.monotonic() + 60
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, http.get(f"/v1/tasks/{task}").text
        time.sleep(0.05)
    return task, int(pid_file.read_text())


def test_cancelling_a_task_stops_its_processes_within_two_seconds(tmp_path: Path) -> None:
    """DELETE /v1/tasks/{id}: the gate's process is gone within 2 s; the task is cancelled."""
    repo = slow_repo(tmp_path / "repo")
    pid_file = tmp_path / "pid"
    env = {"PID_FILE": str(pid_file)}
    with (
        running(repo, tmp_path / "state", grpc=False, env=env) as server,
        httpx.Client(base_url=server.url, headers=bearer("writer"), timeout=60) as http,
    ):
        task, pid = started(http, pid_file)
        began = time.monotonic()
        http.delete(f"/v1/tasks/{task}")
        assert stopped_within([pid], 2.0)
        assert time.monotonic() - began < 2.5
        view: dict[str, Any] = wait_done(http, task, timeout=10)
    assert view["status"] == "cancelled"
    assert view["error"]["code"] == "cancelled"


def test_a_restart_reports_the_task_interrupted(tmp_path: Path) -> None:
    """SIGTERM stops the running task (its processes too); the next server says interrupted."""
    repo = slow_repo(tmp_path / "repo")
    pid_file = tmp_path / "pid"
    env = {"PID_FILE": str(pid_file)}
    with running(repo, tmp_path / "state", grpc=False, env=env) as server:
        with httpx.Client(base_url=server.url, headers=bearer("writer"), timeout=60) as http:
            task, pid = started(http, pid_file)
            streamed: list[str] = []
            follower = threading.Thread(
                target=lambda: streamed.append(http.get(f"/v1/tasks/{task}/events").text)
            )
            follower.start()
            time.sleep(0.5)  # the stream is open, waiting for the task's next event
            server.process.send_signal(signal.SIGTERM)
            assert server.process.wait(timeout=15) == 0  # a graceful stop
            follower.join(timeout=15)
        assert not alive(pid)
        assert streamed, "the event stream did not end"
        assert streamed[0].rstrip().endswith('data: {"status":"interrupted"}')
    with (
        running(repo, tmp_path / "state", grpc=False) as again,
        httpx.Client(base_url=again.url, headers=bearer("writer"), timeout=60) as http,
    ):
        view = http.get(f"/v1/tasks/{task}").json()
    assert view["status"] == "interrupted"
    assert view["error"]["code"] == "task-interrupted"


def test_a_killed_server_leaves_its_task_interrupted_for_the_next(tmp_path: Path) -> None:
    """SIGKILL: nothing could be recorded; the next server recovers the task as interrupted."""
    repo = slow_repo(tmp_path / "repo")
    pid_file = tmp_path / "pid"
    env = {"PID_FILE": str(pid_file)}
    with running(repo, tmp_path / "state", grpc=False, env=env) as server:
        with httpx.Client(base_url=server.url, headers=bearer("writer"), timeout=60) as http:
            task, pid = started(http, pid_file)
        server.process.kill()
        server.process.wait(timeout=15)
        os.killpg(os.getpgid(pid), signal.SIGKILL)  # the orphaned gate: nobody is left to stop it
    with running(repo, tmp_path / "state", grpc=False) as again:
        with httpx.Client(base_url=again.url, headers=bearer("reader"), timeout=60) as http:
            hidden = http.get(f"/v1/tasks/{task}")
        with httpx.Client(base_url=again.url, headers=bearer("writer"), timeout=60) as http:
            view = http.get(f"/v1/tasks/{task}").json()
    assert hidden.status_code == 404  # another principal's task is not shown
    assert view["status"] == "interrupted"
    assert stopped_within([pid], 2.0)
