"""NDJSON ingestion: every line validated, good lines stored in one transaction, bad ones named.

One event per line: ``source``, ``kind``, ``value``, ``unit``, ``timestamp`` (ISO 8601), and
optionally ``metrics`` (name → number), ``metadata`` (name → string, number, boolean or null)
and ``path`` (a file relative to the repository root, which joins the event to that file).

Two readers share one line validator (:func:`check_line`): :func:`split_lines` for a whole
document in memory (the CLI), and :func:`check_stream` for bytes arriving in chunks (the
service faces), which holds at most one line of at most ``max_line_bytes`` at a time.
"""

from __future__ import annotations

import json
from datetime import datetime  # noqa: TC003  # pydantic resolves the annotation at run time
from typing import TYPE_CHECKING, Any, Final, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hephaestus.analytics.models import IngestReport, RejectedLine
from hephaestus.analytics.snapshot_table import utc_now
from hephaestus.core import telemetry
from hephaestus.core.instruments import INGESTED_EVENTS

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from hephaestus.analytics.store import Store

BOM: Final = "\ufeff".encode()
LONGEST_PLACE: Final = 200
"""Characters of an error's location kept: a JSON key of a megabyte is named by its start."""


class MetricEvent(BaseModel):
    """One ingested event, as a line of NDJSON."""

    # allow_inf_nan: Python's json reads NaN and Infinity (and 1e400 overflows to it); SQLite
    # would store NaN as NULL, and neither is a measurement.
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False, allow_inf_nan=False)

    source: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    value: float
    unit: str
    timestamp: datetime
    # default_factory: a {} default is deep-copied for each event, a third of validating one.
    metrics: dict[str, float] = Field(default_factory=dict)
    metadata: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    path: str | None = Field(default=None, min_length=1)


def _problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(line)"
    if len(where) > LONGEST_PLACE:
        where = where[: LONGEST_PLACE - 1] + "…"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


def check_line(line: str) -> MetricEvent | str | None:
    """Validate one NDJSON line (without its line end).

    Returns:
        The event; ``None`` for a blank line (skipped, not rejected); else the problem, one
        line of text saying why the line is rejected.

    """
    if not line.strip():
        return None
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"not JSON: {exc.msg}"
    except (RecursionError, ValueError) as exc:
        # Nested deeper than the decoder's stack, or an integer longer than int() converts
        # (sys.get_int_max_str_digits).
        deep = isinstance(exc, RecursionError)
        return "not JSON: " + ("nested too deeply" if deep else "a number too long to read")
    if not isinstance(data, dict):
        return "not a JSON object"
    try:
        return MetricEvent.model_validate(data)
    except ValidationError as exc:
        return _problem(exc)


def event_row(event: MetricEvent) -> tuple[Any, ...]:
    """Return the stored columns of ``event`` (as :meth:`Store.add_events` takes them)."""
    # json.dumps costs ~2 µs even for {}: most events carry neither mapping.
    metrics = json.dumps(event.metrics) if event.metrics else "{}"
    metadata = json.dumps(event.metadata) if event.metadata else "{}"
    return (event.source, event.kind, event.value, event.unit, event.path, metrics, metadata,
            event.timestamp.isoformat())  # fmt: skip


def split_lines(data: bytes | str) -> list[str]:
    r"""Decode NDJSON ``data`` (UTF-8 bytes or text, a leading BOM allowed) into its lines.

    Lines end at ``\n`` only (a ``\r`` before it is dropped): ``str.splitlines`` would also
    split at U+2028, U+0085 and other characters a JSON string may hold raw.

    Raises:
        UnicodeDecodeError: ``data`` is not UTF-8.

    """
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.removeprefix("\ufeff")
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()  # the newline ending the last line starts no line of its own
    return [line.removesuffix("\r") for line in lines]


def split_chunks(chunks: Iterable[bytes], *, max_line_bytes: int) -> Iterator[bytes | None]:
    r"""Yield the lines of the bytes arriving as ``chunks``, without their ``\n``, in order.

    A line may span chunks; the lines are those :func:`split_lines` finds in the joined bytes
    (``\r`` and the BOM are left to the caller). A line of more than ``max_line_bytes`` bytes
    before its ``\n`` is yielded as ``None`` once its ``\n`` (or the end) is reached: its bytes
    are skipped, never gathered, so at most ``max_line_bytes`` are held between chunks.

    Raises:
        Exception: whatever iterating ``chunks`` raises, unchanged.

    """
    partial = bytearray()
    skipping = False
    for chunk in chunks:
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            if skipping or len(partial) + end - start > max_line_bytes:
                yield None
            elif partial:
                partial += chunk[start:end]
                yield bytes(partial)
            else:
                yield chunk[start:end]
            partial.clear()
            skipping = False
            start = end + 1
        if skipping:
            continue
        if len(partial) + len(chunk) - start > max_line_bytes:
            partial.clear()
            skipping = True
        else:
            partial += chunk[start:]
    if skipping:
        yield None
    elif partial:
        yield bytes(partial)


def check_stream(
    chunks: Iterable[bytes], *, max_line_bytes: int
) -> Iterator[tuple[int, MetricEvent | str]]:
    """Yield (line number, event or problem) for each non-blank line of NDJSON ``chunks``.

    The lines, their numbers and verdicts are those of ``split_lines`` and ``check_line`` on
    the joined bytes; besides, a line too long or not UTF-8 is rejected alone (a whole
    document that is not UTF-8 is one error for :func:`split_lines`).

    Raises:
        Exception: whatever iterating ``chunks`` raises, unchanged.

    """
    lines = split_chunks(chunks, max_line_bytes=max_line_bytes)
    for number, raw in enumerate(lines, start=1):
        if raw is None:
            yield number, f"longer than {max_line_bytes} bytes"
            continue
        try:
            text = (raw.removeprefix(BOM) if number == 1 else raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, f"not UTF-8: {exc.reason} at byte {exc.start + 1}"
            continue
        checked = check_line(text.removesuffix("\r"))
        if checked is not None:
            yield number, checked


class EventSpool:
    """Checked events held in a private temporary database until stored in one transaction.

    The store's write lock is taken only to copy them (:meth:`commit`), not while they arrive:
    a slow sender holds no other writer off. SQLite keeps the spool in its page cache and
    moves it to a temporary file as it grows, so memory stays bounded. Use as a context
    manager; leaving it throws away whatever was not committed.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self.count = 0
        """Events spooled so far."""

    def __enter__(self) -> Self:
        db = self._store.db
        db.execute("ATTACH DATABASE '' AS spool")  # '': private, deleted when detached
        db.execute("PRAGMA spool.journal_mode = OFF")  # never rolled back: thrown away instead
        db.execute(
            "CREATE TABLE spool.pending"
            " (source, kind, value, unit, path, metrics, metadata, timestamp)"
        )
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._store.db.execute("DETACH DATABASE spool")

    def add(self, rows: list[tuple[Any, ...]]) -> None:
        """Spool ``rows`` (made by :func:`event_row`)."""
        self._store.db.executemany(
            "INSERT INTO spool.pending VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
        self.count += len(rows)

    def commit(self, *, key: str | None, source: str, rejected: int) -> tuple[int, int] | None:
        """Store the spooled events and ``key``'s record in one transaction.

        The key is looked up again under the write lock: of several ingestions of one key,
        the first to take the lock stores, the others find its record.

        Returns:
            ``None`` when stored; when ``key`` was recorded already, its recorded (accepted,
            rejected) counts, and nothing is stored.

        Raises:
            sqlite3.Error: the store failed or stayed locked (``open_store`` says which).

        """
        store = self._store
        with store.transaction():
            if key is not None and (recorded := store.ingest_batch(key)) is not None:
                return recorded
            store.db.execute(
                "INSERT INTO main.events (source, kind, value, unit, path, metrics, metadata,"
                " timestamp, ingested) SELECT *, ? FROM spool.pending ORDER BY rowid",
                (utc_now(),),
            )
            if key is not None:
                store.record_ingest_batch(
                    key=key, accepted=self.count, rejected=rejected, source=source
                )
        record_ingested(accepted=self.count, rejected=rejected)
        return None


def record_ingested(*, accepted: int, rejected: int) -> None:
    """Count stored and rejected events (``hephaestus.ingest.events``), when metrics are on."""
    for result, count in (("accepted", accepted), ("rejected", rejected)):
        if count:
            telemetry.record(INGESTED_EVENTS, count, {"hephaestus.ingest.result": result})


def parse_events(lines: Iterable[str]) -> tuple[list[MetricEvent], list[RejectedLine]]:
    """Validate each non-blank line; return the good events and the rejected line numbers."""
    good: list[MetricEvent] = []
    bad: list[RejectedLine] = []
    for number, line in enumerate(lines, start=1):
        checked = check_line(line)
        if isinstance(checked, str):
            bad.append(RejectedLine(line=number, error=checked))
        elif checked is not None:
            good.append(checked)
    return good, bad


def ingest_events(lines: Iterable[str], *, store: Store, source: str) -> IngestReport:
    """Store the valid events of ``lines`` in one transaction; report the rejected lines."""
    good, bad = parse_events(lines)
    store.add_events(event_row(e) for e in good)
    record_ingested(accepted=len(good), rejected=len(bad))
    return IngestReport(
        source=source, accepted=len(good), rejected=tuple(bad), database=str(store.path)
    )
