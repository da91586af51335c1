"""NDJSON ingestion: every line validated, good lines stored in one transaction, bad ones named.

One event per line: ``source``, ``kind``, ``value``, ``unit``, ``timestamp`` (ISO 8601), and
optionally ``metrics`` (name → number), ``metadata`` (name → string, number, boolean or null)
and ``path`` (a file relative to the repository root, which joins the event to that file).
"""

from __future__ import annotations

import json
from datetime import datetime  # noqa: TC003  # pydantic resolves the annotation at run time
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hephaestus.analytics.models import IngestReport, RejectedLine

if TYPE_CHECKING:
    from collections.abc import Iterable

    from hephaestus.analytics.store import Store


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
    metrics: dict[str, float] = {}
    metadata: dict[str, str | int | float | bool | None] = {}
    path: str | None = Field(default=None, min_length=1)


def _problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(line)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


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


def parse_events(lines: Iterable[str]) -> tuple[list[MetricEvent], list[RejectedLine]]:
    """Validate each non-blank line; return the good events and the rejected line numbers."""
    good: list[MetricEvent] = []
    bad: list[RejectedLine] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append(RejectedLine(line=number, error=f"not JSON: {exc.msg}"))
            continue
        except RecursionError:  # nested deeper than the decoder's stack
            bad.append(RejectedLine(line=number, error="not JSON: nested too deeply"))
            continue
        except ValueError:  # an integer longer than int() converts (sys.get_int_max_str_digits)
            bad.append(RejectedLine(line=number, error="not JSON: a number too long to read"))
            continue
        if not isinstance(data, dict):
            bad.append(RejectedLine(line=number, error="not a JSON object"))
            continue
        try:
            good.append(MetricEvent.model_validate(data))
        except ValidationError as exc:
            bad.append(RejectedLine(line=number, error=_problem(exc)))
    return good, bad


def ingest_events(lines: Iterable[str], *, store: Store, source: str) -> IngestReport:
    """Store the valid events of ``lines`` in one transaction; report the rejected lines."""
    good, bad = parse_events(lines)
    store.add_events(
        (
            e.source,
            e.kind,
            e.value,
            e.unit,
            e.path,
            json.dumps(e.metrics),
            json.dumps(e.metadata),
            e.timestamp.isoformat(),
        )
        for e in good
    )
    return IngestReport(
        source=source, accepted=len(good), rejected=tuple(bad), database=str(store.path)
    )
