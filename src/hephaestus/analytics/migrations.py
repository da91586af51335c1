"""The analytics store's schema: an ordered list of migrations (``PRAGMA user_version``).

Each entry brings the schema from version N to N + 1 and runs in its own transaction; a new
version appends an entry, never edits one (docs/adr/0008).
"""

from __future__ import annotations

from typing import Final

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
    # 2: one row per commit (its paths in one column) and the per-file tally of one window;
    # complexity cached by git blob id. Both caches start afresh: the next run refills them.
    """
    DROP TABLE changes;
    DROP TABLE commits;
    CREATE TABLE commits (
        sha TEXT NOT NULL, time INTEGER NOT NULL, author TEXT NOT NULL, files INTEGER NOT NULL,
        paths TEXT NOT NULL, lines TEXT
    );
    CREATE TABLE tally (
        path TEXT PRIMARY KEY, commits INTEGER NOT NULL, added INTEGER NOT NULL,
        removed INTEGER NOT NULL, last INTEGER NOT NULL, authors TEXT NOT NULL
    );
    DELETE FROM meta WHERE key IN ('head', 'since', 'lines');
    DELETE FROM complexity;
    """,
    # 3: the idempotency keys of streamed ingestions, each stored with its events in one
    # transaction: a retried batch finds its key and is not stored twice.
    """
    CREATE TABLE ingest_batches (
        key TEXT PRIMARY KEY, accepted INTEGER NOT NULL, rejected INTEGER NOT NULL,
        source TEXT NOT NULL, created TEXT NOT NULL
    );
    """,
    # 4: each snapshot's repository totals (files, functions, complexity, commits, coverage when
    # measured), JSON; earlier snapshots keep NULL: their totals were never recorded.
    """
    ALTER TABLE snapshots ADD COLUMN totals TEXT;
    """,
)
SCHEMA_VERSION: Final = len(MIGRATIONS)
