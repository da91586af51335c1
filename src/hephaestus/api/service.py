"""What the REST and gRPC faces share: the roots a server may act on, and how a call is prepared.

A face authenticates the caller (a bearer token from a header or gRPC metadata), then hands the
operation's name, its JSON fields and the root it asked for to :meth:`Service.prepare`, which
checks, in this order, before anything runs:

1. the operation exists (``not-found``);
2. the caller's scopes cover the operation's safety classes (``permission-denied``);
3. the root is one of the server's roots or inside one (``outside-root``), and so is the
   repository whose configuration would apply (a root below a repository's top would otherwise
   hand the whole repository to the operation);
4. the fields validate into the request model (``invalid-request``, naming the field);
5. every path the request names stays inside the root (``outside-root``);
6. a destructive operation with a dry-run twin carries the twin's ``plan_id``.

Read-only operations then run inline (:meth:`Service.call`); the others become tasks
(:meth:`Service.submit`), persisted, cancellable and streamed by :mod:`hephaestus.api.tasks`.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from hephaestus.core.errors import (
    ExternalError,
    HephaestusError,
    SafetyError,
    UsageError,
    field_ref,
)
from hephaestus.core.fs import is_inside, printable_path
from hephaestus.invoke import call, confine, default_configuration, expand, request_for
from hephaestus.registry import OPERATIONS, Operation, Safety

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from pydantic import BaseModel

    from hephaestus.api.auth import Principal
    from hephaestus.api.task_models import TaskView
    from hephaestus.api.tasks import TaskRunner
    from hephaestus.core.process_groups import Cancellation
    from hephaestus.core.request import Request

UPLOADS: Final = 8
"""Event streams (REST or gRPC) stored at once: each holds a worker thread while it streams."""
EXCLUSIVE: Final = frozenset({Safety.destructive, Safety.writes_state})
"""Safety classes of operations that never overlap on one root (they take its lock)."""


class NotFoundError(HephaestusError):
    """An operation or a task that does not exist (or that the caller may not see)."""

    code = "not-found"
    exit_code = UsageError.exit_code


class ServerBusyError(ExternalError):
    """Every slot for a streamed upload is taken: retry shortly."""

    code = "server-busy"


class Roots:
    """The directories a server may act on: each resolved, the first the default."""

    def __init__(self, paths: Iterable[Path]) -> None:
        """Resolve ``paths``; the first is where a call that names no root goes.

        Raises:
            UsageError: no root, or a root that is not a directory (exit 2).

        """
        resolved: list[Path] = []
        for path in paths:
            real = path.expanduser().resolve()
            if not real.is_dir():
                raise UsageError(
                    f"root {printable_path(path)} is not a directory",
                    hint="name an existing directory for the server to act on",
                )
            if real not in resolved:
                resolved.append(real)
        if not resolved:
            raise UsageError("no root to serve", hint="name at least one directory")
        self.paths: tuple[Path, ...] = tuple(resolved)

    def choose(self, given: str | Path | None) -> Path:
        """Return the root a call asked for: ``None`` is the first; relative is below the first.

        Raises:
            SafetyError: ``given`` is neither a root nor inside one (``outside-root``, exit 3).
            UsageError: ``given`` is inside a root but not a directory (exit 2).

        """
        if given is None:
            return self.paths[0]
        path = (self.paths[0] / expand(given, name="root")).resolve()
        self.check(path, name="root")
        if not path.is_dir():
            raise UsageError(
                f"{field_ref('root')} {printable_path(path)} is not a directory",
                hint="name a directory inside one of the server's roots",
                code="invalid-request",
            )
        return path

    def check(self, path: Path, *, name: str) -> None:
        """Refuse ``path`` unless it is a root or inside one.

        Raises:
            SafetyError: it is not (``outside-root``, exit 3).

        """
        if not any(is_inside(path, root) for root in self.paths):
            raise SafetyError(
                f"{field_ref(name)} {printable_path(path)} is outside the server's roots",
                hint="name a directory inside one of the roots the server was started with",
                code="outside-root",
            )


@dataclass(frozen=True, slots=True)
class PreparedCall:
    """A call checked and ready to run: the operation, its request, the root it acts on."""

    operation: Operation
    request: Request
    root: Path
    principal: Principal

    @property
    def exclusive(self) -> bool:
        """Whether the call writes, so that it must not overlap another such call on its root."""
        return bool(self.operation.safety & EXCLUSIVE)

    @property
    def inline(self) -> bool:
        """Whether the call answers at once (read-only) rather than as a task."""
        return self.operation.read_only


class Service:
    """The roots, the operations offered, and the task runner, shared by REST and gRPC."""

    def __init__(
        self,
        *,
        roots: Roots,
        runner: TaskRunner,
        operations: tuple[Operation, ...] = OPERATIONS,
    ) -> None:
        """Serve ``operations`` on ``roots``; tasks run on ``runner``."""
        self.roots = roots
        self.runner = runner
        self.operations = {op.name: op for op in operations}
        self.stopping = threading.Event()
        """Set once a shutdown began: readiness fails and no new task is accepted."""
        self._uploads = threading.BoundedSemaphore(UPLOADS)

    @contextlib.contextmanager
    def upload_slot(self) -> Iterator[None]:
        """Hold one of the :data:`UPLOADS` slots for a streamed upload while it is read.

        Stalled or slow uploads therefore never take every worker thread from other calls.

        Raises:
            ServerBusyError: every slot is taken (``server-busy``, retry).

        """
        if not self._uploads.acquire(blocking=False):
            raise ServerBusyError(
                f"{UPLOADS} event uploads are streaming already",
                hint="retry shortly, with the same idempotency key",
            )
        try:
            yield
        finally:
            self._uploads.release()

    def operation(self, name: str) -> Operation:
        """Return the offered operation ``name``.

        Raises:
            NotFoundError: no such operation is offered (``not-found``).

        """
        try:
            return self.operations[name]
        except KeyError:
            raise NotFoundError(
                f"no operation {name!r}", hint="list the operations with the schema operation"
            ) from None

    def prepare(
        self,
        name: str,
        fields: Mapping[str, Any],
        *,
        root: str | Path | None,
        principal: Principal,
    ) -> PreparedCall:
        """Check a call of operation ``name`` with ``fields`` on ``root`` by ``principal``.

        Raises:
            NotFoundError: no such operation.
            PermissionDeniedError: the principal lacks a scope the operation needs.
            SafetyError: a root or a path outside the server's roots (``outside-root``).
            UsageError: invalid fields, or a destructive call without its plan (exit 2).

        """
        from hephaestus.api.auth import authorize, scopes_for  # noqa: PLC0415  # hashlib, lazily

        op = self.operation(name)
        authorize(principal, scopes_for(op.safety))
        named = fields.get("root")
        given = named if isinstance(named, (str, Path)) else None
        if given is not None and root is not None and Path(given) != Path(root):
            raise UsageError(
                f"{field_ref('root')} differs from the root the call was addressed to",
                hint=f"give the root once, or the same {field_ref('root')} in both places",
                code="invalid-request",
            )
        chosen = self.roots.choose(given if given is not None else root)
        request = request_for(op, fields)
        if "root" in type(request).model_fields and getattr(request, "root", None) is None:
            request = request.model_copy(update={"root": chosen})
        self.roots.check(request.config_root(chosen), name="root")
        confine(request, chosen)
        _require_plan(op, request)
        return PreparedCall(operation=op, request=request, root=chosen, principal=principal)

    def call(
        self, prepared: PreparedCall, *, run_id: str, cancellation: Cancellation | None = None
    ) -> BaseModel:
        """Run ``prepared`` now, in this thread, and return its result model.

        Raises:
            HephaestusError: whatever the operation raises.

        """
        return call(
            prepared.operation,
            prepared.request,
            cwd=prepared.root,
            run_id=run_id,
            cancellation=cancellation,
            configuration=default_configuration(),  # read afresh: pyproject.toml may change
        )

    def submit(self, prepared: PreparedCall, *, run_id: str) -> TaskView:
        """Start ``prepared`` as a task and return its view (``queued`` or ``running``).

        Raises:
            ServerShuttingDownError: the server is shutting down (``server-shutting-down``).

        """
        from hephaestus.api.task_models import ServerShuttingDownError  # noqa: PLC0415

        if self.stopping.is_set():
            raise ServerShuttingDownError(
                "the server is shutting down: no new task is accepted",
                hint="send it to another instance, or again once the server is back",
            )
        return self.runner.submit(
            operation=prepared.operation,
            request=prepared.request,
            root=prepared.root,
            principal=prepared.principal.name,
            exclusive=prepared.exclusive,
            run_id=run_id,
        )

    def task(self, task_id: str, *, principal: Principal) -> TaskView:
        """Return task ``task_id`` if ``principal`` started it (an admin sees every task).

        Raises:
            NotFoundError: no such task, or another principal's (``not-found``).

        """
        from hephaestus.api.task_models import TaskNotFoundError  # noqa: PLC0415
        from hephaestus.serving import Scope  # noqa: PLC0415

        try:
            view = self.runner.store.get(task_id)
        except TaskNotFoundError:
            view = None
        if view is None or (
            view.principal != principal.name and not principal.allows(frozenset({Scope.admin}))
        ):
            raise NotFoundError(f"no task {task_id!r}", hint="use the id a submission returned")
        return view

    def cancel(self, task_id: str, *, principal: Principal) -> TaskView:
        """Cancel task ``task_id`` (see :meth:`task` for who may) and return its view.

        Raises:
            NotFoundError: no such task, or another principal's (``not-found``).

        """
        self.task(task_id, principal=principal)
        return self.runner.cancel(task_id)


def _require_plan(op: Operation, request: Request) -> None:
    if (
        op.twin is not None
        and "plan_id" in type(request).model_fields
        and getattr(request, "plan_id", None) is None
    ):
        raise UsageError(
            f"{field_ref('plan_id')}: required: a destructive call carries out a plan of {op.twin}",
            hint=f"call {op.twin} with the same fields and pass the {field_ref('plan_id')} "
            "it returns",
            code="invalid-request",
        )
