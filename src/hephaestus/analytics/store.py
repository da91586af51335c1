"""The analytics store: SQLite in ``<root>/.hephaestus/analytics.db`` (docs/adr/0008).

One file holds the commit cache (one row per commit read from git, with its changed files) and
the per-file tally of one window (so a later run reads and counts only the commits added since),
the complexity cache (by git blob id), the snapshots, the ingested events and the keys of
streamed ingestions. The schema is versioned with ``PRAGMA user_version`` and migrated forward
on open (:mod:`.migrations`); every write is one transaction; WAL lets a reader work while a
writer writes.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from hephaestus.analytics.connection import (
    StoreBusyError as StoreBusyError,  # noqa: PLC0414  # re-exported: mypy strict wants it explicit
)
from hephaestus.analytics.connection import (
    StoreError as StoreError,  # noqa: PLC0414  # re-exported: mypy strict wants it explicit
)
from hephaestus.analytics.connection import failure, migrate, set_wal
from hephaestus.analytics.migrations import (
    MIGRATIONS as MIGRATIONS,  # noqa: PLC0414  # re-exported: mypy strict wants it explicit
)
from hephaestus.analytics.migrations import (
    SCHEMA_VERSION as SCHEMA_VERSION,  # noqa: PLC0414  # re-exported: mypy strict wants it explicit
)
from hephaestus.analytics.snapshot_table import SnapshotTable, utc_now
from hephaestus.core.errors import field_ref
from hephaestus.core.state import state_directory

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from hephaestus.analytics.churn import Commit

DATABASE: Final = "analytics.db"
BUSY_TIMEOUT_MS: Final = 10_000
NUL: Final = "\0"  # joins the paths of one commit: the one character no path holds

Tally = dict[str, list[Any]]
"""Per path: [commits, lines added, lines removed, last change (epoch), authors].

Authors are a set, or NUL-joined text as read from the store (made a set when first added to).
"""


@dataclass(frozen=True, slots=True)
class HistoryState:
    """What the commit cache holds: up to ``head``, from ``since``, with or without lines."""

    head: str
    since: int
    lines: bool


def _joined(authors: set[str] | str) -> str:
    return authors if type(authors) is str else NUL.join(sorted(authors))


def _pair(item: str) -> tuple[int, int]:
    added, removed = item.split("\t")
    return int(added), int(removed)


class Store(SnapshotTable):
    """An open analytics database. Use :func:`open_store`."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.db = connection
        self.path = path
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed whole, or rolled back whole.

        Nested uses join the outermost one, so a whole run (the commit cache, the complexity
        cache and its snapshot) is written together or not at all: a run that fails midway
        leaves the store as it found it.
        """
        if self._depth:
            self._depth += 1
            try:
                yield self.db
            finally:
                self._depth -= 1
            return
        self.db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self.db
        except BaseException:
            self._depth = 0
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        self._depth = 0
        self.db.execute("COMMIT")

    # --- commit cache ---------------------------------------------------------------------------

    def history(self) -> HistoryState | None:
        """Return the commit cache's state, or ``None`` when it is empty."""
        meta = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        if "head" not in meta:
            return None
        return HistoryState(meta["head"], int(meta["since"]), meta["lines"] == "1")

    def set_history(self, *, head: str, since: int, lines: bool) -> None:
        """Record what the commit cache now holds (inside the caller's transaction)."""
        state = {"head": head, "since": str(since), "lines": "1" if lines else "0"}
        self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", state.items())

    def clear_commits(self) -> None:
        """Forget every cached commit and the tally (inside the caller's transaction)."""
        self.db.execute("DELETE FROM commits")
        self.db.execute("DELETE FROM tally")

    def add_commits(self, commits: Iterable[Commit]) -> int:
        """Append ``commits`` to the cache, one row each, streamed; return how many."""
        count = 0

        def rows() -> Iterator[tuple[str, int, str, int, str, str | None]]:
            nonlocal count
            for c in commits:
                count += 1
                lines = None if c.lines is None else NUL.join(f"{a}\t{r}" for a, r in c.lines)
                yield c.sha, c.time, c.author, len(c.paths), NUL.join(c.paths), lines

        self.db.executemany("INSERT INTO commits VALUES (?, ?, ?, ?, ?, ?)", rows())
        return count

    def cached_commits(self, *, since: int) -> Iterator[Commit]:
        """Yield the cached commits authored at or after ``since``."""
        from hephaestus.analytics.churn import Commit  # noqa: PLC0415  # no import cycle

        rows = self.db.execute(
            "SELECT sha, time, author, paths, lines FROM commits WHERE time >= ?", (since,)
        )
        for sha, time, author, paths, lines in rows:
            counts = None
            if lines is not None:
                counts = [_pair(item) for item in lines.split(NUL)] if lines else []
            yield Commit(sha, time, author, paths.split(NUL) if paths else [], counts)

    def last_row(self) -> int:
        """Return the rowid of the newest cached commit row (0 when there is none)."""
        return int(self.db.execute("SELECT COALESCE(MAX(rowid), 0) FROM commits").fetchone()[0])

    def relabel(self, aliases: dict[str, str], *, upto: int) -> None:
        """Rename paths of the cached commits up to row ``upto`` by ``aliases`` (old -> current).

        Only rows older than the renaming commits: a newer commit may name a new file that
        reuses an old name.
        """
        changed = []
        rows = self.db.execute("SELECT rowid, paths FROM commits WHERE rowid <= ?", (upto,))
        for rowid, paths in rows.fetchall():
            names = paths.split(NUL) if paths else []
            if any(name in aliases for name in names):
                current = NUL.join(aliases.get(name, name) for name in names)
                changed.append((current, rowid))
        self.db.executemany("UPDATE commits SET paths = ? WHERE rowid = ?", changed)

    def tally(self, *, since: int, large: int, lines: bool) -> Tally | None:
        """Return the stored per-file tally if it is the one of this window, else ``None``.

        The tally of window start S serves any later start T when no cached commit lies in
        [S, T): the same commits are in both windows.
        """
        meta = dict(self.db.execute("SELECT key, value FROM meta WHERE key LIKE 'tally_%'"))
        if meta.get("tally_large") != str(large) or meta.get("tally_lines") != str(int(lines)):
            return None
        start = int(meta.get("tally_since", since + 1))
        if start > since:
            return None
        between = self.db.execute(
            "SELECT 1 FROM commits WHERE time >= ? AND time < ? LIMIT 1", (start, since)
        ).fetchone()
        if between is not None:
            return None
        # Authors stay NUL-joined text until a new commit touches the path (history.add_commit).
        return {
            path: [commits, added, removed, last, authors]
            for path, commits, added, removed, last, authors in self.db.execute(
                "SELECT path, commits, added, removed, last, authors FROM tally"
            )
        }

    def save_tally(
        self, tally: Tally, *, since: int, large: int, lines: bool, only: set[str] | None
    ) -> None:
        """Store the tally of a window (all of it, or only the paths ``only`` names)."""
        if only is None:
            self.db.execute("DELETE FROM tally")
        paths = tally if only is None else [p for p in only if p in tally]
        self.db.executemany(
            "INSERT OR REPLACE INTO tally VALUES (?, ?, ?, ?, ?, ?)",
            (
                (path, entry[0], entry[1], entry[2], entry[3], _joined(entry[4]))
                for path in paths
                for entry in (tally[path],)
            ),
        )
        meta = {
            "tally_since": str(since),
            "tally_large": str(large),
            "tally_lines": str(int(lines)),
        }
        self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())

    def window_counts(self, *, since: int, large: int) -> tuple[int, frozenset[str]]:
        """Return (commits in the window, the ids of those with more than ``large`` files)."""
        query = "SELECT COUNT(*) FROM commits WHERE time >= ?"
        total = int(self.db.execute(query, (since,)).fetchone()[0])
        query = "SELECT sha FROM commits WHERE time >= ? AND files > ?"
        return total, frozenset(sha for (sha,) in self.db.execute(query, (since, large)))

    def changesets(self, *, since: int, largest: int) -> Iterator[tuple[str, str]]:
        """Yield (commit, path) of commits in the window with at most ``largest`` files."""
        rows = self.db.execute(
            "SELECT sha, paths FROM commits WHERE time >= ? AND files <= ? AND files > 0",
            (since, largest),
        )
        for sha, paths in rows:
            for path in paths.split(NUL):
                yield sha, path

    # --- complexity cache ---------------------------------------------------------------------

    def cached_complexity(self, digests: Iterable[str]) -> dict[str, Any]:
        """Return the cached complexity data of those blob ids that are known."""
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

    def cache_complexity(self, entries: dict[str, str]) -> None:
        """Remember complexity data (JSON text) by git blob id."""
        if entries:
            with self.transaction() as db:
                db.executemany("INSERT OR REPLACE INTO complexity VALUES (?, ?)", entries.items())

    # --- events -------------------------------------------------------------------------------

    def add_events(self, events: Iterable[tuple[Any, ...]]) -> None:
        """Store ingested events (source, kind, value, unit, path, metrics, metadata, time)."""
        ingested = utc_now()
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO events (source, kind, value, unit, path, metrics, metadata,"
                " timestamp, ingested) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ((*event, ingested) for event in events),
            )

    def ingest_batch(self, key: str) -> tuple[int, int] | None:
        """Return the (accepted, rejected) counts recorded under idempotency ``key``, if any."""
        query = "SELECT accepted, rejected FROM ingest_batches WHERE key = ?"
        found = self.db.execute(query, (key,)).fetchone()
        return None if found is None else (int(found[0]), int(found[1]))

    def record_ingest_batch(self, *, key: str, accepted: int, rejected: int, source: str) -> None:
        """Record idempotency ``key`` and its counts (inside the caller's transaction).

        Raises:
            sqlite3.IntegrityError: ``key`` is recorded already (its primary key).

        """
        values = (key, accepted, rejected, source, utc_now())
        self.db.execute("INSERT INTO ingest_batches VALUES (?, ?, ?, ?, ?)", values)

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


def database_path(root: Path) -> Path:
    """Where the store of the repository at ``root`` lives."""
    return root / ".hephaestus" / DATABASE


@contextmanager
def open_store(root: Path, *, wait: float = BUSY_TIMEOUT_MS / 1000) -> Iterator[Store]:
    """Open (creating and migrating as needed) the store of ``root``; close it afterwards.

    A write waits up to ``wait`` seconds for another process's write to finish.

    Raises:
        StoreError: the database cannot be created or read, or is from a newer hephaestus.
        StoreBusyError: another process held the lock longer than ``wait`` (exit 5).

    """
    path = database_path(root)
    try:
        state_directory(root)
        db = sqlite3.connect(path, timeout=wait, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(
            f"{path}: cannot open the analytics database ({exc})",
            hint=f"check the permissions of .hephaestus/, or pass {field_ref('no_store')}",
        ) from exc
    try:
        db.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
        set_wal(db, wait)
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        migrate(db, path)
        yield Store(db, path)
    except sqlite3.DatabaseError as exc:
        raise failure(exc, path, wait=wait) from exc
    finally:
        db.close()


@contextmanager
def open_memory_store() -> Iterator[Store]:
    """Open a throw-away store in memory (``no_store``): same schema, nothing written to disk."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate(db, Path(":memory:"))
        yield Store(db, Path(":memory:"))
    finally:
        db.close()
