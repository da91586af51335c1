"""What a task is, as every service face shows it: its view and the events of its life.

A task is one operation call run in the background by :class:`~hephaestus.api.tasks.TaskRunner`
and kept by :class:`~hephaestus.api.task_store.TaskStore`. Its :class:`TaskView` is what REST
returns and gRPC maps; its :class:`TaskEvent` list is what server-sent events and gRPC streams
replay, numbered so that a client resumes after the last one it saw (``Last-Event-ID``).
Here too: the errors of tasks, the error objects a task ends with, and :class:`EventProgress`,
which turns an operation's progress into events.
"""

from __future__ import annotations

import math
import threading
from datetime import datetime  # noqa: TC003  # pydantic reads it
from enum import StrEnum
from time import monotonic
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from hephaestus.core.errors import (
    ExitCode,
    ExternalError,
    HephaestusError,
    ProcessCancelledError,
    UsageError,
    error_document,
    one_line,
)
from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger, redact

if TYPE_CHECKING:
    from collections.abc import Callable

_log = get_logger(__name__)
PROGRESS_INTERVAL: Final = 0.1
"""Seconds at least between two progress events of a task (the latest is sent when it ends)."""
NOTE_LIMIT: Final = 200
"""Characters at most kept of a progress note."""
INTERRUPTED_MESSAGE: Final = "the server stopped while the task ran"


class TaskStatus(StrEnum):
    """Where a task is in its life; the last four are final and never change again."""

    queued = "queued"
    """Accepted, not started: waiting for a worker, or for the lock of its root."""
    running = "running"
    """Its operation is running."""
    succeeded = "succeeded"
    """The operation returned a result."""
    failed = "failed"
    """The operation raised: the task's ``error`` says what (``internal-error`` for a bug)."""
    cancelled = "cancelled"
    """Cancelled by a client, before it started or while it ran."""
    interrupted = "interrupted"
    """The server stopped before the task ended (``task-interrupted``)."""

    @property
    def final(self) -> bool:
        """Whether the task has ended (its status will not change again)."""
        return self in FINAL


FINAL: Final = frozenset(
    {TaskStatus.succeeded, TaskStatus.failed, TaskStatus.cancelled, TaskStatus.interrupted}
)
"""The statuses of a task that has ended."""

EventKind = Literal["status", "progress", "note", "result", "error"]
"""What a :class:`TaskEvent` reports.

``status``: ``{"status": ...}``, with ``"waiting_for": <task id>`` while a queued task waits for
the lock of its root. ``progress``: the latest :class:`TaskProgress` (coalesced, at most about
ten a second). ``note``: ``{"message": ...}``. ``result``: the result model as JSON. ``error``:
the error object of the error document (``code``, ``exit_code``, ``message``, ``hint``).
"""


class TaskProgress(BaseModel):
    """The latest progress of a task's current phase."""

    model_config = ConfigDict(frozen=True)

    total: int | None = Field(default=None, description="Units of work of the phase, if known.")
    done: int = Field(default=0, description="Units of the phase done so far.")
    note: str | None = Field(default=None, description="The latest status line.")


class TaskView(BaseModel):
    """One task as a client sees it: what it runs, for whom, where it is, and how it ended."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Identifier: 32 hexadecimal digits (a random UUID).")
    operation: str = Field(description="Name of the operation it runs (the registry's).")
    root: str = Field(description="The directory it runs on.")
    principal: str = Field(description="Who submitted it.")
    run_id: str = Field(description="Bound to its log events, reports and audit manifests.")
    status: TaskStatus
    created: datetime = Field(description="When it was accepted (UTC).")
    started: datetime | None = Field(default=None, description="When it started (UTC).")
    finished: datetime | None = Field(default=None, description="When it ended (UTC).")
    result: dict[str, Any] | None = Field(
        default=None, description="The operation's result as JSON, once it returned one."
    )
    error: dict[str, Any] | None = Field(
        default=None,
        description="Why it failed, was cancelled or interrupted: the error object of the error "
        "document (code, exit_code, message, hint).",
    )
    progress: TaskProgress = Field(default_factory=TaskProgress)


class TaskEvent(BaseModel):
    """One event of a task; ``seq`` counts from 1 per task and only grows."""

    model_config = ConfigDict(frozen=True)

    task_id: str
    seq: int = Field(ge=1, description="Position in the task's events (Last-Event-ID).")
    kind: EventKind
    data: dict[str, Any]
    time: datetime = Field(description="When it happened (UTC).")


class TaskStoreError(ExternalError):
    """The task database cannot be opened or written, or another process held it too long."""

    code = "task-store-error"


class TaskNotFoundError(UsageError):
    """No task has the identifier asked for."""

    code = "task-not-found"


def interrupted_error() -> dict[str, Any]:
    """Return the error object of a task the server stopped (``task-interrupted``)."""
    return {
        "code": "task-interrupted",
        "exit_code": int(ExitCode.INTERRUPTED),
        "message": INTERRUPTED_MESSAGE,
        "hint": "submit the task again; check what it had done first if it writes",
    }


class ServerShuttingDownError(ExternalError):
    """The server is shutting down and accepts no new task."""

    code = "server-shutting-down"


def error_info(error: HephaestusError) -> dict[str, Any]:
    """Return the error object of ``error``'s document (code, exit_code, message, hint).

    The message and hint are redacted and made one line, as every face shows them.
    """
    message = one_line(redact(error.message))
    hint = one_line(redact(error.hint)) if error.hint else None
    return dict(error_document(error.code, int(ExitCode(error.exit_code)), message, hint)["error"])


def cancelled_error(when: str) -> dict[str, Any]:
    """Return the error object of a task a client cancelled ``when`` (e.g. "while it ran")."""
    return error_info(
        ProcessCancelledError(
            f"the task was cancelled {when}", hint="submit it again when you need its result"
        )
    )


class EventProgress:
    """A :class:`~hephaestus.core.progress.Progress` that records a task's progress as events.

    Cheap and never raising, as the protocol asks. Changes are coalesced: at most one update
    every ``interval`` seconds, the latest state following within ``interval`` (a timer), and
    :meth:`close` sends what is still pending. An update is a ``note`` event when the status
    line changed, then a ``progress`` event with the whole :class:`TaskProgress`.
    ``send(kind, data, progress)`` records one event; what it raises is logged and dropped.
    """

    def __init__(
        self,
        send: Callable[[EventKind, dict[str, Any], TaskProgress], None],
        *,
        interval: float = PROGRESS_INTERVAL,
    ) -> None:
        self._send = send
        self._interval = interval
        self._lock = threading.Lock()
        self._total: int | None = None
        self._done = 0
        self._note: str | None = None
        self._sent_note: str | None = None
        self._last = -math.inf
        self._timer: threading.Timer | None = None  # set while an update waits for its turn
        self._closed = False

    def start(self, total: int | None) -> None:
        """Begin a phase of ``total`` units (``None``: unknown)."""
        with self._lock:
            self._total, self._done = total, 0
            self._changed()

    def advance(self, n: int = 1) -> None:
        """Record ``n`` more units done."""
        with self._lock:
            self._done += n
            self._changed()

    def note(self, message: str) -> None:
        """Record a status line (the latest one is sent)."""
        with self._lock:
            self._note = message[:NOTE_LIMIT]
            self._changed()

    def close(self) -> None:
        """Send the pending update, if any; ignore everything later."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._emit()
            self._closed = True

    def _changed(self) -> None:
        if self._closed or self._timer is not None:
            return  # closed, or an update is already due
        wait = self._last + self._interval - monotonic()
        if wait <= 0:
            self._emit()
            return
        self._timer = threading.Timer(wait, self._flush)
        self._timer.daemon = True
        self._timer.start()

    def _flush(self) -> None:
        with self._lock:
            if self._timer is not None and not self._closed:
                self._emit()

    def _emit(self) -> None:
        """Send the current state (under the lock, so events keep their order); never raise."""
        self._timer = None
        self._last = monotonic()
        state = TaskProgress(total=self._total, done=self._done, note=self._note)
        try:
            if self._note != self._sent_note:
                self._sent_note = self._note
                self._send("note", {"message": self._note}, state)
            self._send("progress", state.model_dump(), state)
        except Exception as exc:  # noqa: BLE001  # progress is best effort: logged, not raised
            _log.warning(Event.COMMAND_FAILED, stage="task progress", exc_info=exc)
