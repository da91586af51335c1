"""``hephaestus serve`` as a subprocess on 127.0.0.1, with tokens of every scope.

:func:`running` starts the server the way an operator does (``python -m hephaestus serve``),
reads the address it announces, and stops it on the way out (SIGTERM, then SIGKILL), so no
process outlives the test. Tokens are made once per session with a cheap scrypt cost and given
through ``HEPHAESTUS_SERVE_TOKENS``, as hashes.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Final

from tests.gitrepo import git
from tests.mcp.servers import server_env, stop

from hephaestus.api.auth import hash_token

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

READY_TIMEOUT: Final = 60.0
TOKENS: Final = {
    "reader": ("heph_reader-token-0123456789", ["read"]),
    "runner": ("heph_runner-token-0123456789", ["read", "run"]),
    "writer": ("heph_writer-token-0123456789", ["read", "run", "write"]),
    "admin": ("heph_admin-token-01234567890", ["admin"]),
}
"""A token per scope set: name -> (token, scopes)."""


@cache
def tokens_variable() -> str:
    """``HEPHAESTUS_SERVE_TOKENS`` holding the hash of every test token."""
    return json.dumps(
        [
            {"name": name, "hash": hash_token(token, n=2**10), "scopes": scopes}
            for name, (token, scopes) in TOKENS.items()
        ]
    )


def bearer(name: str) -> dict[str, str]:
    """The ``Authorization`` header of the test token ``name``."""
    return {"Authorization": f"Bearer {TOKENS[name][0]}"}


def make_repo(path: Path) -> Path:
    """A small git repository with a package, a cache directory and a commit."""
    path.mkdir(parents=True)
    (path / "pkg").mkdir()
    (path / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    (path / "pkg" / "__pycache__").mkdir()
    (path / "pkg" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0" * 64)
    (path / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0"\n')
    (path / ".gitignore").write_text("__pycache__/\n")
    git(path, "init", "-q")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "init")
    return path


@dataclass(frozen=True, slots=True)
class Server:
    """A running server: where it listens and its process."""

    url: str
    grpc: str | None
    process: subprocess.Popen[str]
    state: Path


@contextmanager
def running(
    root: Path,
    state: Path,
    *args: str,
    auth: bool = True,
    grpc: bool = True,
    extra_roots: tuple[Path, ...] = (),
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Start ``hephaestus serve`` on ``root`` (state in ``state``, more variables in ``env``)."""
    env = {**(env or {}), **({"HEPHAESTUS_SERVE_TOKENS": tokens_variable()} if auth else {})}
    argv = [sys.executable, "-m", "hephaestus", "--format", "json", "serve", "--root", str(root)]
    for extra in extra_roots:
        argv += ["--root", str(extra)]
    argv += [
        "--port",
        "0",
        "--grpc-port",
        "0" if grpc else "-1",
        "--state-dir",
        str(state),
        "--grace",
        "2",
        *args,
    ]
    log = state.parent / f"{state.name}-server.log"
    with log.open("a", encoding="utf-8") as errors:
        process = subprocess.Popen(
            argv,
            cwd=root,
            env=server_env(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            yield _announced(process, state, log)
        finally:
            stop(process)


def _announced(process: subprocess.Popen[str], state: Path, log: Path) -> Server:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], READY_TIMEOUT)
    line = process.stdout.readline() if ready else ""
    assert line, f"not ready in {READY_TIMEOUT} s (exit {process.poll()}): {log.read_text()}"
    data = json.loads(line)
    return Server(url=data["url"], grpc=data["grpc"], process=process, state=state)
