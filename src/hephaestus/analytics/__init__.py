"""Refactor analytics from the repository itself: git history, the current tree, coverage files.

Operations (each returns a frozen report): :func:`find_hotspots`, :func:`rank_files`,
:func:`find_opportunities`, :func:`find_coupling`, :func:`find_coverage_gaps`; ingestion in
:mod:`hephaestus.analytics.ingest`; QA profiles in :mod:`hephaestus.analytics.profiles`.
"""

from __future__ import annotations

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
