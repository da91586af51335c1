"""Streamed NDJSON ingestion, shared by ``POST /analytics/events`` and gRPC ``IngestEvents``.

The faces hand over the request body as it arrives (byte chunks) and get a
:class:`~hephaestus.analytics.models.StreamIngestReport` back. Memory stays bounded whatever
the body's size: lines are split as chunks arrive, at most ``batch_lines`` checked events and
``rejected_limit`` rejected-line records are held, and the events wait in a spool on disk.
The lines are read by the same rules as ``tools analytics ingest``.

Everything is stored in one transaction, or nothing: a body that breaks off (the chunk
iterator raises) stores nothing and records no key. With an idempotency key the batch is
stored once: a retry finds the key recorded and stores nothing again.

This module imports no web or RPC framework; each face adapts its own stream to an iterable.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from hephaestus.analytics.ingest import EventSpool, check_stream, event_row
from hephaestus.analytics.models import RejectedLine, StreamIngestReport
from hephaestus.analytics.store import open_store
from hephaestus.core.errors import UsageError, field_ref

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

IDEMPOTENCY_KEY: Final = re.compile(r"[\x20-\x7e]{1,200}")
"""1 to 200 printable ASCII characters: fits a header, a log line and a primary key."""


def check_idempotency_key(key: str | None) -> None:
    """Return if ``key`` is absent or 1-200 printable ASCII characters; raise otherwise.

    Raises:
        UsageError: the key does not fit (exit 2, ``invalid-request``).

    """
    if key is not None and IDEMPOTENCY_KEY.fullmatch(key) is None:
        raise UsageError(
            f"{field_ref('idempotency_key')} must be 1 to 200 printable ASCII characters"
            f" (got {len(key)} characters)",
            hint="use an identifier of the batch, such as a UUID",
            code="invalid-request",
        )


def ingest_stream(  # noqa: PLR0913  # the limits are keyword-only settings of one call
    chunks: Iterable[bytes],
    *,
    root: Path,
    source: str,
    idempotency_key: str | None = None,
    batch_lines: int = 1000,
    max_line_bytes: int = 1 << 20,
    rejected_limit: int = 1000,
) -> StreamIngestReport:
    r"""Check the NDJSON arriving as ``chunks`` and store its valid events in ``root``'s store.

    Lines end at ``\n`` (``\r\n`` and a leading UTF-8 BOM are accepted); each is checked as
    ``tools analytics ingest`` checks it, and blank lines are skipped. A line of more than
    ``max_line_bytes`` bytes, or not UTF-8, is rejected alone. Good events are spooled in
    batches of ``batch_lines`` and stored with the key's record in one transaction, which
    waits for other writers as long as the store allows (then "busy, retry"). When
    ``idempotency_key`` is recorded already, ``chunks`` is not read and nothing is stored:
    the report repeats the recorded counts with ``duplicate`` set.

    Returns:
        The report: accepted and rejected counts, the first ``rejected_limit`` rejected lines
        (number and problem), the key, and whether the batch was a duplicate.

    Raises:
        UsageError: ``idempotency_key`` does not fit (exit 2, ``invalid-request``).
        ValueError: a limit is below 1 (``rejected_limit``: below 0): a bug of the caller.
        StoreError: the store cannot be opened or used (exit 2).
        StoreBusyError: another writer held the store too long (exit 5, nothing stored).
        Exception: whatever iterating ``chunks`` raises, unchanged (nothing stored).

    """
    check_idempotency_key(idempotency_key)
    if min(batch_lines, max_line_bytes, rejected_limit + 1) < 1:
        msg = f"limits out of range: {batch_lines=}, {max_line_bytes=}, {rejected_limit=}"
        raise ValueError(msg)
    key = idempotency_key
    rejected: list[RejectedLine] = []
    accepted = count = 0
    with open_store(root) as store:
        database = str(store.path)
        recorded = store.ingest_batch(key) if key is not None else None
        if recorded is None:  # else not read: the batch is stored already
            with EventSpool(store) as spool:
                rejected, count = _spool(chunks, spool, batch_lines, max_line_bytes,
                                         rejected_limit)  # fmt: skip
                accepted = spool.count
                recorded = spool.commit(key=key, source=source, rejected=count)
    if recorded is not None:  # the rejected lines of a batch stored before are not kept
        (accepted, count), rejected = recorded, []
    return StreamIngestReport(
        source=source, accepted=accepted, rejected=tuple(rejected), database=database,
        rejected_count=count, rejected_truncated=count > len(rejected),
        duplicate=recorded is not None, idempotency_key=key,
    )  # fmt: skip


def _spool(
    chunks: Iterable[bytes],
    spool: EventSpool,
    batch_lines: int,
    max_line_bytes: int,
    rejected_limit: int,
) -> tuple[list[RejectedLine], int]:
    """Spool the good events of ``chunks``; return the first rejected lines and their count."""
    rejected: list[RejectedLine] = []
    count = 0
    batch: list[tuple[Any, ...]] = []
    for number, checked in check_stream(chunks, max_line_bytes=max_line_bytes):
        if isinstance(checked, str):
            count += 1
            if len(rejected) < rejected_limit:
                rejected.append(RejectedLine(line=number, error=checked))
            continue
        batch.append(event_row(checked))
        if len(batch) >= batch_lines:
            spool.add(batch)
            batch.clear()
    spool.add(batch)
    return rejected, count
