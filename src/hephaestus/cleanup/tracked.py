"""Which paths git tracks, asked once per repository and answered in O(1) per path."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from hephaestus.core.fs import tracked_paths

if TYPE_CHECKING:
    from pathlib import Path


class TrackedIndex:
    """Tracked files and every directory above one, as absolute paths, across repositories."""

    def __init__(self) -> None:
        self.files: set[str] = set()
        self.directories: set[str] = set()
        self.repositories: set[str] = set()

    def load(self, repository: Path) -> None:
        """Add what git tracks in ``repository`` (and its submodules); once per repository."""
        top = os.fspath(repository)
        if top in self.repositories:
            return
        self.repositories.add(top)
        for relative in tracked_paths(repository):
            path = f"{top}/{relative}"
            self.files.add(path)
            parent = path.rpartition("/")[0]
            while len(parent) > len(top) and parent not in self.directories:
                self.directories.add(parent)
                parent = parent.rpartition("/")[0]

    def load_enclosing(self, start: Path) -> None:
        """Load the repository that contains ``start`` (found by its ``.git``), if any."""
        for candidate in (start, *start.parents):
            if (candidate / ".git").exists():
                self.load(candidate)
                return

    def covers(self, path: str) -> bool:
        """Return whether ``path`` is tracked or contains a tracked path."""
        return path in self.files or path in self.directories
