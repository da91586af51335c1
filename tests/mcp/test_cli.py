"""``hephaestus mcp`` as a command: without the SDK, on a busy port, and its announcement."""

from __future__ import annotations

import socket
import subprocess
import sys
from typing import TYPE_CHECKING

import httpx
from tests.mcp.servers import server_env, stop

from hephaestus.core.errors import ExitCode

if TYPE_CHECKING:
    from pathlib import Path

HEAD = (sys.executable, "-m", "hephaestus", "mcp")
WITHOUT_SDK = """\
import sys
sys.modules["mcp"] = None  # as if the hephaestus-toolkit[mcp] extra were not installed
from hephaestus.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _run(cwd: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in ``cwd`` with the server's environment; it must end within a minute."""
    return subprocess.run(
        argv, capture_output=True, text=True, check=False, cwd=cwd, env=server_env(), timeout=60
    )


def test_without_the_sdk_it_says_which_extra_to_install(tmp_path: Path) -> None:
    """No mcp package: one error line, a hint naming the extra, exit 5."""
    done = _run(tmp_path, [sys.executable, "-c", WITHOUT_SDK, "mcp", "--root", str(tmp_path)])
    assert done.returncode == ExitCode.EXTERNAL, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("error: the MCP server needs the mcp package")
    assert lines[1].startswith("hint: install the hephaestus-toolkit[mcp] extra")
    assert done.stdout == ""


def test_a_busy_port_is_an_external_error(tmp_path: Path) -> None:
    """--http on a port another program listens on: exit 5, naming the port."""
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        done = _run(tmp_path, [*HEAD, "--root", str(tmp_path), "--http", "--port", str(port)])
    assert done.returncode == ExitCode.EXTERNAL, done.stderr
    assert f"port {port}" in done.stderr
    assert "hint: choose another port" in done.stderr


def test_http_announces_where_it_listens(tmp_path: Path) -> None:
    """The server names its URL once it listens on 127.0.0.1, and refuses foreign hosts.

    A request whose Host or Origin header is not local is refused (DNS rebinding).
    """
    process = subprocess.Popen(
        [*HEAD, "--root", str(tmp_path), "--http", "--port", "0", "--read-only"],
        cwd=tmp_path,
        env=server_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("MCP server:"), first
        assert first.split()[-1].startswith("http://127.0.0.1:")
        url = first.split()[-1]
        assert url.endswith("/mcp")
        ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        headers = {"Accept": "application/json, text/event-stream"}
        foreign = httpx.post(url, json=ping, headers={**headers, "Host": "evil.example"})
        assert foreign.status_code == 421  # DNS rebinding: a foreign Host is refused
        origin = {**headers, "Origin": "http://evil.example"}
        assert httpx.post(url, json=ping, headers=origin).status_code == 403
    finally:
        stop(process)
    assert process.returncode == ExitCode.TERMINATED


def test_http_beyond_loopback_is_refused(tmp_path: Path) -> None:
    """--host 0.0.0.0: exit 3 before listening (no authentication, tools that act)."""
    everywhere = "0.0.0.0"  # noqa: S104  # the address the server must refuse
    done = _run(tmp_path, [*HEAD, "--root", str(tmp_path), "--http", "--host", everywhere])
    assert done.returncode == ExitCode.SAFETY, done.stderr
    assert "refusing --host 0.0.0.0" in done.stderr
    assert "SSH tunnel" in done.stderr
