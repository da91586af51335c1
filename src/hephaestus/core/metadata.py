"""Facts about the installed hephaestus distribution, read lazily from its metadata."""

from __future__ import annotations

from functools import cache
from typing import Final

DISTRIBUTION: Final = "hephaestus-toolkit"
"""hephaestus' name on the package index (``hephaestus`` there is an unrelated project): what
``pip install`` and ``uv tool install`` take; the import package and the command are
``hephaestus``."""


@cache
def package_version() -> str:
    """Return the installed version of hephaestus (its one source: the package metadata)."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415  # lazy

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"
