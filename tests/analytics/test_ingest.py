"""NDJSON ingestion: good lines kept and used, bad lines reported by number."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.analytics.conftest import SECTION

from hephaestus.analytics import AnalysisOptions, find_hotspots, rank_files
from hephaestus.analytics.ingest import ingest_events
from hephaestus.analytics.store import open_store

if TYPE_CHECKING:
    from pathlib import Path

GOOD = {"source": "ci", "kind": "duration", "value": 2, "unit": "s",
        "timestamp": "2024-01-06T00:00:00Z", "path": "pkg/core.py",
        "metrics": {"p95": 3.5}, "metadata": {"job": "test"}}  # fmt: skip


def test_good_lines_are_kept_and_bad_ones_numbered(repo: Path) -> None:
    """Lines 2, 3 and 5 are rejected with the reason; lines 1 and 6 are stored; blanks skipped."""
    later = {**GOOD, "value": 4.25, "timestamp": "2024-01-07T00:00:00Z"}
    lines = [
        json.dumps(GOOD),
        "{not json",
        json.dumps({**GOOD, "value": "fast"}),
        "",
        json.dumps({**GOOD, "colour": "red"}),
        json.dumps(later),
        "[1, 2]",
    ]
    with open_store(repo) as store:
        report = ingest_events(lines, store=store, source="events.ndjson")
        assert store.event_count() == 2
    assert report.accepted == 2
    assert [(r.line, r.error.split(":")[0]) for r in report.rejected] == [
        (2, "not JSON"),
        (3, "value"),
        (5, "colour"),
        (7, "not a JSON object"),
    ]
    hot = find_hotspots(repo, section=SECTION, options=AnalysisOptions())
    core = next(r for r in hot.rows if r.path == "pkg/core.py")
    assert core.ingested == {"ci/duration": 4.25}  # the latest event wins
    ranked = rank_files(repo, section=SECTION, options=AnalysisOptions())
    assert next(r for r in ranked.rows if r.path == "pkg/core.py").ingested == core.ingested


def test_numbers_that_are_not_finite_are_rejected(repo: Path) -> None:
    """NaN and infinities (Python's json reads them; 1e400 overflows) are bad lines.

    They used to reach SQLite, which stores NaN as NULL: the whole ingestion failed with "the
    analytics database is unusable".
    """
    lines = [
        '{"source": "ci", "kind": "k", "value": NaN, "unit": "s", "timestamp": "2024-01-06"}',
        json.dumps({**GOOD, "value": 1e400}),  # json.dumps writes Infinity
        '{"source": "ci", "kind": "k", "value": 1e400, "unit": "s", "timestamp": "2024-01-06"}',
        json.dumps({**GOOD, "metrics": {"p95": float("-inf")}}),
        json.dumps({**GOOD, "metadata": {"ratio": float("nan")}}),
        json.dumps(GOOD),
    ]
    with open_store(repo) as store:
        report = ingest_events(lines, store=store, source="events.ndjson")
        assert store.event_count() == 1
    assert report.accepted == 1
    where = [(r.line, r.error.split(":")[0]) for r in report.rejected]
    assert where[:4] == [(1, "value"), (2, "value"), (3, "value"), (4, "metrics.p95")]
    assert where[4][0] == 5
    assert where[4][1].startswith("metadata.ratio")  # then the union member pydantic tried
