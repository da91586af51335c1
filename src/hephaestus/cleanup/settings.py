"""``[tool.hephaestus.cleanup]``: what cleanup removes by default and never touches."""

from __future__ import annotations

from enum import StrEnum

from hephaestus.core.config import Section
from hephaestus.core.patterns import Patterns  # noqa: TC001  # pydantic reads it


class CleanupCategory(StrEnum):
    """What ``hephaestus cleanup`` can remove, one flag each."""

    python_cache = "python-cache"
    tool_caches = "tool-caches"
    build_artifacts = "build-artifacts"
    coverage = "coverage"
    os_cruft = "os-cruft"
    node_modules = "node-modules"


class CleanupSection(Section):
    """``[tool.hephaestus.cleanup]``."""

    categories: tuple[CleanupCategory, ...] = (
        CleanupCategory.python_cache,
        CleanupCategory.tool_caches,
        CleanupCategory.os_cruft,
    )
    """Categories cleaned when no category flag is given."""
    exclude: Patterns = ()
    """gitignore-style patterns, relative to the root, that cleanup never touches."""
