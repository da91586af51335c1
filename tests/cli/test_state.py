"""Every command that writes state leaves .hephaestus invisible to git, and refuses a link."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from typing import TYPE_CHECKING

import pytest
from tests.gitrepo import git

from hephaestus.core.errors import ExitCode

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Cli
    from tests.release.standin import StandIn

EVENT = json.dumps(
    {"source": "ci", "kind": "flaky", "value": 3, "unit": "tests",
     "timestamp": "2024-01-06T00:00:00Z", "path": "pkg/core.py"}
)  # fmt: skip
COMMANDS = {
    "hotspots": ["tools", "refactor", "hotspots"],
    "cleanup": ["cleanup", "--yes"],
    "guard-rails": ["guard-rails", "--gate", "ruff-check"],  # named: it runs unconfigured
    "ingest": ["tools", "analytics", "ingest", "-"],
}


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh committed repository with some debris, as the current directory."""
    root = tmp_path / "repo"
    (root / "pkg" / "__pycache__").mkdir(parents=True)
    (root / "pkg" / "core.py").write_text("def f(x):\n    return x if x else 0\n", "utf-8")
    (root / "pkg" / "__pycache__" / "core.pyc").write_bytes(b"debris")
    git(root, "init", "-q")
    git(root, "add", "pkg/core.py")
    git(root, "commit", "-q", "-m", "initial")
    monkeypatch.chdir(root)
    return root


def _status(root: Path) -> list[str]:
    """`git status --porcelain` lines, untracked files listed one by one."""
    done = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=root,
        capture_output=True,
        check=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    )
    return done.stdout.decode().splitlines()


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_state_written_by_any_command_is_ignored_by_git(
    cli: Cli, fresh: Path, command: str
) -> None:
    """After the command, git status shows nothing of .hephaestus: `git add -A` cannot take it."""
    out = cli(*COMMANDS[command], stdin=f"{EVENT}\n")
    assert out.exit_code == 0, out.stderr
    assert (fresh / ".hephaestus").is_dir(), "the command wrote no state"
    assert [line for line in _status(fresh) if ".hephaestus" in line] == []


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_state_directory_linked_outside_the_root_is_refused(
    cli: Cli, fresh: Path, tmp_path: Path, command: str
) -> None:
    """.hephaestus -> a directory outside: exit 3, and nothing is written through the link."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (fresh / ".hephaestus").symlink_to(outside)
    out = cli(*COMMANDS[command], stdin=f"{EVENT}\n")
    assert out.exit_code == ExitCode.SAFETY, (out.stdout, out.stderr)
    assert "symbolic link" in out.stderr
    assert list(outside.iterdir()) == []


ARCHIVE = "tiny-wheelhouse-1.0.tar.gz"


def _release(standin: StandIn, wheelhouse_tar: bytes) -> tuple[str, ...]:
    """Publish a checksummed wheelhouse; return the arguments that install it (no --destination)."""
    digest = hashlib.sha256(wheelhouse_tar).hexdigest()
    manifest = f"{digest}  {ARCHIVE}\n".encode()
    standin.add_release("v1.0.0", {ARCHIVE: wheelhouse_tar, f"{ARCHIVE}.sha256": manifest})
    return ("release", "install", "--repository", standin.repository, "--api-url", standin.api_url)


def test_a_release_installed_to_the_default_destination_is_ignored_by_git(
    cli: Cli, fresh: Path, standin: StandIn, wheelhouse_tar: bytes, fresh_venv: Path
) -> None:
    """.hephaestus/release, made by a successful install, is invisible to git."""
    python = ("--python", str(fresh_venv / "bin" / "python"))
    out = cli(*_release(standin, wheelhouse_tar), *python)
    assert out.exit_code == 0, out.stderr
    assert (fresh / ".hephaestus" / "release").is_dir()
    assert [line for line in _status(fresh) if ".hephaestus" in line] == []


def test_a_release_is_never_downloaded_through_a_linked_state_directory(
    cli: Cli, fresh: Path, tmp_path: Path, standin: StandIn, wheelhouse_tar: bytes
) -> None:
    """.hephaestus -> outside: `release install` exits 3 before it downloads anything."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (fresh / ".hephaestus").symlink_to(outside)
    out = cli(*_release(standin, wheelhouse_tar), "--python", str(tmp_path / "no-python"))
    assert out.exit_code == ExitCode.SAFETY, out.stderr
    assert list(outside.iterdir()) == []
