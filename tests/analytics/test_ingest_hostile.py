"""NDJSON from anyone: hostile lines are bad lines, never a crash; good lines always kept."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from hephaestus.analytics.ingest import ingest_events, parse_events, split_lines
from hephaestus.analytics.store import open_store

GOOD = {"source": "ci", "kind": "duration", "value": 2, "unit": "s",
        "timestamp": "2024-01-06T00:00:00Z", "path": "pkg/core.py"}  # fmt: skip


def _deep(depth: int, opener: str) -> str:
    closer = {"[": "]", '{"a":': "}"}[opener]
    return opener * depth + "1" + closer * depth


hostile = st.one_of(
    st.builds(_deep, st.integers(5_000, 100_000), st.sampled_from(["[", '{"a":'])),
    st.integers(4_400, 6_000).map(
        lambda digits: json.dumps({**GOOD, "value": 0}).replace(
            '"value": 0', '"value": ' + "7" * digits
        )
    ),
    st.integers(4_400, 6_000).map(lambda digits: "9" * digits),
    st.integers(4_400, 6_000).map(
        lambda digits: json.dumps({**GOOD, "metrics": {"n": 0}}).replace(
            '"n": 0', '"n": -' + "1" * digits
        )
    ),
)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.one_of(st.just(None), hostile), min_size=1, max_size=6))
def test_deep_or_huge_lines_are_bad_lines_and_the_rest_is_stored(shape: list[str | None]) -> None:
    """Lines nested 100k deep or with 5,000-digit integers are rejected by number; good ones stay.

    They used to escape as RecursionError / ValueError: exit 70, and nothing of the file stored.
    """
    lines = [
        json.dumps({**GOOD, "value": n}) if line is None else line for n, line in enumerate(shape)
    ]
    bad = [n for n, line in enumerate(shape, start=1) if line is not None]
    with tempfile.TemporaryDirectory() as directory, open_store(Path(directory)) as store:
        report = ingest_events(lines, store=store, source="events.ndjson")
        assert store.event_count() == len(shape) - len(bad)
    assert [r.line for r in report.rejected] == bad
    assert report.accepted == len(shape) - len(bad)
    assert all("\n" not in r.error and r.error.startswith("not JSON") for r in report.rejected)


# Characters a JSON string may hold raw that str.splitlines() treats as line ends.
LINE_BREAKERS = "\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e"


@given(
    texts=st.lists(
        st.text(
            st.one_of(st.sampled_from(LINE_BREAKERS), st.characters(codec="utf-8")), max_size=20
        ),
        min_size=1,
        max_size=5,
    ),
    bom=st.booleans(),
    crlf=st.booleans(),
)
def test_lines_split_on_newline_only_and_a_bom_is_accepted(
    texts: list[str], bom: bool, crlf: bool
) -> None:
    """Raw U+2028 (and the like) inside strings split no line; a UTF-8 BOM and CRLF are fine."""
    events = [{**GOOD, "unit": text, "metadata": {"note": text}} for text in texts]
    ending = "\r\n" if crlf else "\n"
    data = ending.join(json.dumps(e, ensure_ascii=False) for e in events).encode() + ending.encode()
    lines = split_lines(("\ufeff".encode() if bom else b"") + data)
    good, bad = parse_events(lines)
    assert bad == []
    assert [(e.unit, e.metadata["note"]) for e in good] == [(t, t) for t in texts]
