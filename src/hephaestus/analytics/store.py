"""The analytics store: SQLite in ``<root>/.hephaestus/analytics.db`` (docs/adr/0008).

One file holds the commit cache (every commit read from git, with its changed files, so a later
run reads only the commits added since), the complexity cache (by content hash), the snapshots
and the ingested events. The schema is versioned with ``PRAGMA user_version`` and migrated
forward on open; every write is one transaction; WAL lets a reader work while a writer writes.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from hephaestus.analytics.models import Snapshot
from hephaestus.core.errors import HephaestusError, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from hephaestus.analytics.churn import Commit

DATABASE: Final = "analytics.db"
BUSY_TIMEOUT_MS: Final = 10_000
_BATCH: Final = 2000

MIGRATIONS: Final[tuple[str, ...]] = (
    # 1: commit cache, complexity cache, snapshots, events.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE commits (
        sha TEXT PRIMARY KEY, time INTEGER NOT NULL, author TEXT NOT NULL, files INTEGER NOT NULL
    );
    CREATE TABLE changes (sha TEXT NOT NULL, path TEXT NOT NULL, added INTEGER, removed INTEGER);
    CREATE TABLE complexity (digest TEXT PRIMARY KEY, data TEXT NOT NULL);
    CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL, head TEXT,
        command TEXT NOT NULL, since TEXT NOT NULL
    );
    CREATE TABLE snapshot_files (
        snapshot INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
        path TEXT NOT NULL, metrics TEXT NOT NULL, PRIMARY KEY (snapshot, path)
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, kind TEXT NOT NULL,
        value REAL NOT NULL, unit TEXT NOT NULL, path TEXT, metrics TEXT NOT NULL,
        metadata TEXT NOT NULL, timestamp TEXT NOT NULL, ingested TEXT NOT NULL
    );
    CREATE INDEX events_path ON events(path, source, kind, timestamp);
    """,
)
SCHEMA_VERSION: Final = len(MIGRATIONS)


class StoreError(HephaestusError):
    """The analytics database cannot be opened or is from a newer hephaestus."""

    code = "store-error"
    exit_code = UsageError.exit_code


@dataclass(frozen=True, slots=True)
class HistoryState:
    """What the commit cache holds: up to ``head``, from ``since``, with or without lines."""

    head: str
    since: int
    lines: bool


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Store:
    """An open analytics database. Use :func:`open_store`."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.db = connection
        self.path = path

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed whole, or rolled back whole."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- commit cache -------------------------------------------------------------------------

    def history(self) -> HistoryState | None:
        """Return the commit cache's state, or ``None`` when it is empty."""
        meta = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        if "head" not in meta:
            return None
        return HistoryState(meta["head"], int(meta["since"]), meta["lines"] == "1")

    def save_history(  # noqa: PLR0913  # keyword-only, each needed
        self,
        commits: Iterable[Commit],
        *,
        head: str,
        since: int,
        lines: bool,
        replace: bool,
        aliases: dict[str, str] | None = None,
    ) -> int:
        """Store ``commits`` (all of them, or appended to the cache) in one transaction.

        ``aliases`` (old name → current name, from renames in the new commits) re-label the
        cached changes. Returns the number of commits stored.
        """
        count = 0
        commit_rows: list[tuple[str, int, str, int]] = []
        insert_commits = "INSERT OR REPLACE INTO commits VALUES (?, ?, ?, ?)"

        def rows() -> Iterator[tuple[str, str, int | None, int | None]]:
            nonlocal count
            for commit in commits:
                count += 1
                commit_rows.append((commit.sha, commit.time, commit.author, len(commit.changes)))
                if len(commit_rows) >= _BATCH:  # memory stays flat in the number of commits
                    self.db.cursor().executemany(insert_commits, commit_rows)
                    commit_rows.clear()
                for path, added, removed in commit.changes:
                    yield commit.sha, path, added, removed

        with self.transaction() as db:
            if replace:
                db.execute("DELETE FROM commits")
                db.execute("DELETE FROM changes")
            db.cursor().executemany("INSERT INTO changes VALUES (?, ?, ?, ?)", rows())
            db.executemany(insert_commits, commit_rows)
            for old, current in (aliases or {}).items():
                db.execute("UPDATE changes SET path = ? WHERE path = ?", (current, old))
            state = {"head": head, "since": str(since), "lines": "1" if lines else "0"}
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", state.items())
        return count

    def churn(self, *, since: int, large: int) -> Iterator[tuple[str, int, int, int, int, int]]:
        """Yield (path, commits, added, removed, authors, last time) per path in the window."""
        return self.db.execute(
            "SELECT ch.path, COUNT(DISTINCT ch.sha), SUM(ch.added), SUM(ch.removed),"
            " COUNT(DISTINCT c.author), MAX(c.time)"
            " FROM changes ch JOIN commits c ON c.sha = ch.sha"
            " WHERE c.time >= ? AND c.files <= ? GROUP BY ch.path",
            (since, large),
        )

    def window_counts(self, *, since: int, large: int) -> tuple[int, int]:
        """Return (commits in the window, of which larger than ``large`` files)."""
        row = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(files > ?), 0) FROM commits WHERE time >= ?",
            (large, since),
        ).fetchone()
        return int(row[0]), int(row[1])

    def changesets(self, *, since: int, largest: int) -> Iterator[tuple[str, str]]:
        """Yield (commit, path) of commits in the window with at most ``largest`` files."""
        return self.db.execute(
            "SELECT ch.sha, ch.path FROM changes ch JOIN commits c ON c.sha = ch.sha"
            " WHERE c.time >= ? AND c.files <= ? ORDER BY ch.sha",
            (since, largest),
        )

    # --- complexity cache ---------------------------------------------------------------------

    def cached_complexity(self, digests: Iterable[str]) -> dict[str, Any]:
        """Return the cached complexity data of those content digests that are known."""
        wanted = list(dict.fromkeys(digests))
        found: dict[str, Any] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT digest, data FROM complexity WHERE digest IN ({marks})",  # noqa: S608  # only '?' marks
                chunk,
            )
            found.update((d, json.loads(data)) for d, data in rows)
        return found

    def cache_complexity(self, entries: dict[str, Any]) -> None:
        """Remember complexity data by content digest."""
        if entries:
            with self.transaction() as db:
                db.executemany(
                    "INSERT OR REPLACE INTO complexity VALUES (?, ?)",
                    ((d, json.dumps(v)) for d, v in entries.items()),
                )

    # --- snapshots ----------------------------------------------------------------------------

    def save_snapshot(
        self, *, command: str, head: str | None, since: str, files: dict[str, dict[str, Any]]
    ) -> int:
        """Store one analysis (per-file metrics) as a snapshot; return its id."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO snapshots (created, head, command, since) VALUES (?, ?, ?, ?)",
                (_now(), head, command, since),
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
            "SELECT s.id, s.created, s.head, s.command, s.since, COUNT(f.path) FROM snapshots s"
            " LEFT JOIN snapshot_files f ON f.snapshot = s.id GROUP BY s.id ORDER BY s.id DESC"
        )
        return [
            Snapshot(id=i, created=c, head=h, command=cmd, since=s, files=n)
            for i, c, h, cmd, s, n in rows
        ]

    def latest_snapshot(self, *, command: str, before: int | None = None) -> int | None:
        """Id of the newest snapshot of ``command`` (older than ``before`` if given)."""
        row = self.db.execute(
            "SELECT MAX(id) FROM snapshots WHERE command = ? AND id < ?",
            (command, before if before is not None else 2**62),
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def snapshot_files(self, snapshot: int) -> dict[str, dict[str, Any]]:
        """Return the per-file metrics of one snapshot."""
        rows = self.db.execute(
            "SELECT path, metrics FROM snapshot_files WHERE snapshot = ?", (snapshot,)
        )
        return {path: json.loads(metrics) for path, metrics in rows}

    # --- events -------------------------------------------------------------------------------

    def add_events(self, events: Iterable[tuple[Any, ...]]) -> None:
        """Store ingested events (source, kind, value, unit, path, metrics, metadata, time)."""
        ingested = _now()
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO events (source, kind, value, unit, path, metrics, metadata,"
                " timestamp, ingested) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ((*event, ingested) for event in events),
            )

    def event_count(self) -> int:
        """Count the ingested events stored."""
        return int(self.db.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def path_metrics(self) -> dict[str, dict[str, float]]:
        """Latest value per 'source/kind' for every path that ingested events name."""
        rows = self.db.execute(
            "SELECT path, source, kind, value FROM events e WHERE path IS NOT NULL AND id = ("
            " SELECT id FROM events l WHERE l.path = e.path AND l.source = e.source"
            " AND l.kind = e.kind ORDER BY l.timestamp DESC, l.id DESC LIMIT 1)"
        )
        metrics: dict[str, dict[str, float]] = {}
        for path, source, kind, value in rows:
            metrics.setdefault(path, {})[f"{source}/{kind}"] = float(value)
        return metrics


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: schema version {version} is newer than this hephaestus knows"
            f" ({SCHEMA_VERSION})",
            hint="upgrade hephaestus, or remove the database to start afresh",
        )
    for number in range(version, SCHEMA_VERSION):
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[number].split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {number + 1}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


def database_path(root: Path) -> Path:
    """Where the store of the repository at ``root`` lives."""
    return root / ".hephaestus" / DATABASE


@contextmanager
def open_store(root: Path) -> Iterator[Store]:
    """Open (creating and migrating as needed) the store of ``root``; close it afterwards.

    Raises:
        StoreError: the database cannot be created or read, or is from a newer hephaestus.

    """
    path = database_path(root)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(
            f"{path}: cannot open the analytics database ({exc})",
            hint="check the permissions of .hephaestus/, or pass --no-store",
        ) from exc
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        _migrate(db, path)
        yield Store(db, path)
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path}: the analytics database is unusable ({exc})",
            hint="remove it to start afresh: it holds caches, snapshots and ingested events",
        ) from exc
    finally:
        db.close()


@contextmanager
def open_memory_store() -> Iterator[Store]:
    """Open a throw-away store in memory (``--no-store``): same schema, nothing written to disk."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    try:
        _migrate(db, Path(":memory:"))
        yield Store(db, Path(":memory:"))
    finally:
        db.close()
