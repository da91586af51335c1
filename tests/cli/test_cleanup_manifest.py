"""`cleanup --audit-manifest`: a device, FIFO or socket is refused before anything is removed."""

from __future__ import annotations

import os
import socket
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from tests.gitrepo import git

from hephaestus.core.errors import ExitCode
from hephaestus.core.state import STATE_IGNORE

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.conftest import Cli


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed repository with one piece of debris."""
    root = tmp_path / "repo"
    (root / "pkg" / "__pycache__").mkdir(parents=True)
    (root / "pkg" / "m.py").write_text("", encoding="utf-8")
    (root / "pkg" / "__pycache__" / "m.pyc").write_bytes(b"debris")
    git(root, "init", "-q")
    git(root, "add", "pkg/m.py")
    git(root, "commit", "-q", "-m", "initial")
    return root


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _device(path: Path) -> None:
    # A node of our own with /dev/null's numbers: even a regression replaces nothing of the system.
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs CAP_MKNOD")


@pytest.fixture
def short_directory() -> Iterator[Path]:
    """A directory with a short path: a socket's path is limited to about 100 bytes."""
    with tempfile.TemporaryDirectory(prefix="hs-") as directory:
        yield Path(directory)


MAKERS: dict[str, Callable[[Path], None]] = {"fifo": _fifo, "device": _device}


@pytest.mark.parametrize("linked", [False, True], ids=["named", "through-a-link"])
@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_a_special_file_as_manifest_is_refused_before_anything_is_removed(
    cli: Cli, repo: Path, tmp_path: Path, kind: str, *, linked: bool
) -> None:
    """A FIFO or a device (or a link to one) is never opened: exit 3, debris and node remain."""
    special = tmp_path / kind
    MAKERS[kind](special)
    named = special
    if linked:
        named = tmp_path / "link.json"
        named.symlink_to(special)
    mode = special.lstat().st_mode
    out = cli("cleanup", str(repo), "--yes", "--audit-manifest", str(named))
    assert out.exit_code == ExitCode.SAFETY, out.stderr
    assert "nothing was removed" in out.stderr
    assert (repo / "pkg" / "__pycache__" / "m.pyc").exists()
    assert special.lstat().st_mode == mode


def test_a_socket_as_manifest_is_refused(cli: Cli, repo: Path, short_directory: Path) -> None:
    """A socket is no file to write either."""
    path = short_directory / "s"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        out = cli("cleanup", str(repo), "--yes", "--audit-manifest", str(path))
    assert out.exit_code == ExitCode.SAFETY, out.stderr
    assert "socket" in out.stderr
    assert (repo / "pkg" / "__pycache__" / "m.pyc").exists()


def test_a_manifest_named_inside_the_state_directory_gets_its_ignore_file(
    cli: Cli, repo: Path
) -> None:
    """--audit-manifest ROOT/.hephaestus/... makes the state directory the one way, ignored."""
    manifest = repo / ".hephaestus" / "mine" / "run.json"
    out = cli("cleanup", str(repo), "--yes", "--audit-manifest", str(manifest))
    assert out.exit_code == 0, out.stderr
    assert manifest.is_file()
    ignore = repo / ".hephaestus" / ".gitignore"
    assert ignore.read_text(encoding="utf-8") == STATE_IGNORE
