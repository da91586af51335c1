"""Tasks and their events in SQLite, so that a client can read them after the server restarts.

One file (the server's, e.g. ``<state>/serve/tasks.sqlite3``) holds two tables: ``tasks`` (one row
per task: its view, its last event number and its latest progress) and ``events`` (numbered per
task from 1). The file is in WAL mode, so readers never wait for the writer; every change is one
``BEGIN IMMEDIATE`` transaction, so that two processes sharing the file never hand out the same
event number; a lock held by another process is waited for (bounded), then reported as busy.

Storage is bounded: a task keeps at most ``max_events`` progress and note events (the oldest go
first; status, result and error events are always kept), and :meth:`TaskStore.prune` keeps the
newest ``max_tasks`` finished tasks.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Self

from hephaestus.analytics.connection import set_wal
from hephaestus.api.task_models import (
    FINAL,
    TaskEvent,
    TaskNotFoundError,
    TaskProgress,
    TaskStatus,
    TaskStoreError,
    TaskView,
    interrupted_error,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from hephaestus.api.task_models import EventKind

MAX_EVENTS: Final = 10_000
"""Progress and note events kept per task (the oldest are dropped first)."""
MAX_TASKS: Final = 10_000
"""Finished tasks kept by :meth:`TaskStore.prune` (the oldest are removed first)."""
PAGE_LIMIT: Final = 1_000
"""Rows at most in one answer of :meth:`TaskStore.recent` or :meth:`TaskStore.events_after`."""
BUSY_WAIT: Final = 10.0
"""Seconds a write waits for another process's write before the store reports busy."""
SCHEMA_VERSION: Final = 1
DROPPABLE: Final = ("progress", "note")
"""Event kinds that may be dropped when a task has too many."""

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY, operation TEXT NOT NULL, root TEXT NOT NULL, principal TEXT NOT NULL,
    run_id TEXT NOT NULL, status TEXT NOT NULL, created TEXT NOT NULL, started TEXT,
    finished TEXT, result TEXT, error TEXT, progress TEXT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0, droppable INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tasks_status ON tasks(status);
CREATE TABLE IF NOT EXISTS events (
    task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
    kind TEXT NOT NULL, data TEXT NOT NULL, time TEXT NOT NULL, PRIMARY KEY (task_id, seq)
) WITHOUT ROWID;
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _view(row: sqlite3.Row) -> TaskView:
    data = dict(row)  # the bookkeeping columns (last_seq, droppable) are ignored
    for key in ("result", "error", "progress"):
        data[key] = None if data[key] is None else json.loads(data[key])
    return TaskView.model_validate(data)


class TaskStore:
    """An open task database; thread-safe (one connection, used under a lock).

    Open it with :meth:`open`; close it with :meth:`close` or a ``with`` block. Every method
    raises :class:`TaskStoreError` (exit 5) when the database cannot be read or written.
    """

    def __init__(self, db: sqlite3.Connection, path: Path, *, max_events: int) -> None:
        self._db = db
        self._lock = threading.Lock()
        self.path = path
        self.max_events = max_events

    @classmethod
    def open(cls, path: Path, *, max_events: int = MAX_EVENTS, wait: float = BUSY_WAIT) -> Self:
        """Open the database at ``path`` (creating it and its directory, and the schema).

        ``wait``: seconds a write waits for another process's write before failing as busy.

        Raises:
            TaskStoreError: the file cannot be created or read, is not a database, or holds a
                newer schema than this hephaestus knows (exit 5).

        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, timeout=wait, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise _failure(path, exc) from exc
        store = cls(db, path, max_events=max_events)
        try:
            with store._read():  # its errors become TaskStoreError
                db.row_factory = sqlite3.Row
                db.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
                set_wal(db, wait)
                db.execute("PRAGMA synchronous = NORMAL")
                db.execute("PRAGMA foreign_keys = ON")
                _create_schema(db, path)
        except BaseException:
            db.close()
            raise
        return store

    def close(self) -> None:
        """Close the database (later calls fail with :class:`TaskStoreError`)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def create(self, *, operation: str, root: str, principal: str, run_id: str) -> TaskView:
        """Record a new ``queued`` task (with its first status event) and return its view."""
        task_id = uuid.uuid4().hex
        with self._write() as db:
            db.execute(
                "INSERT INTO tasks (id, operation, root, principal, run_id, status, created,"
                " progress) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (task_id, operation, root, principal, run_id, TaskStatus.queued, _now(), "{}"),
            )
            self._append(db, task_id, "status", {"status": TaskStatus.queued})
        return self.get(task_id)

    def mark_running(self, task_id: str) -> TaskView:
        """Move a ``queued`` task to ``running`` and return its view (any other: unchanged).

        Raises:
            TaskNotFoundError: no task has this id (exit 2).

        """
        with self._write() as db:
            changed = db.execute(
                "UPDATE tasks SET status = ?, started = ? WHERE id = ? AND status = ?",
                (TaskStatus.running, _now(), task_id, TaskStatus.queued),
            ).rowcount
            if changed:
                self._append(db, task_id, "status", {"status": TaskStatus.running})
        return self.get(task_id)

    def finish(
        self,
        task_id: str,
        *,
        status: TaskStatus,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> TaskView:
        """End a task that has not ended: record its final ``status``, ``result`` and ``error``.

        Appends a ``result`` event (if ``result``), an ``error`` event (if ``error``), then the
        final ``status`` event, in one transaction. A task that has already ended is left as it
        is: the first ending wins.

        Raises:
            ValueError: ``status`` is not final.
            TaskNotFoundError: no task has this id (exit 2).

        """
        if status not in FINAL:
            msg = f"{status} is not a final status"
            raise ValueError(msg)
        with self._write() as db:
            self._finish(db, task_id, status=status, result=result, error=error)
        return self.get(task_id)

    def append_event(
        self,
        task_id: str,
        *,
        kind: EventKind,
        data: dict[str, Any],
        progress: TaskProgress | None = None,
    ) -> TaskEvent:
        """Append an event with the task's next number; ``progress`` becomes its latest progress.

        Raises:
            TaskNotFoundError: no task has this id (exit 2).

        """
        with self._write() as db:
            event = self._append(db, task_id, kind, data)
            if progress is not None:
                db.execute(
                    "UPDATE tasks SET progress = ? WHERE id = ?",
                    (progress.model_dump_json(), task_id),
                )
        return event

    def recover(self) -> list[str]:
        """End every task a previous server left ``queued`` or ``running`` as ``interrupted``.

        Call it once when the server starts, before it accepts tasks. Each such task gets the
        error ``task-interrupted`` and its error and status events. Returns their ids, oldest
        first, after pruning the finished tasks beyond :data:`MAX_TASKS`.

        """
        with self._write() as db:
            unfinished = "SELECT id FROM tasks WHERE status IN ('queued', 'running') ORDER BY rowid"
            ids = [row["id"] for row in db.execute(unfinished)]
            for task_id in ids:
                self._finish(db, task_id, status=TaskStatus.interrupted, error=interrupted_error())
        self.prune(keep=MAX_TASKS)
        return ids

    def prune(self, *, keep: int) -> int:
        """Remove the finished tasks (and their events) beyond the newest ``keep``; count them."""
        with self._write() as db:
            return db.execute(
                "DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE status NOT IN"
                " ('queued', 'running') ORDER BY rowid DESC LIMIT -1 OFFSET ?)",
                (keep,),
            ).rowcount

    def get(self, task_id: str) -> TaskView:
        """Return the view of the task ``task_id``.

        Raises:
            TaskNotFoundError: no task has this id (exit 2).

        """
        with self._read() as db:
            row = db.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone()
        if row is None:
            raise _not_found(task_id)
        return _view(row)

    def recent(self, *, limit: int = 100, principal: str | None = None) -> list[TaskView]:
        """Return the newest tasks first, at most ``limit`` (capped at :data:`PAGE_LIMIT`).

        ``principal``: only the tasks this principal submitted.

        """
        with self._read() as db:
            rows = db.execute(
                "SELECT * FROM tasks WHERE ?1 IS NULL OR principal = ?1 ORDER BY rowid DESC"
                " LIMIT ?2",
                (principal, max(0, min(limit, PAGE_LIMIT))),
            ).fetchall()
        return [_view(row) for row in rows]

    def events_after(
        self, task_id: str, after_seq: int = 0, *, limit: int = PAGE_LIMIT
    ) -> list[TaskEvent]:
        """Return the task's events numbered above ``after_seq``, in order, at most ``limit``.

        Raises:
            TaskNotFoundError: no task has this id (exit 2).

        """
        with self._read() as db:
            rows = db.execute(
                "SELECT seq, kind, data, time FROM events WHERE task_id = ? AND seq > ?"
                " ORDER BY seq LIMIT ?",
                (task_id, after_seq, max(0, min(limit, PAGE_LIMIT))),
            ).fetchall()
            if not rows and db.execute("SELECT 1 FROM tasks WHERE id = ?", (task_id,)).fetchone():
                return []
        if not rows:
            raise _not_found(task_id)
        return [
            TaskEvent.model_validate({**row, "task_id": task_id, "data": json.loads(row["data"])})
            for row in map(dict, rows)
        ]

    def _append(
        self, db: sqlite3.Connection, task_id: str, kind: EventKind, data: dict[str, Any]
    ) -> TaskEvent:
        droppable = int(kind in DROPPABLE)
        row = db.execute(
            "UPDATE tasks SET last_seq = last_seq + 1, droppable = droppable + ? WHERE id = ?"
            " RETURNING last_seq, droppable",
            (droppable, task_id),
        ).fetchone()
        if row is None:
            raise _not_found(task_id)
        event = TaskEvent(
            task_id=task_id, seq=row["last_seq"], kind=kind, data=data, time=datetime.now(UTC)
        )
        db.execute(
            "INSERT INTO events (task_id, seq, kind, data, time) VALUES (?, ?, ?, ?, ?)",
            (task_id, event.seq, kind, json.dumps(data), event.time.isoformat()),
        )
        if row["droppable"] > self.max_events:
            db.execute(
                "DELETE FROM events WHERE task_id = ? AND seq = (SELECT MIN(seq) FROM events"
                " WHERE task_id = ? AND kind IN (?, ?))",
                (task_id, task_id, *DROPPABLE),
            )
            db.execute("UPDATE tasks SET droppable = droppable - 1 WHERE id = ?", (task_id,))
        return event

    def _finish(
        self,
        db: sqlite3.Connection,
        task_id: str,
        *,
        status: TaskStatus,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        dumped = [None if value is None else json.dumps(value) for value in (result, error)]
        changed = db.execute(
            "UPDATE tasks SET status = ?, finished = ?, result = ?, error = ? WHERE id = ?"
            " AND status IN ('queued', 'running')",
            (status, _now(), *dumped, task_id),
        ).rowcount
        if not changed:
            return
        if result is not None:
            self._append(db, task_id, "result", result)
        if error is not None:
            self._append(db, task_id, "error", error)
        self._append(db, task_id, "status", {"status": status})

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._read() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as exc:
                raise _failure(self.path, exc) from exc


def _create_schema(db: sqlite3.Connection, path: Path) -> None:
    """Create the tables once (idempotent, under the write lock), or refuse a newer schema."""
    db.execute("BEGIN IMMEDIATE")
    try:
        _check_version(db, path)
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _check_version(db: sqlite3.Connection, path: Path) -> None:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise TaskStoreError(
            f"{path}: schema version {version} is newer than this hephaestus knows"
            f" ({SCHEMA_VERSION})",
            hint="upgrade hephaestus, or give the server another state directory",
        )


def _failure(path: Path, exc: BaseException) -> TaskStoreError:
    return TaskStoreError(
        f"{path}: the task database cannot be used ({exc})",
        hint="if another server shares this state directory, stop it; else check the file's "
        "permissions and free space, or move the file aside to start afresh",
    )


def _not_found(task_id: str) -> TaskNotFoundError:
    return TaskNotFoundError(
        f"no task has the id {task_id!r}",
        hint="list the tasks to find its id; finished tasks are kept for a while, not for ever",
    )
