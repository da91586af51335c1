"""Which paths git tracks, asked once per repository and answered in O(1) per path."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from hephaestus.cleanup.patterns import Matcher
from hephaestus.cleanup.settings import CleanupCategory
from hephaestus.core.fs import tracked_paths

if TYPE_CHECKING:
    from pathlib import Path

_ANY_CATEGORY = Matcher.for_categories(frozenset(CleanupCategory))


class TrackedIndex:
    """Tracked paths that can matter to cleanup, as absolute paths, across repositories.

    Memory stays small however many files are tracked: every directory above a tracked file
    is kept (a candidate directory must not contain one), but a tracked file only if its name
    could ever be a candidate (``x.pyc``, ``.coverage``, a link named ``build``…).
    """

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
        match_link = _ANY_CATEGORY.match_link
        for relative in tracked_paths(repository):
            parent_relative, _, name = relative.rpartition("/")
            if match_link(name) is not None:
                self.files.add(f"{top}/{relative}")
            parent = f"{top}/{parent_relative}" if parent_relative else top
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
