r"""What each cleanup category matches, compiled once into set lookups and one pattern.

Names are matched exactly (no shell globbing per entry): ``Icon\\r`` is the macOS file with a
carriage return, never any five-letter name starting with ``Icon``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from hephaestus.cleanup.settings import CleanupCategory as Category
from hephaestus.core.errors import UsageError
from hephaestus.core.fs import printable_path

if TYPE_CHECKING:
    from collections.abc import Iterable

    import pathspec

DIRECTORIES: Final[dict[Category, frozenset[str]]] = {
    Category.python_cache: frozenset({"__pycache__"}),
    Category.tool_caches: frozenset(
        {
            ".pytest_cache",
            ".mypy_cache",
            ".ruff_cache",
            ".hypothesis",
            ".tox",
            ".nox",
            ".ipynb_checkpoints",
        }
    ),
    Category.build_artifacts: frozenset({"build", "dist", ".eggs", "pip-wheel-metadata"}),
    Category.coverage: frozenset({"htmlcov"}),
    Category.os_cruft: frozenset({"__MACOSX", ".Spotlight-V100", ".Trashes", ".fseventsd"}),
    Category.node_modules: frozenset({"node_modules"}),
}
"""Directory names, matched exactly."""

FILES: Final[dict[Category, frozenset[str]]] = {
    Category.coverage: frozenset({".coverage", "coverage.xml"}),
    Category.os_cruft: frozenset({".DS_Store", "Thumbs.db", "desktop.ini", "Icon\r"}),
}
"""File names, matched exactly."""

DIRECTORY_PATTERNS: Final[dict[Category, str]] = {
    Category.build_artifacts: r".+\.egg-info",
}
FILE_PATTERNS: Final[dict[Category, str]] = {
    Category.python_cache: r".+\.py[co]",
    Category.coverage: r"\.coverage\..+",
    Category.os_cruft: r"\._.+",  # AppleDouble resource forks
}

OUTPUT_DIRECTORIES: Final = frozenset({"build", "dist"})
"""Build outputs only where a project marker sits beside them (pip ships a package `build`)."""
PROJECT_MARKERS: Final = frozenset({"pyproject.toml", "setup.py", "setup.cfg"})
VENV_CONTAINERS: Final = frozenset({".tox", ".nox"})
"""Tool caches made of virtual environments: removed whole, as the tools themselves do."""


def _compile(patterns: dict[Category, str], chosen: frozenset[Category]) -> re.Pattern[str] | None:
    parts = [f"(?P<{c.name}>{p})" for c, p in patterns.items() if c in chosen]
    return re.compile("|".join(parts), re.DOTALL) if parts else None


@dataclass(frozen=True, slots=True)
class Matcher:
    """Classifies a directory entry name into a chosen category, or ``None``."""

    directories: dict[str, Category]
    files: dict[str, Category]
    directory_pattern: re.Pattern[str] | None
    file_pattern: re.Pattern[str] | None
    groups: dict[str, Category]

    @classmethod
    def for_categories(cls, chosen: frozenset[Category]) -> Matcher:
        """Compile the matcher for ``chosen`` categories."""
        return cls(
            directories={n: c for c, names in DIRECTORIES.items() if c in chosen for n in names},
            files={n: c for c, names in FILES.items() if c in chosen for n in names},
            directory_pattern=_compile(DIRECTORY_PATTERNS, chosen),
            file_pattern=_compile(FILE_PATTERNS, chosen),
            groups={c.name: c for c in Category},
        )

    def match_directory(self, name: str) -> Category | None:
        """Return the category of a directory named ``name``, or ``None``."""
        category = self.directories.get(name)
        if category is not None or self.directory_pattern is None:
            return category
        found = self.directory_pattern.fullmatch(name)
        return self.groups[found.lastgroup] if found and found.lastgroup else None

    def match_file(self, name: str) -> Category | None:
        """Return the category of a file named ``name``, or ``None``."""
        category = self.files.get(name)
        if category is not None or self.file_pattern is None:
            return category
        found = self.file_pattern.fullmatch(name)
        return self.groups[found.lastgroup] if found and found.lastgroup else None

    def match(self, name: str, *, is_dir: bool) -> Category | None:
        """Return the category of entry ``name`` (a directory if ``is_dir``), or ``None``."""
        return self.match_directory(name) if is_dir else self.match_file(name)

    def match_link(self, name: str) -> Category | None:
        """Return the category of a symlink ``name`` (removed as a link, never followed)."""
        return self.match(name, is_dir=True) or self.match(name, is_dir=False)


def compile_exclude(patterns: Iterable[str]) -> pathspec.GitIgnoreSpec | None:
    r"""Compile gitignore-style exclude ``patterns`` once; ``None`` when there are none.

    Raises:
        UsageError: a pattern is not valid gitignore syntax (``!``, a lone ``\``, a reversed
            range such as ``[z-a]``), naming it (exit 2).

    """
    lines = list(patterns)
    if not lines:
        return None
    import pathspec  # noqa: PLC0415  # only when there are patterns

    for line in lines:
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except (ValueError, re.error, TypeError, IndexError) as exc:
            raise UsageError(
                f"invalid exclude pattern {printable_path(line)!r}: {exc}",
                hint="use gitignore syntax (https://git-scm.com/docs/gitignore#_pattern_format)",
                code="invalid-pattern",
            ) from None
    return pathspec.GitIgnoreSpec.from_lines(lines)
