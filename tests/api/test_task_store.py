from __future__ import annotations

import sqlite3
import threading
from datetime import UTC
from typing import TYPE_CHECKING, Any, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hephaestus.api.task_models import (
    EventKind,
    TaskNotFoundError,
    TaskProgress,
    TaskStatus,
    TaskStoreError,
)
from hephaestus.api.task_store import SCHEMA_VERSION, TaskStore
from hephaestus.core.errors import ExitCode

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from hephaestus.api.task_models import TaskView

KINDS: tuple[EventKind, ...] = get_args(EventKind)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """Where the server keeps its tasks: a state directory not yet created."""
    return tmp_path / "state" / "serve" / "tasks.sqlite3"


@pytest.fixture
def store(path: Path) -> Iterator[TaskStore]:
    """An open store in ``tmp_path``."""
    with TaskStore.open(path) as opened:
        yield opened


def _create(store: TaskStore, principal: str = "alice") -> TaskView:
    return store.create(operation="version", root="/repo", principal=principal, run_id="run-1")


def test_open_creates_the_file_once_in_wal_mode(path: Path) -> None:
    """Opening twice (two servers, or a restart) finds the schema made; the file is in WAL."""
    with TaskStore.open(path) as first, TaskStore.open(path) as second:
        view = _create(first)
        assert second.get(view.id) == view
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        db.close()


def test_a_new_task_is_queued_with_its_first_event(store: TaskStore) -> None:
    """A new task is queued, dated in UTC, with one status event numbered 1."""
    view = _create(store)
    assert len(view.id) == 32
    assert int(view.id, 16) >= 0
    assert view.status is TaskStatus.queued
    assert view.created.tzinfo is not None
    assert view.created.utcoffset() == UTC.utcoffset(None)
    assert (view.started, view.finished, view.result, view.error) == (None, None, None, None)
    assert view.progress == TaskProgress()
    (event,) = store.events_after(view.id)
    assert (event.seq, event.kind, event.data) == (1, "status", {"status": "queued"})


def test_a_task_runs_then_ends_once(store: TaskStore) -> None:
    """A task goes queued, running, succeeded; a second ending is ignored: the first wins."""
    view = _create(store)
    running = store.mark_running(view.id)
    assert running.status is TaskStatus.running
    assert running.started is not None
    ended = store.finish(view.id, status=TaskStatus.succeeded, result={"answer": 42})
    assert ended.status is TaskStatus.succeeded
    assert ended.result == {"answer": 42}
    assert ended.finished is not None
    again = store.finish(view.id, status=TaskStatus.failed, error={"code": "x"})
    assert again == ended
    assert store.mark_running(view.id) == ended
    kinds = [(e.kind, e.data) for e in store.events_after(view.id)]
    assert kinds == [
        ("status", {"status": "queued"}),
        ("status", {"status": "running"}),
        ("result", {"answer": 42}),
        ("status", {"status": "succeeded"}),
    ]


def test_finish_refuses_a_status_that_is_not_final(store: TaskStore) -> None:
    """Only succeeded, failed, cancelled and interrupted end a task."""
    view = _create(store)
    with pytest.raises(ValueError, match="not a final status"):
        store.finish(view.id, status=TaskStatus.running)


def test_an_unknown_task_is_not_found(store: TaskStore) -> None:
    """Every method given an unknown id raises task-not-found (exit 2)."""
    with pytest.raises(TaskNotFoundError) as caught:
        store.get("nope")
    assert caught.value.code == "task-not-found"
    assert caught.value.exit_code == ExitCode.USAGE
    with pytest.raises(TaskNotFoundError):
        store.mark_running("nope")
    with pytest.raises(TaskNotFoundError):
        store.finish("nope", status=TaskStatus.cancelled)
    with pytest.raises(TaskNotFoundError):
        store.append_event("nope", kind="note", data={})
    with pytest.raises(TaskNotFoundError):
        store.events_after("nope")


def test_progress_events_keep_the_latest_progress(store: TaskStore) -> None:
    """An event given a progress makes it the task's latest progress."""
    view = _create(store)
    store.append_event(view.id, kind="progress", data={}, progress=TaskProgress(total=3, done=2))
    assert store.get(view.id).progress == TaskProgress(total=3, done=2)


@given(
    events=st.lists(
        st.tuples(
            st.sampled_from(KINDS),
            st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3),
        ),
        max_size=30,
    ),
    data=st.data(),
)
# One store serves every example: each example creates a task of its own.
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_resuming_after_n_yields_exactly_the_events_after_n(
    store: TaskStore, events: list[tuple[EventKind, dict[str, Any]]], data: st.DataObject
) -> None:
    """Numbers count from 1 without gaps; events_after(N), paged, is the list after N."""
    view = _create(store)
    for kind, payload in events:
        store.append_event(view.id, kind=kind, data=payload)
    stored = store.events_after(view.id)
    assert [e.seq for e in stored] == list(range(1, len(events) + 2))
    assert [(e.kind, e.data) for e in stored[1:]] == events
    after = data.draw(st.integers(min_value=0, max_value=len(stored)), label="Last-Event-ID")
    limit = data.draw(st.integers(min_value=1, max_value=5), label="page size")
    paged, seen = [], after
    while page := store.events_after(view.id, seen, limit=limit):
        assert len(page) <= limit
        paged += page
        seen = page[-1].seq
    assert paged == stored[after:]


def test_progress_events_are_capped_and_the_others_kept(path: Path) -> None:
    """Beyond max_events, the oldest progress and note events go; status and result stay."""
    with TaskStore.open(path, max_events=5) as store:
        view = _create(store)
        store.mark_running(view.id)
        for done in range(50):
            kind: EventKind = "note" if done % 10 == 0 else "progress"
            store.append_event(view.id, kind=kind, data={"done": done})
        store.finish(view.id, status=TaskStatus.succeeded, result={"ok": True})
        stored = store.events_after(view.id)
    droppable = [e for e in stored if e.kind in {"progress", "note"}]
    assert [e.data["done"] for e in droppable] == [45, 46, 47, 48, 49]
    assert [e.kind for e in stored if e not in droppable] == [
        "status",
        "status",
        "result",
        "status",
    ]
    seqs = [e.seq for e in stored]
    assert seqs == sorted(set(seqs))
    assert seqs[-1] == 54


def test_recover_interrupts_what_a_crashed_server_left(path: Path) -> None:
    """A second store on the file reports the queued and running tasks interrupted."""
    crashed = TaskStore.open(path)
    queued, running, done = _create(crashed), _create(crashed), _create(crashed)
    crashed.mark_running(running.id)
    crashed.mark_running(done.id)
    crashed.finish(done.id, status=TaskStatus.succeeded, result={})
    # No close: the process died. A new server opens the same file.
    with TaskStore.open(path) as restarted:
        assert restarted.recover() == [queued.id, running.id]
        for task_id in (queued.id, running.id):
            view = restarted.get(task_id)
            assert view.status is TaskStatus.interrupted
            assert view.finished is not None
            assert view.error is not None
            assert view.error["code"] == "task-interrupted"
            assert view.error["exit_code"] == ExitCode.INTERRUPTED
            assert view.error["message"] == "the server stopped while the task ran"
            last_two = restarted.events_after(task_id)[-2:]
            assert [e.kind for e in last_two] == ["error", "status"]
            assert last_two[-1].data == {"status": "interrupted"}
        assert restarted.get(done.id).status is TaskStatus.succeeded
        assert restarted.recover() == []
    crashed.close()


def test_concurrent_appends_never_share_a_number(path: Path) -> None:
    """Threads on one store and a second connection (another process) number events uniquely."""
    with TaskStore.open(path) as store, TaskStore.open(path) as other:
        view = _create(store)
        barrier = threading.Barrier(6)

        def append(target: TaskStore) -> None:
            barrier.wait()
            for _ in range(25):
                target.append_event(view.id, kind="note", data={})

        threads = [threading.Thread(target=append, args=(s,)) for s in [store, other] * 3]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [e.seq for e in store.events_after(view.id)] == list(range(1, 152))


def test_recent_is_newest_first_bounded_and_by_principal(store: TaskStore) -> None:
    """Listing gives the newest tasks first, at most limit, optionally one principal's."""
    views = [_create(store, principal="alice" if i % 2 else "bob") for i in range(6)]
    assert [v.id for v in store.recent(limit=4)] == [v.id for v in reversed(views)][:4]
    alice = store.recent(principal="alice")
    assert [v.id for v in alice] == [v.id for v in reversed(views) if v.principal == "alice"]
    assert store.recent(limit=0) == []


def test_prune_keeps_the_newest_finished_tasks(store: TaskStore) -> None:
    """Pruning removes the oldest finished tasks and their events, never an unfinished one."""
    unfinished = _create(store)
    finished = [_create(store) for _ in range(4)]
    for view in finished:
        store.finish(view.id, status=TaskStatus.cancelled)
    assert store.prune(keep=1) == 3
    assert {v.id for v in store.recent()} == {unfinished.id, finished[-1].id}
    with pytest.raises(TaskNotFoundError):
        store.events_after(finished[0].id)


def test_a_file_that_is_no_database_is_a_store_error(path: Path) -> None:
    """Garbage in the file is task-store-error (exit 5), naming the file."""
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a database, just some bytes" * 100)
    with pytest.raises(TaskStoreError) as caught:
        TaskStore.open(path)
    assert str(path) in caught.value.message
    assert caught.value.exit_code == ExitCode.EXTERNAL


def test_a_newer_schema_is_refused(path: Path) -> None:
    """A file from a newer hephaestus is refused, not changed."""
    TaskStore.open(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(TaskStoreError, match="newer"):
        TaskStore.open(path)


def test_a_closed_store_raises_store_errors(path: Path) -> None:
    """After close, reads and writes raise task-store-error."""
    store = TaskStore.open(path)
    view = _create(store)
    store.close()
    with pytest.raises(TaskStoreError):
        store.get(view.id)
    with pytest.raises(TaskStoreError):
        _create(store)


def test_a_path_that_cannot_be_made_is_a_store_error(tmp_path: Path) -> None:
    """A state directory that is a file is task-store-error, not a traceback."""
    (tmp_path / "state").write_text("a file")
    with pytest.raises(TaskStoreError):
        TaskStore.open(tmp_path / "state" / "tasks.sqlite3")
