"""Analytics/IngestEvents: NDJSON streamed in chunks, stored once, counted line by line."""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Final

import grpc
from tests.api.test_grpc import Harness, harness, make_repo, rejected

from hephaestus.analytics.store import open_store
from hephaestus.api.grpc.calls import ERROR_CODE
from hephaestus.api.grpc.v1.analytics_pb2 import EventChunk
from hephaestus.api.grpc.v1.analytics_pb2_grpc import AnalyticsStub

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = ["harness"]  # the fixture, shared with test_grpc

LINES: Final = 10_000
BAD_EVERY: Final = 100
"""Every hundredth line is not an event."""


def _event(number: int) -> str:
    return json.dumps(
        {
            "source": "ci",
            "kind": "duration",
            "value": number,
            "unit": "s",
            "timestamp": "2026-01-01T00:00:00Z",
            "path": "app.py",
        }
    )


def _body() -> bytes:
    lines = [
        "{not json" if number % BAD_EVERY == 0 else _event(number) for number in range(1, LINES + 1)
    ]
    return ("\n".join(lines) + "\n").encode()


def _chunks(body: bytes, *, root: str = "", key: str = "", size: int = 997) -> Iterator[EventChunk]:
    """``body`` in chunks of ``size`` bytes (lines split across them); root and key first."""
    yield EventChunk(root=root, idempotency_key=key, ndjson=body[:size])
    for start in range(size, len(body), size):
        yield EventChunk(ndjson=body[start : start + size])


def _stored(root: Path) -> int:
    with open_store(root) as store:
        return store.event_count()


def test_ten_thousand_lines_in_many_chunks(harness: Harness) -> None:
    """10,000 lines in ~1,000-byte chunks: the good ones stored, the bad ones counted."""
    stub = AnalyticsStub(harness.channel)
    reply = stub.IngestEvents(_chunks(_body()), metadata=harness.auth("worker"), timeout=120)
    report = json.loads(reply.report_json)
    bad = LINES // BAD_EVERY
    assert (report["accepted"], report["rejected_count"]) == (LINES - bad, bad)
    assert report["rejected"][0]["line"] == BAD_EVERY
    assert not report["duplicate"]
    assert _stored(harness.root) == LINES - bad
    assert len(reply.request_id) == 16
    exposition = harness.metrics.exposition().decode()
    accepted = 'hephaestus_ingest_events_total{hephaestus_ingest_result="accepted"}'
    assert f"{accepted} {LINES - bad}.0" in exposition


def test_a_retried_batch_is_stored_once(harness: Harness) -> None:
    """The same idempotency key twice: the second reply is a duplicate and stores nothing."""
    stub = AnalyticsStub(harness.channel)
    body = (_event(1) + "\n" + _event(2) + "\n").encode()
    metadata = harness.auth("worker")
    first = json.loads(
        stub.IngestEvents(_chunks(body, key="batch-1"), metadata=metadata).report_json
    )
    again = json.loads(
        stub.IngestEvents(_chunks(body, key="batch-1"), metadata=metadata).report_json
    )
    assert (first["accepted"], first["duplicate"]) == (2, False)
    assert (again["accepted"], again["duplicate"], again["idempotency_key"]) == (2, True, "batch-1")
    assert _stored(harness.root) == 2


def test_ingestion_needs_the_write_scope(harness: Harness) -> None:
    """A read-only token cannot store events: PERMISSION_DENIED."""
    stub = AnalyticsStub(harness.channel)
    body = (_event(1) + "\n").encode()
    code, _, trailing = rejected(stub.IngestEvents, _chunks(body), metadata=harness.auth("reader"))
    assert (code, trailing[ERROR_CODE]) == (grpc.StatusCode.PERMISSION_DENIED, "permission-denied")


def test_ingestion_stays_inside_the_roots(harness: Harness, tmp_path: Path) -> None:
    """A root outside the server's roots: PERMISSION_DENIED, nothing stored there."""
    elsewhere = make_repo(tmp_path / "elsewhere")
    stub = AnalyticsStub(harness.channel)
    chunks = _chunks((_event(1) + "\n").encode(), root=str(elsewhere))
    code, _, trailing = rejected(stub.IngestEvents, chunks, metadata=harness.auth("admin"))
    assert (code, trailing[ERROR_CODE]) == (grpc.StatusCode.PERMISSION_DENIED, "outside-root")
    assert not (elsewhere / ".hephaestus").exists()


def test_a_bad_idempotency_key_is_invalid(harness: Harness) -> None:
    """An idempotency key that is not printable ASCII: INVALID_ARGUMENT."""
    stub = AnalyticsStub(harness.channel)
    chunks = _chunks(b"", key="\u00e9")
    code, _, trailing = rejected(stub.IngestEvents, chunks, metadata=harness.auth("worker"))
    assert (code, trailing[ERROR_CODE]) == (grpc.StatusCode.INVALID_ARGUMENT, "invalid-request")


def test_a_stream_cut_short_stores_nothing(harness: Harness) -> None:
    """A client that cancels mid-stream: the events it sent are not stored."""
    sent_some = threading.Event()
    release = threading.Event()

    def chunks() -> Iterator[EventChunk]:
        yield EventChunk(ndjson=("\n".join(_event(n) for n in range(50)) + "\n").encode())
        sent_some.set()
        release.wait(30)

    stub = AnalyticsStub(harness.channel)
    future = stub.IngestEvents.future(chunks(), metadata=harness.auth("worker"))
    assert sent_some.wait(30)
    future.cancel()
    release.set()
    line = harness.audited("tools_analytics_ingest")
    assert (line["status"], line["outcome"]) == ("CANCELLED", "cancelled")
    assert _stored(harness.root) == 0
