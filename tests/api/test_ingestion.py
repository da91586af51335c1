"""Streamed ingestion: the CLI's verdicts at any chunking, one transaction, once per key."""

from __future__ import annotations

import itertools
import json
import sqlite3
import threading
import tracemalloc
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hephaestus.analytics.ingest import event_row, parse_events, split_lines
from hephaestus.analytics.models import IngestReport, StreamIngestReport
from hephaestus.analytics.store import database_path, open_store
from hephaestus.api.ingestion import ingest_stream
from hephaestus.core.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from pathlib import Path

GOOD = {"source": "ci", "kind": "duration", "value": 2, "unit": "s",
        "timestamp": "2024-01-06T00:00:00Z", "path": "pkg/core.py"}  # fmt: skip
COLUMNS = "source, kind, value, unit, path, metrics, metadata, timestamp"


def _line(n: int, **extra: object) -> bytes:
    return json.dumps({**GOOD, "value": n, **extra}).encode()


def _stored(root: Path) -> list[tuple[Any, ...]]:
    with open_store(root) as store:
        return store.db.execute(f"SELECT {COLUMNS} FROM events ORDER BY id").fetchall()  # noqa: S608  # constant


def _keys(root: Path) -> list[tuple[Any, ...]]:
    with open_store(root) as store:
        query = "SELECT key, accepted, rejected, source FROM ingest_batches"
        return store.db.execute(query).fetchall()


def _cut(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    bounds = [0, *sorted(set(cuts)), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


# Characters a JSON string may hold raw that str.splitlines() treats as line ends.
LINE_BREAKERS = "\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e"
texts = st.text(st.one_of(st.sampled_from(LINE_BREAKERS), st.characters(codec="utf-8")),
                max_size=12).filter(lambda t: "\n" not in t)  # fmt: skip


def _event(value: int, text: str) -> str:
    return json.dumps({**GOOD, "value": value, "unit": text, "metadata": {"t": text}},
                      ensure_ascii=False)  # fmt: skip


lines = st.one_of(
    st.builds(_event, st.integers(), texts),
    st.builds(lambda k: json.dumps({**GOOD, k: 1}), st.sampled_from(["colour", "value", "ts"])),
    st.builds(lambda t: json.dumps({**GOOD, "timestamp": t}), texts),
    st.sampled_from(["", " ", "\t", "\u2028", "{not json", "[1, 2]", "null", '"x"', "\r"]),
    texts,
)


@pytest.fixture(scope="module")
def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store for every example of the property test (each checks only what it added)."""
    return tmp_path_factory.mktemp("stream")


@settings(max_examples=150, deadline=None)
@given(
    body=st.lists(st.tuples(lines, st.booleans()), max_size=12),
    bom=st.booleans(),
    ending=st.booleans(),
    batch_lines=st.integers(1, 4),
    data=st.data(),
)
def test_any_chunking_gives_the_cli_verdicts_and_stores_the_accepted(
    shared_root: Path,
    body: list[tuple[str, bool]],
    bom: bool,
    ending: bool,
    batch_lines: int,
    data: st.DataObject,
) -> None:
    """Split anywhere, the stream accepts and rejects the lines `tools analytics ingest` would.

    Same accepted count, same rejected line numbers and problems, and exactly the accepted
    events stored, in order (lines: valid events, bad JSON, wrong fields, blanks, U+2028,
    CRLF, a BOM, with and without a final newline).
    """
    joined = "".join(text + ("\r\n" if crlf else "\n") for text, crlf in body)
    raw = ("\ufeff" if bom else "").encode() + joined.encode()
    raw = raw if ending or not raw.endswith(b"\n") else raw[:-1]
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=8))
    good, bad = parse_events(split_lines(raw))
    before = len(_stored(shared_root))
    report = ingest_stream(_cut(raw, cuts), root=shared_root, source="s", batch_lines=batch_lines)
    stored = _stored(shared_root)[before:]
    assert report.accepted == len(good)
    assert [(r.line, r.error) for r in report.rejected] == [(r.line, r.error) for r in bad]
    assert (report.rejected_count, report.rejected_truncated) == (len(bad), False)
    assert stored == [event_row(e) for e in good]


def test_the_rejected_lines_kept_are_bounded_but_all_are_counted(tmp_path: Path) -> None:
    """Of 7 bad lines only the first 3 are listed; all 7 are counted, and the good one stored."""
    raw = b"\n".join([b"{bad"] * 4 + [_line(1)] + [b"[]"] * 3)
    report = ingest_stream([raw], root=tmp_path, source="s", rejected_limit=3)
    assert isinstance(report, IngestReport)
    assert [r.line for r in report.rejected] == [1, 2, 3]
    assert (report.accepted, report.rejected_count, report.rejected_truncated) == (1, 7, True)


@pytest.mark.parametrize("size", [1, 7, 1 << 16])
def test_a_line_too_long_is_one_rejected_line_at_any_chunk_size(tmp_path: Path, size: int) -> None:
    r"""A line over max_line_bytes (its \r counted) is one rejected line; the limit is kept."""
    exact = _line(1, metadata={"pad": "x" * 50})
    longer = _line(2, metadata={"pad": "x" * 51})
    raw = b"\n".join([exact, longer, _line(3) + b"\r", longer + b"\r", longer])
    chunks = [raw[i : i + size] for i in range(0, len(raw), size)]
    report = ingest_stream(chunks, root=tmp_path, source="s", max_line_bytes=len(exact))
    assert report.accepted == 2
    assert [(r.line, r.error) for r in report.rejected] == [
        (n, f"longer than {len(exact)} bytes") for n in (2, 4, 5)
    ]
    assert [row[2] for row in _stored(tmp_path)] == [1, 3]


def test_a_line_that_is_not_utf8_is_rejected_alone(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 reject their line; the CLI would refuse the whole document."""
    broken = _line(2).replace(b"pkg", b"p\xffg")
    raw = b"\xef\xbb\xbf" + _line(1) + b"\n" + broken + b"\n" + _line(3)
    report = ingest_stream([raw[:2], raw[2:]], root=tmp_path, source="s")
    assert report.accepted == 2
    assert [(r.line, r.error.split(":")[0]) for r in report.rejected] == [(2, "not UTF-8")]


class NeverRead:
    """A body that fails the test if anyone starts reading it."""

    def __iter__(self) -> Iterator[bytes]:
        pytest.fail("the body was read")


def test_a_retried_batch_is_stored_once_and_reported_as_a_duplicate(tmp_path: Path) -> None:
    """The same key twice: stored once; the retry says duplicate, with the recorded counts."""
    raw = b"\n".join([_line(1), b"{bad", _line(2)])
    first = ingest_stream([raw], root=tmp_path, source="a", idempotency_key="batch-1")
    again = ingest_stream(NeverRead(), root=tmp_path, source="b", idempotency_key="batch-1")
    assert (first.duplicate, again.duplicate) == (False, True)
    assert (first.accepted, first.rejected_count) == (2, 1)
    assert (again.accepted, again.rejected_count) == (2, 1)
    assert again.rejected == ()
    assert again.rejected_truncated
    assert len(_stored(tmp_path)) == 2
    assert _keys(tmp_path) == [("batch-1", 2, 1, "a")]
    other = ingest_stream([raw], root=tmp_path, source="a", idempotency_key="batch-2")
    assert not other.duplicate
    assert len(_stored(tmp_path)) == 4


class ClientGoneError(Exception):
    """The stand-in for a client that disconnected mid-body."""


def _breaking(raw: bytes) -> Iterator[bytes]:
    yield from (raw[i : i + 10] for i in range(0, len(raw), 10))
    raise ClientGoneError


def test_a_stream_that_breaks_off_stores_nothing_and_records_no_key(tmp_path: Path) -> None:
    """The chunk iterator raising midway: its error passes, nothing is kept; a retry works."""
    raw = b"\n".join(_line(n) for n in range(50)) + b"\n"
    with pytest.raises(ClientGoneError):
        ingest_stream(_breaking(raw), root=tmp_path, source="s", idempotency_key="k", batch_lines=7)
    assert _stored(tmp_path) == []
    assert _keys(tmp_path) == []
    report = ingest_stream([raw], root=tmp_path, source="s", idempotency_key="k")
    assert (report.accepted, report.duplicate) == (50, False)


def test_four_concurrent_ingests_of_one_key_store_it_once(tmp_path: Path) -> None:
    """Four threads send the same batch at once: one stores it, three report the duplicate."""
    raw = b"\n".join(_line(n) for n in range(2000))
    with open_store(tmp_path):
        pass  # the schema made before the race: the race under test is the key's
    start = threading.Barrier(4)
    reports: list[StreamIngestReport] = []
    errors: list[BaseException] = []

    def send() -> None:
        def chunks() -> Iterator[bytes]:
            start.wait()
            yield from (raw[i : i + 4096] for i in range(0, len(raw), 4096))

        try:
            reports.append(ingest_stream(chunks(), root=tmp_path, source="s", idempotency_key="k"))
        except BaseException as exc:  # noqa: BLE001  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(r.duplicate for r in reports) == [False, True, True, True]
    assert {(r.accepted, r.rejected_count) for r in reports} == {(2000, 0)}
    assert len(_stored(tmp_path)) == 2000
    assert _keys(tmp_path) == [("k", 2000, 0, "s")]


def test_the_body_is_read_while_another_writer_holds_the_lock(tmp_path: Path) -> None:
    """The write lock is taken only to store: the body is read while another writer writes.

    The store then waits (bounded) for that writer and stores; neither blocks the other.
    """
    with open_store(tmp_path):
        pass
    holder = sqlite3.connect(database_path(tmp_path), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO meta VALUES ('holder', '1')")

    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))

    def chunks() -> Iterator[bytes]:
        yield _line(1) + b"\n"
        release.start()  # the lock is released while the store waits for it
        yield _line(2)

    try:
        report = ingest_stream(chunks(), root=tmp_path, source="s")
    finally:
        release.join()
        holder.close()
    assert report.accepted == 2
    assert len(_stored(tmp_path)) == 2


@pytest.mark.parametrize("key", ["", "x" * 201, "caf\u00e9", "a\nb", "tab\there", "\x7f"])
def test_an_idempotency_key_that_does_not_fit_is_an_invalid_request(
    tmp_path: Path, key: str
) -> None:
    """Keys must be 1-200 printable ASCII characters; otherwise nothing is read or stored."""
    with pytest.raises(UsageError) as caught:
        ingest_stream(NeverRead(), root=tmp_path, source="s", idempotency_key=key)
    assert (caught.value.code, caught.value.exit_code) == ("invalid-request", ExitCode.USAGE)
    assert "`idempotency_key`" in caught.value.message
    assert not database_path(tmp_path).exists()


def test_the_longest_key_and_spaces_fit(tmp_path: Path) -> None:
    """A 200-character key with spaces and punctuation is accepted."""
    key = ("a b~!" * 40)[:200]
    report = ingest_stream([_line(1)], root=tmp_path, source="s", idempotency_key=key)
    assert report.idempotency_key == key
    assert _keys(tmp_path) == [(key, 1, 0, "s")]


def _events(count: int) -> Iterator[bytes]:
    pad = "p" * 200
    template = ('{"source":"ci","kind":"k","value":%d,"unit":"s","timestamp":"2024-01-06",'
                '"metadata":{"pad":"' + pad + '"}}\n')  # fmt: skip
    for start in range(0, count, 200):
        yield "".join(template % n for n in range(start, min(count, start + 200))).encode()


def test_memory_stays_bounded_whatever_the_body_size(tmp_path: Path) -> None:
    """6 MB of events from a generator, and a 24 MiB line: Python's peak stays under 4 MiB.

    (Kept small to stay quick: 1,000,000 events are measured by hand, see the report.)
    """
    tracemalloc.start()
    try:
        report = ingest_stream(_events(20_000), root=tmp_path, source="s")
        events_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        huge = (b"x" * (1 << 16) for _ in range(384))
        long_line = ingest_stream(huge, root=tmp_path, source="s")
        line_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (report.accepted, report.rejected_count) == (20_000, 0)
    assert (long_line.accepted, [r.line for r in long_line.rejected]) == (0, [1])
    assert events_peak < 4 << 20, events_peak
    assert line_peak < 4 << 20, line_peak
