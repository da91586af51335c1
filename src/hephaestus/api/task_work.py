"""One task of the :class:`~hephaestus.api.tasks.TaskRunner`: what it is, and how its call runs.

The call runs in a span of the trace of the request that submitted it (the task outlives the
request, in a worker thread the request's context does not reach), and ends as a result or as an
error document: a :class:`HephaestusError` as it is, anything else as ``internal-error`` with the
traceback in the server's log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hephaestus.api.task_models import error_info
from hephaestus.core import telemetry
from hephaestus.core.errors import HephaestusError
from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger
from hephaestus.core.process_groups import Cancellation
from hephaestus.invoke import call

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from pydantic import BaseModel

    from hephaestus.api.task_models import EventProgress
    from hephaestus.core.request import Request
    from hephaestus.registry import Operation

__all__ = ["Task", "internal_error", "outcome"]
_log = get_logger(__name__)


@dataclass(slots=True, eq=False)
class Task:
    """What the runner knows of a task it has not finished with."""

    id: str
    operation: Operation
    request: Request
    root: Path
    key: str | None
    """The root's lock, when the task is exclusive."""
    run_id: str
    parent: object | None = None
    """The trace context of the request that submitted the task (its span's parent)."""
    cancellation: Cancellation = field(default_factory=Cancellation)
    started: bool = False
    cancel_requested: bool = False
    interrupt_requested: bool = False


def outcome(
    task: Task, progress: EventProgress, configuration: Callable[[Path], BaseModel]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Call ``task``'s operation in a span of the submitting request's trace: (result, error)."""
    attributes = {"hephaestus.operation": task.operation.name, "hephaestus.task_id": task.id}
    name = f"task {task.operation.name}"
    with telemetry.span(name, attributes=attributes, parent=task.parent) as span:
        try:
            model = call(
                task.operation,
                task.request,
                cwd=task.root,
                run_id=task.run_id,
                progress=progress,
                cancellation=task.cancellation,
                configuration=configuration,
            )
        except HephaestusError as exc:
            span.fail(error_type=exc.code)
            return None, error_info(exc)
        except Exception as exc:  # noqa: BLE001  # a bug: logged whole, recorded in one line
            _log.error(Event.COMMAND_FAILED, command=name, task_id=task.id, exc_info=exc)
            span.fail(error_type="internal-error")
            return None, error_info(internal_error(task))
        return model.model_dump(mode="json"), None


def internal_error(task: Task) -> HephaestusError:
    """Return the error recorded for a call that failed with a bug (``internal-error``)."""
    return HephaestusError(
        f"{task.operation.name} failed: internal error",
        hint="this is a bug in hephaestus: the traceback is in the server's log",
        code="internal-error",
    )
