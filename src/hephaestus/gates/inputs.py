"""The files a gate reads: the repository's files, selected by the gate's patterns, hashed.

The repository's files are what git would consider: tracked, plus untracked files that no ignore
rule covers (``git ls-files --cached --others --exclude-standard``), listed once per run. State
and tool caches (``.hephaestus/``, ``.mypy_cache/``, ``__pycache__/``…) never count: a gate's own
run writes them, and counting them would make every run look changed.
"""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING, Final

import pathspec

from hephaestus.core.errors import ExternalError, ToolNotFoundError
from hephaestus.core.proc import stream_records

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
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
    argv = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    try:
        listed: Iterable[str] = list(stream_records(argv, cwd=root, timeout=timeout))
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
