"""The snapshots of the analytics store: each analysis's per-file metrics and repository totals.

A mixin of :class:`~hephaestus.analytics.store.Store` (which gives it the connection and the
transaction), kept apart so the store module stays within the module size limit.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hephaestus.analytics.models import Snapshot

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Collection
    from contextlib import AbstractContextManager

_BATCH = 500
"""Paths per ``IN (…)`` query: well under SQLite's limit of bound parameters."""


def utc_now() -> str:
    """Return the time now, UTC, to the second: ``2024-01-06T00:00:00Z``."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class SnapshotTable:
    """The ``snapshots`` and ``snapshot_files`` tables."""

    db: sqlite3.Connection
    transaction: Callable[[], AbstractContextManager[sqlite3.Connection]]
    """The store's transaction (:meth:`~hephaestus.analytics.store.Store.transaction`)."""

    def save_snapshot(
        self,
        *,
        command: str,
        head: str | None,
        since: str,
        files: dict[str, dict[str, Any]],
        totals: dict[str, float] | None = None,
    ) -> int:
        """Store one analysis (per-file metrics, repository totals) as a snapshot; return its id."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO snapshots (created, head, command, since, totals)"
                " VALUES (?, ?, ?, ?, ?)",
                (utc_now(), head, command, since, None if totals is None else json.dumps(totals)),
            )
            snapshot = int(cursor.lastrowid or 0)
            db.executemany(
                "INSERT INTO snapshot_files VALUES (?, ?, ?)",
                ((snapshot, path, json.dumps(m)) for path, m in files.items()),
            )
        return snapshot

    def snapshots(self) -> list[Snapshot]:
        """Every snapshot, newest first."""
        rows = self.db.execute(
            "SELECT s.id, s.created, s.head, s.command, s.since, s.totals, COUNT(f.path)"
            " FROM snapshots s LEFT JOIN snapshot_files f ON f.snapshot = s.id"
            " GROUP BY s.id ORDER BY s.id DESC"
        )
        return [
            Snapshot(
                id=i, created=c, head=h, command=cmd, since=s, files=n,
                totals=None if totals is None else json.loads(totals),
            )
            for i, c, h, cmd, s, totals, n in rows
        ]  # fmt: skip

    def latest_snapshot(self, *, command: str, before: int | None = None) -> int | None:
        """Id of the newest snapshot of ``command`` (older than ``before`` if given)."""
        row = self.db.execute(
            "SELECT MAX(id) FROM snapshots WHERE command = ? AND id < ?",
            (command, before if before is not None else 2**62),
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def snapshot_files(
        self, snapshot: int, paths: Collection[str] | None = None
    ) -> dict[str, dict[str, Any]]:
        """Return the per-file metrics of one snapshot: every file's, or only those of ``paths``.

        A table shows a few rows of a snapshot of thousands of files: reading (and decoding) only
        those keeps a warm run's history cheap.
        """
        query = "SELECT path, metrics FROM snapshot_files WHERE snapshot = ?"
        if paths is None:
            rows = self.db.execute(query, (snapshot,)).fetchall()
        else:
            wanted, rows = list(paths), []
            for start in range(0, len(wanted), _BATCH):
                chunk = wanted[start : start + _BATCH]
                marks = ", ".join("?" * len(chunk))
                selected = f"{query} AND path IN ({marks})"  # only placeholders are formatted
                rows += self.db.execute(selected, (snapshot, *chunk)).fetchall()
        return {path: json.loads(metrics) for path, metrics in rows}
