"""Opening the analytics database: its errors, the schema brought up to date, bounded waits.

Several processes may open one database at once (parallel CI steps, an editor and a terminal):
creating the schema is serialised under SQLite's write lock and idempotent, waiting for a lock
is bounded, and a lock held too long is "busy, retry" (exit 5), never called corruption.
"""

from __future__ import annotations

import sqlite3
from time import monotonic, sleep
from typing import TYPE_CHECKING

from hephaestus.analytics.migrations import MIGRATIONS, SCHEMA_VERSION
from hephaestus.core.errors import ExternalError, HephaestusError, UsageError

if TYPE_CHECKING:
    from pathlib import Path


class StoreError(HephaestusError):
    """The analytics database cannot be opened or is from a newer hephaestus."""

    code = "store-error"
    exit_code = UsageError.exit_code


class StoreBusyError(ExternalError):
    """Another process held the analytics database's lock for longer than the wait allows."""

    code = "store-busy"


_BUSY = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _BUSY
    return "locked" in str(exc) or "busy" in str(exc)  # pragma: no cover  # no code given


def _readable_version(db: sqlite3.Connection, path: Path) -> int:
    """Return the schema version of ``db``, or raise if it is newer than this hephaestus knows."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: schema version {version} is newer than this hephaestus knows"
            f" ({SCHEMA_VERSION})",
            hint="upgrade hephaestus: this one cannot read it (and removing it would lose"
            " its snapshots and ingested events)",
        )
    return version


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the schema to :data:`SCHEMA_VERSION`, under the write lock.

    The version is read again once the lock is held: of several processes opening a new
    database at once, the first creates the schema and the others find it done.
    """
    if int(db.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION:
        return  # the usual case: no write lock taken
    db.execute("BEGIN IMMEDIATE")
    try:
        version = _readable_version(db, path)
        for number in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[number].split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {number + 1}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def set_wal(db: sqlite3.Connection, wait: float) -> None:
    """Switch to WAL, waiting (bounded) while another process is creating the file.

    Changing the journal mode needs a moment alone with the file, and SQLite does not call
    the busy handler for it: a newly created database opened by several processes at once
    answers "database is locked" right away.
    """
    deadline = monotonic() + wait
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or monotonic() > deadline:
                raise
            sleep(0.01)
        else:
            return


def failure(exc: sqlite3.DatabaseError, path: Path, *, wait: float) -> HephaestusError:
    """Return the error to raise for ``exc``: busy (retry, exit 5) or unusable (exit 2)."""
    if _is_busy(exc):
        return StoreBusyError(
            f"{path}: busy, retry: another process held its lock for over {wait:g} s",
            hint="retry when the other hephaestus run has finished; nothing was changed",
        )
    return StoreError(
        f"{path}: the analytics database is unusable ({exc})",
        hint="move it aside to start afresh: its caches are rebuilt, but its snapshots and"
        " ingested events would be lost (keep the moved file to recover them)",
    )
