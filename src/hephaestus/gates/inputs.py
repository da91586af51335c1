"""The files gates check, and the files their tools may read (what a cached pass depends on).

Two listings, each made once per run:

- :func:`repository_files`: tracked files plus untracked files no ignore rule covers (``git
  ls-files --cached --others --exclude-standard``): the files gates *check*.
- :func:`input_listing`: every file under root a tool may read, git-ignored ones included (a
  git-ignored module that checked code imports, ignored test data, ``uv.lock``), except
  environments (a directory holding ``pyvenv.cfg`` or ``conda-meta/``), VCS data,
  ``node_modules`` and tool state (:data:`NEVER_INPUTS`): the files that key a cached pass,
  each with whether git ignores it (what ruff and the file-level gates check follows from it).

State and tool caches never count in either: a gate's own run writes them, and counting them
would make every run look changed. Contents are hashed by :mod:`hephaestus.gates.fingerprint`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import pathspec

from hephaestus.core.errors import ExternalError, ToolNotFoundError
from hephaestus.core.fs import is_virtualenv
from hephaestus.core.git import stream_git

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Sequence
    from pathlib import Path

NEVER_INPUTS: Final = (
    ".hephaestus/",
    ".git/",
    "__pycache__/",
    "*.py[cod]",
    ".mypy_cache/",
    ".ruff_cache/",
    ".pytest_cache/",
    ".hypothesis/",
    ".tox/",
    ".nox/",
    ".venv/",
    ".coverage",
    ".coverage.*",
    "coverage.xml",
    "htmlcov/",
)
"""Written by tools and hephaestus itself, never read as a gate's input."""
_NEVER = pathspec.GitIgnoreSpec.from_lines(NEVER_INPUTS)
ALWAYS_INPUTS: Final = ("pyproject.toml",)
"""Read by every gate: it holds the gates' own configuration and most tools' settings."""
PRUNED_DIRECTORIES: Final = frozenset(
    {p.rstrip("/") for p in NEVER_INPUTS if p.endswith("/")} | {".hg", ".svn", "node_modules"}
)
"""Directories never part of the input universe, wherever they are: never even listed."""
_PRUNED_NAME = re.compile(
    "|".join(fnmatch.translate(p) for p in (*NEVER_INPUTS, ".git") if not p.endswith("/"))
)
"""File names never inputs (``.git`` is a file in submodules and linked work trees)."""


def _walk(root: Path) -> list[str]:
    """List files below ``root`` without git: every file not under a hidden or state directory."""
    found: list[str] = []
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = [d for d in subdirs if not d.startswith(".") and d != "__pycache__"]
        base = os.path.relpath(directory, root).replace(os.sep, "/")
        prefix = "" if base == "." else base + "/"
        found += (prefix + name for name in names)
    return found


def repository_files(root: Path, *, timeout: float = 60.0) -> tuple[str, ...]:
    """Return the repository's files (relative, '/'-separated, sorted), tool state excluded.

    Outside a git work tree (or without git), every file below ``root`` that is not in a hidden
    directory counts. Tracked files deleted from the work tree are left out: gates pass these
    paths to tools, and their absence changes the input digest anyway.
    """
    args = ("ls-files", "-z", "--cached", "--others", "--exclude-standard")
    try:
        listed: Iterable[str] = list(stream_git(root, *args, timeout=timeout))
    except (ToolNotFoundError, ExternalError):
        listed = _walk(root)
    kept = {p for p in listed if not _NEVER.match_file(p)}
    return tuple(sorted(p for p in kept if os.path.lexists(root / p)))


def select(files: Sequence[str], patterns: Sequence[str]) -> list[str]:
    """Return the ``files`` matching any gitignore-style pattern in ``patterns``."""
    if "*" in patterns:
        return list(files)
    spec = pathspec.GitIgnoreSpec.from_lines([*patterns, *ALWAYS_INPUTS])
    return [f for f in files if spec.match_file(f)]


def _pruned(path: str) -> bool:
    *directories, name = path.split("/")
    return (
        name in PRUNED_DIRECTORIES
        or _PRUNED_NAME.match(name) is not None
        or not PRUNED_DIRECTORIES.isdisjoint(directories)
    )


def _environment_of(path: str) -> str | None:
    """Return the environment directory ``path`` shows (``env/pyvenv.cfg`` shows ``env``)."""
    parts = path.split("/")
    if parts[-1] == "pyvenv.cfg" and len(parts) > 1:
        return "/".join(parts[:-1])
    if "conda-meta" in parts[1:-1]:
        return "/".join(parts[: parts.index("conda-meta", 1)])
    return None


def _scan(root: Path, start: str, found: set[str]) -> None:
    """Add the files below ``start`` (root-relative, '' for root) to ``found``, pruning."""
    pending = [start]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(root / current if current else root) as listing:
                entries = list(listing)
        except OSError:
            continue  # vanished or unreadable: what a tool cannot list it cannot read either
        if current and is_virtualenv({e.name for e in entries}):
            continue
        prefix = f"{current}/" if current else ""
        for entry in entries:
            try:
                directory = entry.is_dir(follow_symlinks=False)
            except OSError:
                directory = False
            if directory:
                if entry.name not in PRUNED_DIRECTORIES:
                    pending.append(prefix + entry.name)
            elif _PRUNED_NAME.match(entry.name) is None:
                found.add(prefix + entry.name)


@dataclass(frozen=True, slots=True)
class InputListing:
    """The input universe and which of its files git's ignore rules leave out."""

    files: tuple[str, ...]
    """Every file a tool may read (relative, '/'-separated, sorted): see :func:`input_listing`."""
    ignored: frozenset[str]
    """The files of ``files`` that ``.gitignore``, ``.git/info/exclude`` or ``core.excludesFile``
    ignore: which files ruff and the file-level gates check follows from it, so a change of
    these rules alone (no file's content changing) must change the cache key."""


def input_listing(root: Path, *, timeout: float = 60.0) -> InputListing:
    """List every file below ``root`` a tool may read, and which of them git ignores.

    Tracked, untracked and git-ignored files; git lists an ignored directory as one entry, which
    is walked here (as are nested repositories and submodules), never descending into pruned
    directories or environments. Symlinks are listed, never followed. Without git the whole tree
    is walked with the same pruning, and nothing counts as ignored.
    """
    listings = (
        (False, ("ls-files", "-z", "--cached", "--others", "--exclude-standard")),
        (True, ("ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory")),
    )
    found: set[str] = set()
    ignored: set[str] = set()
    base = str(root)
    try:
        listed = [
            (entry, hidden)
            for hidden, args in listings
            for entry in stream_git(root, *args, timeout=timeout)
        ]
    except (ToolNotFoundError, ExternalError):
        _scan(root, "", found)
        listed = []
    for entry, hidden in listed:
        path = entry.rstrip("/")
        if _pruned(path):
            continue
        try:
            mode = os.lstat(os.path.join(base, path)).st_mode  # noqa: PTH118  # hot: str paths
        except OSError:
            continue  # tracked but deleted: its absence is the change
        into = ignored if hidden else found
        if stat.S_ISDIR(mode):
            _scan(root, path, into)  # ignored directory, nested repository, submodule
        else:
            into.add(path)
    found |= ignored
    environments = {e for e in map(_environment_of, found) if e is not None}
    if environments:
        found = {p for p in found if not _under(p, environments)}
    return InputListing(tuple(sorted(found)), frozenset(ignored & found))


def input_universe(root: Path, *, timeout: float = 60.0) -> tuple[str, ...]:
    """Return every file below ``root`` a tool may read (``input_listing(root).files``)."""
    return input_listing(root, timeout=timeout).files


def _under(path: str, directories: Collection[str]) -> bool:
    parts = path.split("/")
    return any("/".join(parts[:depth]) in directories for depth in range(1, len(parts)))


class InputHasher:
    """Hashes file contents, each file at most once per run, and combines them per gate."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._digests: dict[str, str] = {}

    def _digest(self, path: str) -> str:
        known = self._digests.get(path)
        if known is None:
            try:
                with (self._root / path).open("rb") as handle:
                    known = hashlib.file_digest(handle, "sha256").hexdigest()
            except FileNotFoundError:
                known = "missing"  # tracked but deleted: a change like any other
            except OSError as exc:
                known = f"unreadable:{exc.errno}"
            self._digests[path] = known
        return known

    def combined(self, files: Iterable[str]) -> str:
        """Return one digest of the names and contents of ``files``."""
        digest = hashlib.sha256()
        for path in sorted(files):
            digest.update(f"{path}\0{self._digest(path)}\n".encode("utf-8", "surrogateescape"))
        return digest.hexdigest()
