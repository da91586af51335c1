from __future__ import annotations

import itertools
import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Final

import pytest
from pydantic import BaseModel, ConfigDict

from hephaestus.api.task_models import (
    EventProgress,
    ServerShuttingDownError,
    TaskEvent,
    TaskNotFoundError,
    TaskProgress,
    TaskStatus,
)
from hephaestus.api.task_store import TaskStore
from hephaestus.api.tasks import TaskRunner
from hephaestus.core import proc
from hephaestus.core.errors import ExitCode, UsageError
from hephaestus.core.request import Request
from hephaestus.invoke import call, request_for
from hephaestus.registry import Operation, Safety, operation

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from hephaestus.api.task_models import TaskView
    from hephaestus.core.context import Context

SECRET: Final = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
CHILD: Final = """\
import os, sys, time
with open(sys.argv[1] + ".part", "w") as out:
    out.write(str(os.getpid()))
os.replace(sys.argv[1] + ".part", sys.argv[1])
time.sleep(30)
"""


# --- operations that exist only here (an Operation names its parts by import path) -------------


class NapRequest(Request):
    """Sleep ``seconds`` (in Python: no subprocess), or run a child that writes its pid."""

    seconds: float = 0.3
    pid_file: str | None = None
    count: int = 0

    def config_root(self, cwd: Path) -> Path:
        """Return ``cwd``: these operations read no configuration."""
        return cwd


class Span(BaseModel):
    """When an operation ran (monotonic clock)."""

    model_config = ConfigDict(frozen=True)

    started: float
    ended: float


def nap(request: NapRequest, context: Context) -> Span:
    """Sleep in Python, ignoring cancellation."""
    del context
    started = time.monotonic()
    time.sleep(request.seconds)
    return Span(started=started, ended=time.monotonic())


def child(request: NapRequest, context: Context) -> Span:
    """Run a Python child that writes its pid and sleeps 30 s."""
    assert request.pid_file is not None
    started = time.monotonic()
    proc.run(
        [sys.executable, "-c", CHILD, request.pid_file],
        timeout=60,
        cancellation=context.cancellation,
    )
    return Span(started=started, ended=time.monotonic())


def chatty(request: NapRequest, context: Context) -> Span:
    """Advance ``count`` units over about ``seconds``, with two notes."""
    started = time.monotonic()
    context.progress.note("counting")
    context.progress.start(request.count)
    for _ in range(request.count):
        context.progress.advance()
        time.sleep(request.seconds / max(request.count, 1))
    context.progress.note("counted")
    return Span(started=started, ended=time.monotonic())


def refuse(request: NapRequest, context: Context) -> Span:
    """Fail as a user's mistake does, with a token in the message."""
    del request, context
    raise UsageError(f"`seconds`: refused for token {SECRET}", hint="pass another value")


def crash(request: NapRequest, context: Context) -> Span:
    """Fail as a bug does."""
    del request, context
    raise RuntimeError(f"a bug holding {SECRET}")


def _op(function: str) -> Operation:
    return Operation(
        name=function,
        command=function,
        summary="Test.",
        safety=frozenset({Safety.read_only}),
        request=f"{__name__}:NapRequest",
        result=(f"{__name__}:Span",),
        function=f"{__name__}:{function}",
    )


NAP, CHILD_OP, CHATTY, REFUSE, CRASH = map(_op, ["nap", "child", "chatty", "refuse", "crash"])


# --- fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TaskStore]:
    """A task store in ``tmp_path``."""
    with TaskStore.open(tmp_path / "state" / "serve" / "tasks.sqlite3") as opened:
        yield opened


@pytest.fixture
def runner(store: TaskStore) -> Iterator[TaskRunner]:
    """A runner with four workers, shut down (its processes stopped) after the test."""
    started = TaskRunner(store, workers=4)
    yield started
    started.shutdown(grace=0)


def _root(tmp_path: Path, name: str = "repo") -> Path:
    root = tmp_path / name
    root.mkdir(exist_ok=True)
    return root


def _submit(
    runner: TaskRunner,
    op: Operation,
    root: Path,
    *,
    exclusive: bool = False,
    **fields: object,
) -> TaskView:
    return runner.submit(
        operation=op,
        request=request_for(op, fields),
        root=root,
        principal="alice",
        exclusive=exclusive,
        run_id="run-test",
    )


def _span(view: TaskView) -> Span:
    assert view.status is TaskStatus.succeeded, view
    return Span.model_validate(view.result)


def _waits(runner: TaskRunner, view: TaskView) -> list[str]:
    """The tasks ``view`` was told it waits for, in order."""
    events = runner.store.events_after(view.id)
    return [e.data["waiting_for"] for e in events if "waiting_for" in e.data]


def _pid(pid_file: Path) -> int:
    deadline = time.monotonic() + 30
    while not pid_file.exists():
        assert time.monotonic() < deadline, "the child never started"
        time.sleep(0.02)
    return int(pid_file.read_text())


def _group_gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False


# --- tests --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["version", "config"])
def test_a_task_returns_what_a_direct_call_returns(
    runner: TaskRunner, tmp_path: Path, name: str
) -> None:
    """A registered read-only operation run as a task stores the result invoke.call returns."""
    root = _root(tmp_path)
    op = operation(name)
    view = runner.submit(
        operation=op,
        request=request_for(op, {}),
        root=root,
        principal="alice",
        exclusive=False,
        run_id="run-1",
    )
    assert view.status is TaskStatus.queued
    assert (view.operation, view.principal, view.run_id, view.root) == (
        name,
        "alice",
        "run-1",
        str(root),
    )
    done = runner.wait(view.id, 30)
    assert done.status is TaskStatus.succeeded, done.error
    assert done.result == call(name, {}, cwd=root).model_dump(mode="json")
    assert done.started is not None
    assert done.finished is not None
    assert done.created <= done.started <= done.finished
    kinds = [e.kind for e in runner.store.events_after(view.id)]
    assert kinds == ["status", "status", "result", "status"]


def test_cancelling_a_running_task_stops_its_process_group(
    runner: TaskRunner, tmp_path: Path
) -> None:
    """Cancelling stops the task's subprocess group within 2 s; the task ends cancelled."""
    pid_file = tmp_path / "pid"
    view = _submit(runner, CHILD_OP, _root(tmp_path), pid_file=str(pid_file))
    pid = _pid(pid_file)
    assert runner.store.get(view.id).status is TaskStatus.running
    runner.cancel(view.id)
    assert _group_gone_within(pid, 2.0)
    ended = runner.wait(view.id, 10)
    assert ended.status is TaskStatus.cancelled
    assert ended.error is not None
    assert (ended.error["code"], ended.error["exit_code"]) == ("cancelled", 5)
    assert runner.cancel(view.id) == ended  # an ended task is left as it is


def test_cancelling_a_queued_task_never_starts_it(runner: TaskRunner, tmp_path: Path) -> None:
    """A task waiting for its root is cancelled at once and never runs."""
    root = _root(tmp_path)
    first = _submit(runner, NAP, root, exclusive=True, seconds=0.5)
    second = _submit(runner, NAP, root, exclusive=True)
    cancelled = runner.cancel(second.id)
    assert cancelled.status is TaskStatus.cancelled
    assert cancelled.error is not None
    assert cancelled.error["code"] == "cancelled"
    _span(runner.wait(first.id, 10))
    assert runner.wait(second.id, 10).started is None
    events = [(e.kind, e.data.get("status")) for e in runner.store.events_after(second.id)]
    assert events == [
        ("status", "queued"),
        ("status", "queued"),
        ("error", None),
        ("status", "cancelled"),
    ]


def test_exclusive_tasks_on_one_root_never_overlap(runner: TaskRunner, tmp_path: Path) -> None:
    """Exclusive tasks on one root run one after the other, each waiting for the one before."""
    root = _root(tmp_path)
    views = [_submit(runner, NAP, root, exclusive=True, seconds=0.2) for _ in range(3)]
    spans = [_span(runner.wait(v.id, 30)) for v in views]
    ordered = sorted(spans, key=lambda s: s.started)
    assert all(a.ended <= b.started for a, b in itertools.pairwise(ordered))
    assert _waits(runner, views[1]) == [views[0].id]
    assert _waits(runner, views[2]) == [views[0].id, views[1].id]


def test_other_roots_and_shared_tasks_run_alongside(runner: TaskRunner, tmp_path: Path) -> None:
    """Exclusive tasks on two roots overlap, and so does a non-exclusive task on the same root."""
    one, two = _root(tmp_path, "one"), _root(tmp_path, "two")
    views = [
        _submit(runner, NAP, one, exclusive=True, seconds=1.0),
        _submit(runner, NAP, two, exclusive=True, seconds=1.0),
        _submit(runner, NAP, one, exclusive=False, seconds=1.0),
    ]
    spans = [_span(runner.wait(v.id, 30)) for v in views]
    assert max(s.started for s in spans) < min(s.ended for s in spans)


def test_an_operation_error_is_recorded_redacted(runner: TaskRunner, tmp_path: Path) -> None:
    """A HephaestusError fails the task with its error document, secrets redacted."""
    ended = runner.wait(_submit(runner, REFUSE, _root(tmp_path)).id, 30)
    assert ended.status is TaskStatus.failed
    assert ended.result is None
    assert ended.error is not None
    assert ended.error["code"] == "usage-error"
    assert ended.error["exit_code"] == ExitCode.USAGE
    assert SECRET not in ended.error["message"]
    assert "[REDACTED]" in ended.error["message"]
    assert ended.error["hint"] == "pass another value"
    (error_event,) = [e for e in runner.store.events_after(ended.id) if e.kind == "error"]
    assert error_event.data == ended.error


def test_a_bug_is_an_internal_error_logged_whole(
    runner: TaskRunner, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Any other exception fails the task as internal-error; the traceback goes to the log."""
    ended = runner.wait(_submit(runner, CRASH, _root(tmp_path)).id, 30)
    assert ended.status is TaskStatus.failed
    assert ended.error is not None
    assert (ended.error["code"], ended.error["exit_code"]) == ("internal-error", 70)
    assert "bug" not in ended.error["message"]
    logged = capsys.readouterr().err
    assert "RuntimeError: a bug holding" in logged
    assert ended.id in logged
    assert SECRET not in logged


def test_progress_is_coalesced_and_the_last_state_kept(runner: TaskRunner, tmp_path: Path) -> None:
    """Thousands of advance() calls make about ten progress events a second, the last exact."""
    started = time.monotonic()
    view = _submit(runner, CHATTY, _root(tmp_path), count=3000, seconds=0.6)
    ended = runner.wait(view.id, 30)
    elapsed = time.monotonic() - started
    _span(ended)
    events = runner.store.events_after(view.id)
    progress = [e for e in events if e.kind == "progress"]
    assert len(progress) <= elapsed * 10 + 4, len(progress)
    assert progress[-1].data == {"total": 3000, "done": 3000, "note": "counted"}
    assert [e.data["message"] for e in events if e.kind == "note"] == ["counting", "counted"]
    assert ended.progress.done == 3000
    assert [e.kind for e in events].index("result") > max(events.index(p) for p in progress)


def test_subscribe_follows_live_and_resumes_after_last_event_id(
    runner: TaskRunner, tmp_path: Path
) -> None:
    """A live subscriber sees 1, 2, 3… to the final status; resuming after N yields N + 1 on."""
    view = _submit(runner, CHATTY, _root(tmp_path), count=200, seconds=0.5)
    live = list(runner.subscribe(view.id, poll=0.2))
    seqs = [e.seq for e in live]
    assert seqs == list(range(1, len(live) + 1))
    assert live[-1].kind == "status"
    assert live[-1].data == {"status": "succeeded"}
    for after in range(len(live) + 1):
        assert list(runner.subscribe(view.id, after)) == live[after:]


def test_subscribers_in_threads_all_see_every_event(runner: TaskRunner, tmp_path: Path) -> None:
    """Several blocking subscribers, started before the task runs, see the same events."""
    root = _root(tmp_path)
    blocker = _submit(runner, NAP, root, exclusive=True, seconds=0.3)
    view = _submit(runner, CHATTY, root, exclusive=True, count=100, seconds=0.3)
    seen: list[list[TaskEvent]] = [[] for _ in range(3)]
    threads = [
        threading.Thread(target=lambda out=out: out.extend(runner.subscribe(view.id)))
        for out in seen
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    runner.wait(blocker.id, 10)
    assert seen[0] == seen[1] == seen[2] == runner.store.events_after(view.id)


def test_next_events_waits_only_while_the_task_lives(runner: TaskRunner, tmp_path: Path) -> None:
    """next_events returns nothing after its timeout while a task runs, at once once it ended."""
    view = _submit(runner, NAP, _root(tmp_path), seconds=1.0)
    seen = runner.next_events(view.id, 0, timeout=5)
    while {"status": "running"} not in [e.data for e in seen]:
        seen += runner.next_events(view.id, seen[-1].seq, timeout=5)
    last = seen[-1].seq
    started = time.monotonic()
    assert runner.next_events(view.id, last, timeout=0.2) == []
    assert time.monotonic() - started >= 0.2
    assert runner.next_events(view.id, last, timeout=10)[-1].data == {"status": "succeeded"}
    started = time.monotonic()
    assert runner.next_events(view.id, 99, timeout=10) == []
    assert time.monotonic() - started < 1
    with pytest.raises(TaskNotFoundError):
        runner.next_events("nope", 0, timeout=0)
    with pytest.raises(TaskNotFoundError):
        runner.subscribe("nope")


def test_wait_returns_the_view_when_the_timeout_passes(runner: TaskRunner, tmp_path: Path) -> None:
    """Waiting gives up after its timeout and returns the task as it is."""
    view = _submit(runner, NAP, _root(tmp_path), seconds=1.0)
    assert runner.wait(view.id, 0.05).status in {TaskStatus.queued, TaskStatus.running}
    assert runner.is_live(view.id)


def test_shutdown_cancels_long_tasks_and_reports_them(store: TaskStore, tmp_path: Path) -> None:
    """After the grace, running tasks are stopped, queued ones never start: all interrupted."""
    runner = TaskRunner(store, workers=2)
    root = _root(tmp_path)
    pid_file = tmp_path / "pid"
    running = _submit(runner, CHILD_OP, root, exclusive=True, pid_file=str(pid_file))
    waiting = _submit(runner, NAP, root, exclusive=True)
    pid = _pid(pid_file)
    started = time.monotonic()
    stopped = runner.shutdown(grace=0.3)
    assert time.monotonic() - started < 3
    assert sorted(stopped) == sorted([running.id, waiting.id])
    assert _group_gone_within(pid, 2.0)
    for task_id in stopped:
        view = store.get(task_id)
        assert view.status is TaskStatus.interrupted
        assert view.error is not None
        assert view.error["code"] == "task-interrupted"
    assert store.get(waiting.id).started is None
    with pytest.raises(ServerShuttingDownError) as caught:
        _submit(runner, NAP, root)
    assert caught.value.code == "server-shutting-down"
    assert caught.value.exit_code == ExitCode.EXTERNAL


def test_shutdown_records_a_call_that_ignores_cancellation(
    store: TaskStore, tmp_path: Path
) -> None:
    """A call busy in Python past the grace is recorded interrupted; its late end is ignored."""
    runner = TaskRunner(store, workers=1)
    view = _submit(runner, NAP, _root(tmp_path), seconds=0.8)
    while store.get(view.id).status is TaskStatus.queued:
        time.sleep(0.01)
    assert runner.shutdown(grace=0, stop_wait=0.1) == [view.id]
    assert store.get(view.id).status is TaskStatus.interrupted
    time.sleep(1.0)  # the call returns now: the task stays interrupted
    assert store.get(view.id).status is TaskStatus.interrupted
    assert runner.shutdown(grace=0) == []


def test_a_finished_task_from_another_run_is_read_from_the_store(
    runner: TaskRunner, store: TaskStore
) -> None:
    """Tasks this runner never ran are served from the store: wait, cancel and subscribe."""
    view = store.create(operation="version", root="/", principal="bob", run_id="old")
    store.finish(view.id, status=TaskStatus.succeeded, result={})
    assert runner.wait(view.id, 0).status is TaskStatus.succeeded
    assert runner.cancel(view.id).status is TaskStatus.succeeded
    assert [e.seq for e in runner.subscribe(view.id)] == [1, 2, 3]
    assert not runner.is_live(view.id)


def test_a_task_cancelled_while_waiting_for_a_worker_never_runs(
    store: TaskStore, tmp_path: Path
) -> None:
    """With every worker busy, a cancelled task is skipped when a worker frees up."""
    runner = TaskRunner(store, workers=1)
    try:
        busy = _submit(runner, NAP, _root(tmp_path), seconds=0.3)
        later = _submit(runner, NAP, _root(tmp_path))
        assert runner.cancel(later.id).status is TaskStatus.cancelled
        _span(runner.wait(busy.id, 10))
        time.sleep(0.1)  # the worker has picked the cancelled task up, and let it be
        assert store.get(later.id).started is None
        assert [e.data.get("status") for e in store.events_after(later.id)][-1] == "cancelled"
    finally:
        runner.shutdown(grace=0)


def test_a_store_that_fails_under_a_task_is_logged(
    runner: TaskRunner, store: TaskStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A task whose store is gone when it ends is logged, with its id; the runner goes on."""
    view = _submit(runner, NAP, _root(tmp_path), seconds=0.3)
    while store.get(view.id).status is TaskStatus.queued:
        time.sleep(0.01)
    store.close()
    deadline = time.monotonic() + 10
    while runner.is_live(view.id):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    logged = capsys.readouterr().err
    assert "task-store-error" in logged or "TaskStoreError" in logged
    assert view.id in logged
    assert runner.shutdown(grace=0) == []


def test_event_progress_coalesces_and_never_raises(capsys: pytest.CaptureFixture[str]) -> None:
    """Updates within the interval are merged and sent by a timer; a failing send is logged."""
    sent: list[tuple[str, dict[str, object]]] = []
    arrived = threading.Event()

    def send(kind: str, data: dict[str, object], state: TaskProgress) -> None:
        del state
        sent.append((kind, data))
        if data.get("done") == 3:
            arrived.set()

    progress = EventProgress(send, interval=0.2)
    progress.start(3)
    progress.advance()
    progress.advance(2)
    assert sent == [("progress", {"total": 3, "done": 0, "note": None})]
    assert arrived.wait(5)  # sent by the timer, without close
    assert sent[-1] == ("progress", {"total": 3, "done": 3, "note": None})
    progress.close()
    progress.advance()
    assert len(sent) == 2

    def fail(kind: str, data: dict[str, object], state: TaskProgress) -> None:
        raise RuntimeError(kind + str(data) + str(state))

    broken = EventProgress(fail)
    broken.start(None)
    broken.note("still fine")
    broken.close()
    assert "RuntimeError" in capsys.readouterr().err


def test_final_statuses() -> None:
    """Exactly succeeded, failed, cancelled and interrupted are final."""
    assert {s for s in TaskStatus if s.final} == {
        TaskStatus.succeeded,
        TaskStatus.failed,
        TaskStatus.cancelled,
        TaskStatus.interrupted,
    }
