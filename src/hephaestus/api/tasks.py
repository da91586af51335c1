"""The task runner: operation calls run in worker threads, recorded in a :class:`TaskStore`.

The REST and gRPC faces submit a request and return the task at once; clients then wait for it,
follow its events or cancel it. An operation that writes runs *exclusive*: one at a time per
root (a second one waits, ``queued``, and its status event names the task it waits for), while
the others run beside it. Cancelling stops the call's subprocess groups through its
:class:`~hephaestus.core.process_groups.Cancellation`; shutting down stops accepting tasks, gives
the running ones a grace period, then cancels them and records them ``interrupted``.

Whatever a call raises ends up in the store: a :class:`HephaestusError` as its error document
(redacted), anything else as ``internal-error`` with the traceback in the server's log.
"""

from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from time import monotonic
from typing import TYPE_CHECKING, Any, Final

from hephaestus.api.task_models import (
    EventProgress,
    ServerShuttingDownError,
    TaskProgress,
    TaskStatus,
    TaskStoreError,
    cancelled_error,
    error_info,
    interrupted_error,
)
from hephaestus.api.task_work import Task, internal_error, outcome
from hephaestus.core import telemetry
from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger
from hephaestus.invoke import default_configuration

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from pydantic import BaseModel

    from hephaestus.api.task_models import EventKind, TaskEvent, TaskView
    from hephaestus.api.task_store import TaskStore
    from hephaestus.core.request import Request
    from hephaestus.registry import Operation

_log = get_logger(__name__)
STOP_WAIT: Final = 2.0
"""Seconds :meth:`TaskRunner.shutdown` waits for cancelled calls to return."""


class TaskRunner:
    """Runs operations as tasks in ``workers`` threads, recorded in ``store``; thread-safe.

    Call ``store.recover()`` before the first :meth:`submit` when the server starts.
    ``configuration`` loads a root's configuration (default: read afresh for each task).
    """

    def __init__(
        self,
        store: TaskStore,
        *,
        workers: int = 4,
        configuration: Callable[[Path], BaseModel] | None = None,
        on_finish: Callable[[TaskView], None] | None = None,
    ) -> None:
        self.store = store
        self._configuration = configuration
        self._on_finish = on_finish  # sees each task that ran to its end; must never raise
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hephaestus-task")
        self._changed = threading.Condition()
        self._version = 0  # grows with every event recorded: wakes who waits for one
        self._tasks: dict[str, Task] = {}  # the tasks not yet ended
        self._holders: dict[str, str] = {}  # root -> the exclusive task holding it
        self._waiting: dict[str, deque[Task]] = {}  # root -> exclusive tasks waiting for it
        self._closing = False

    # --- what clients do ---------------------------------------------------------------------

    def submit(  # noqa: PLR0913  # one request, described whole, all keywords
        self,
        *,
        operation: Operation,
        request: Request,
        root: Path,
        principal: str,
        exclusive: bool,
        run_id: str,
    ) -> TaskView:
        """Record a task running ``operation`` on ``request`` in ``root``; return it ``queued``.

        ``exclusive``: wait until no other exclusive task runs on ``root`` (for operations that
        write). The request is run as :func:`hephaestus.invoke.call` runs it, in ``root``.

        Raises:
            ServerShuttingDownError: :meth:`shutdown` was called (``server-shutting-down``, 5).
            TaskStoreError: the task cannot be recorded (exit 5).

        """
        key = str(root.resolve()) if exclusive else None
        with self._changed:
            if self._closing:
                raise ServerShuttingDownError(
                    "the server is shutting down and accepts no new task",
                    hint="submit the task again once the server is back",
                )
            view = self.store.create(
                operation=operation.name, root=str(root), principal=principal, run_id=run_id
            )
            task = Task(view.id, operation, request, root, key, run_id, telemetry.capture())
            self._tasks[task.id] = task
            holder = None if key is None else self._holders.get(key)
            if key is None or holder is None:
                if key is not None:
                    self._holders[key] = task.id
                self._pool.submit(self._run, task)
            else:
                self._waiting.setdefault(key, deque()).append(task)
                self._wait_for(task, holder)
            self._bump()
        return view

    def cancel(self, task_id: str) -> TaskView:
        """Cancel a task and return its view.

        A queued task never starts and is ``cancelled`` at once. A running task's processes are
        stopped; it becomes ``cancelled`` when its call returns (:meth:`wait` for it), keeping
        the result if the call returned one. A task that has ended is left as it is.

        Raises:
            TaskNotFoundError: no task has this id (exit 2).

        """
        with self._changed:
            task = self._tasks.get(task_id)
            if task is not None:
                task.cancel_requested = True
                if not task.started:
                    self._drop(task, TaskStatus.cancelled, cancelled_error("before it started"))
                    task = None
        if task is not None:
            task.cancellation.cancel()  # up to STOP_GRACE seconds: not under the lock
        return self.store.get(task_id)

    def wait(self, task_id: str, timeout: float) -> TaskView:
        """Wait up to ``timeout`` seconds for the task to end; return its view then.

        Raises:
            TaskNotFoundError: no task has this id (exit 2).

        """
        deadline = monotonic() + timeout
        with self._changed:
            while task_id in self._tasks and (remaining := deadline - monotonic()) > 0:
                self._changed.wait(remaining)
        return self.store.get(task_id)

    def is_live(self, task_id: str) -> bool:
        """Whether the task is queued or running in this runner (more events may come)."""
        with self._changed:
            return task_id in self._tasks

    def next_events(
        self, task_id: str, after_seq: int, *, timeout: float, limit: int = 1000
    ) -> list[TaskEvent]:
        """Return the task's events after ``after_seq``, waiting up to ``timeout`` s for one.

        Returns at once what is stored; else waits while the task is live. An empty list means
        the timeout passed, or the task has ended and every event was read. Blocking: an
        asyncio face runs it in a thread (``anyio.to_thread.run_sync``).

        Raises:
            TaskNotFoundError: no task has this id (exit 2).

        """
        deadline = monotonic() + timeout
        while True:
            with self._changed:
                version, live = self._version, task_id in self._tasks
            events = self.store.events_after(task_id, after_seq, limit=limit)
            if events or not live:
                return events
            with self._changed:
                while self._version == version:
                    remaining = deadline - monotonic()
                    if remaining <= 0:
                        return []
                    self._changed.wait(remaining)

    def subscribe(
        self, task_id: str, after_seq: int = 0, *, poll: float = 1.0
    ) -> Iterator[TaskEvent]:
        """Yield the task's events after ``after_seq``, stored then live, until it has ended.

        ``Last-Event-ID`` semantics: resuming after N yields the event N + 1 first. Blocking;
        ``poll`` bounds each wait (the iterator may be abandoned between two).

        Raises:
            TaskNotFoundError: no task has this id (exit 2), at once.

        """
        self.store.get(task_id)
        return self._follow(task_id, after_seq, poll)

    def shutdown(self, *, grace: float, stop_wait: float = STOP_WAIT) -> list[str]:
        """Stop accepting tasks; end every task left, ``interrupted``; return their ids.

        Queued tasks are interrupted at once; running ones get ``grace`` seconds to end, then
        their processes are stopped and they get ``stop_wait`` seconds more to return (a call
        busy in Python cannot be stopped from outside: it is recorded ``interrupted`` anyway).
        """
        with self._changed:
            self._closing = True
            queued = [t for t in self._tasks.values() if not t.started]
            for task in queued:
                task.interrupt_requested = True
                self._drop(task, TaskStatus.interrupted, interrupted_error())
            deadline = monotonic() + grace
            while self._tasks and (remaining := deadline - monotonic()) > 0:
                self._changed.wait(remaining)
            running = list(self._tasks.values())
            for task in running:
                task.interrupt_requested = True
        stoppers = [threading.Thread(target=t.cancellation.cancel) for t in running]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        with self._changed:
            deadline = monotonic() + stop_wait
            while self._tasks and (remaining := deadline - monotonic()) > 0:
                self._changed.wait(remaining)
            for task in list(self._tasks.values()):  # busy in Python: recorded as it is
                self._drop(task, TaskStatus.interrupted, interrupted_error())
        self._pool.shutdown(wait=False, cancel_futures=True)
        return [t.id for t in (*queued, *running)]

    # --- in the worker -----------------------------------------------------------------------

    def _run(self, task: Task) -> None:
        try:
            if self._begin(task):
                self._execute(task)
        except BaseException as exc:  # the store failed, or worse: recorded, then raised on
            self._record_crash(task, exc)
            raise
        finally:
            self._end(task)

    def _begin(self, task: Task) -> bool:
        with self._changed:
            if task.id not in self._tasks or task.cancel_requested or task.interrupt_requested:
                return False  # ended before it started
            task.started = True
        self.store.mark_running(task.id)
        self._notify()
        return True

    def _execute(self, task: Task) -> None:
        progress = EventProgress(lambda kind, data, state: self._record(task, kind, data, state))
        try:
            result, error = outcome(task, progress, self._configuration or default_configuration())
        finally:
            progress.close()
        with self._changed:
            if task.interrupt_requested:
                status, error = TaskStatus.interrupted, interrupted_error()
            elif task.cancel_requested:
                status, error = TaskStatus.cancelled, cancelled_error("while it ran")
            else:
                status = TaskStatus.succeeded if error is None else TaskStatus.failed
        view = self.store.finish(task.id, status=status, result=result, error=error)
        if self._on_finish is not None:
            self._on_finish(view)  # it never raises (Metrics.finished)

    def _record(
        self, task: Task, kind: EventKind, data: dict[str, Any], state: TaskProgress
    ) -> None:
        if self.is_live(task.id):  # a call recorded interrupted may still report: ignored
            self.store.append_event(task.id, kind=kind, data=data, progress=state)
            self._notify()

    def _record_crash(self, task: Task, exc: BaseException) -> None:
        _log.error(Event.COMMAND_FAILED, command=task.operation.name, task_id=task.id, exc_info=exc)
        try:
            bug = error_info(internal_error(task))
            self.store.finish(task.id, status=TaskStatus.failed, error=bug)
        except Exception as again:  # noqa: BLE001  # the store is gone: the log keeps it
            _log.error(Event.COMMAND_FAILED, stage="task record", task_id=task.id, exc_info=again)

    def _end(self, task: Task) -> None:
        with self._changed:
            if self._tasks.get(task.id) is task:
                del self._tasks[task.id]
                self._release(task)
            self._bump()

    # --- under the lock ----------------------------------------------------------------------

    def _drop(self, task: Task, status: TaskStatus, error: dict[str, Any]) -> None:
        """End a task here and now: out of the runner, its root released, its end recorded."""
        self._tasks.pop(task.id, None)
        if task.key is not None and task in self._waiting.get(task.key, ()):
            self._waiting[task.key].remove(task)
        self._release(task)
        try:
            self.store.finish(task.id, status=status, error=error)
        except TaskStoreError as exc:  # the next start's recover() records it interrupted
            _log.error(Event.COMMAND_FAILED, stage="task record", task_id=task.id, exc_info=exc)
        self._bump()

    def _release(self, task: Task) -> None:
        """Give the root ``task`` holds to the next exclusive task waiting for it."""
        key = task.key
        if key is None or self._holders.get(key) != task.id:
            return
        del self._holders[key]
        queue = self._waiting.pop(key, deque())
        if self._closing or not queue:
            return
        following = queue.popleft()
        self._holders[key] = following.id
        self._pool.submit(self._run, following)
        if queue:
            self._waiting[key] = queue
            for waiting in queue:
                self._wait_for(waiting, following.id)

    def _wait_for(self, task: Task, holder: str) -> None:
        try:
            self.store.append_event(
                task.id, kind="status", data={"status": TaskStatus.queued, "waiting_for": holder}
            )
        except TaskStoreError as exc:  # only news: the task waits all the same
            _log.error(Event.COMMAND_FAILED, stage="task record", task_id=task.id, exc_info=exc)

    def _bump(self) -> None:
        self._version += 1
        self._changed.notify_all()

    def _notify(self) -> None:
        with self._changed:
            self._bump()

    def _follow(self, task_id: str, after_seq: int, poll: float) -> Iterator[TaskEvent]:
        after = after_seq
        while True:
            live = self.is_live(task_id)  # read first: an ended task's events are all stored
            events = self.next_events(task_id, after, timeout=poll)
            for event in events:
                after = event.seq
                yield event
            if not events and not live:
                return
