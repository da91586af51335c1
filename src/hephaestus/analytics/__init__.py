"""Refactor analytics from the repository itself: git history, the current tree, coverage files.

The library (each returns a frozen report): :func:`find_hotspots`, :func:`rank_files`,
:func:`find_opportunities`, :func:`find_coupling`, :func:`find_coverage_gaps`; ingestion in
:mod:`hephaestus.analytics.ingest`; QA profiles in :mod:`hephaestus.analytics.profiles`. The
registered operations every face calls, with their requests, are in
:mod:`hephaestus.analytics.operation` and :mod:`hephaestus.analytics.requests`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hephaestus.analytics.analysis import AnalysisOptions
    from hephaestus.analytics.reports import (
        find_coupling,
        find_coverage_gaps,
        find_hotspots,
        find_opportunities,
        rank_files,
    )

__all__ = [
    "AnalysisOptions",
    "find_coupling",
    "find_coverage_gaps",
    "find_hotspots",
    "find_opportunities",
    "rank_files",
]
_HOMES = {"AnalysisOptions": "hephaestus.analytics.analysis"}


def __getattr__(name: str) -> Any:  # noqa: ANN401  # the attribute's own type
    """Import the operations on first use: ``hephaestus.analytics.models`` stays light."""
    if name not in __all__:
        raise AttributeError(name)
    return getattr(import_module(_HOMES.get(name, "hephaestus.analytics.reports")), name)
