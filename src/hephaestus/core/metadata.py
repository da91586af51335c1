"""Facts about the installed hephaestus distribution, read lazily from its metadata."""

from __future__ import annotations

from functools import cache


@cache
def package_version() -> str:
    """Return the installed version of hephaestus (its one source: the package metadata)."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415  # lazy

    try:
        return version("hephaestus")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"
