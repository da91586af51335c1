"""Hephaestus: one command-line toolkit that keeps Python repositories healthy."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """Provide ``hephaestus.__version__`` lazily, from the installed metadata."""
    if name == "__version__":
        from hephaestus.core.metadata import package_version  # noqa: PLC0415  # lazy

        return package_version()
    raise AttributeError(f"module 'hephaestus' has no attribute {name!r}")
