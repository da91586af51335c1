"""``hephaestus mcp`` as a subprocess, driven by the SDK's own client over stdio or HTTP.

:func:`connect` starts the server the way an MCP client configuration does
(``python -m hephaestus mcp --root REPO …``) and yields a connected :class:`mcp.Client`; on the
way out the server is stopped and waited for, so no process outlives the test. The server's
stderr goes to a file in the test's directory (:func:`server_log`).
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from mcp.client.stdio import stdio_client

from mcp import Client, StdioServerParameters

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

Transport = Literal["stdio", "http"]
Mode = Literal["auto", "legacy"]
CONNECTIONS: Final = [("stdio", "auto"), ("stdio", "legacy"), ("http", "auto"), ("http", "legacy")]
"""Both transports, each in both protocol eras (2026's per-request envelope, 2025's handshake)."""
READY_TIMEOUT: Final = 60.0


def command(root: Path, *args: str, http: bool = False) -> list[str]:
    """The server's argv: ``python -m hephaestus [--format json] mcp --root ROOT …``."""
    head = [sys.executable, "-m", "hephaestus"]
    if http:
        head += ["--format", "json"]
        args = ("--http", "--port", "0", *args)
    return [*head, "mcp", "--root", str(root), *args]


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: the test's isolated HOME and cache, no colour."""
    keep = ("HOME", "XDG_CACHE_HOME", "PATH", "NO_COLOR", "COLUMNS", "LANG")
    return {**{k: os.environ[k] for k in keep if k in os.environ}, **(extra or {})}


def server_log(root: Path) -> Path:
    """Where the server started on ``root`` writes its stderr."""
    return root.parent / f"{root.name}-server.log"


@contextmanager
def http_server(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Start the HTTP server on a free port of 127.0.0.1; yield its URL and process; stop it."""
    with server_log(root).open("a", encoding="utf-8") as log:
        process = subprocess.Popen(
            command(root, *args, http=True),
            cwd=root,
            env=server_env(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            yield announced(process), process
        finally:
            stop(process)


def announced(process: subprocess.Popen[str]) -> str:
    """Read the URL the HTTP server announces on stdout once it listens."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], READY_TIMEOUT)
    line = process.stdout.readline() if ready else ""
    assert line, f"the server was not ready within {READY_TIMEOUT} s (exit {process.poll()})"
    url: str = json.loads(line)["url"]
    return url


def stop(process: subprocess.Popen[str]) -> None:
    """Stop ``process`` (SIGTERM, then SIGKILL) and reap it."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout:
        process.stdout.close()


@asynccontextmanager
async def connect(
    transport: Transport,
    root: Path,
    *args: str,
    mode: Mode = "auto",
    env: dict[str, str] | None = None,
) -> AsyncIterator[Client]:
    """Start ``hephaestus mcp`` on ``root`` and yield the SDK client connected to it."""
    if transport == "http":
        with http_server(root, *args, env=env) as (url, _process):
            async with Client(url, mode=mode) as client:
                yield client
        return
    parameters = StdioServerParameters(
        command=sys.executable,
        args=command(root, *args)[1:],
        cwd=root,
        env=server_env(env),
    )
    with server_log(root).open("a", encoding="utf-8") as log:
        async with Client(stdio_client(parameters, errlog=log), mode=mode) as client:
            yield client


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its reaper has stopped running)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in {"Z", "X"}


def stopped_within(pids: list[int], seconds: float) -> bool:
    """Whether every process of ``pids`` stops running within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(map(alive, pids)):
            return True
        time.sleep(0.02)
    return False
