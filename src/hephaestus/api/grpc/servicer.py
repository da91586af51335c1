"""The RPCs of ``hephaestus.v1``: each typed RPC is an operation of the registry, by one table.

Arguments and results travel as the JSON the REST face takes and returns (see the protos in
``proto/hephaestus/v1``): the pydantic request and result models stay the one description of
each operation. Every RPC authenticates its caller and is checked by
:meth:`~hephaestus.api.service.Service.prepare` (scopes, roots, fields) before anything runs.

A read-only operation runs inline, in the gRPC worker thread, unless the request asks for a
task: its processes are stopped (a :class:`~hephaestus.core.process_groups.Cancellation`)
when the client cancels the RPC or its deadline passes. Every other operation becomes a task,
followed with the ``Tasks`` service. Errors, audit and metrics: :mod:`hephaestus.api.grpc.calls`.
"""

from __future__ import annotations

import json
import threading
from functools import partial
from typing import TYPE_CHECKING, Any, Final

import grpc

from hephaestus.api.auth import authorize, scopes_for
from hephaestus.api.grpc.calls import Calls
from hephaestus.api.grpc.v1.analytics_pb2 import EventChunk, IngestReply
from hephaestus.api.grpc.v1.call_pb2 import OperationReply, Task
from hephaestus.api.grpc.v1.tasks_pb2 import TaskEventMessage
from hephaestus.api.ingestion import check_idempotency_key, ingest_stream
from hephaestus.core.errors import HephaestusError, UsageError, field_ref
from hephaestus.core.process_groups import Cancellation

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from pydantic import BaseModel

    from hephaestus.api.audit import AuditLog
    from hephaestus.api.auth import Authenticator
    from hephaestus.api.grpc.v1.call_pb2 import NamedOperationRequest, OperationRequest
    from hephaestus.api.grpc.v1.tasks_pb2 import TaskRef, WatchRequest
    from hephaestus.api.metrics import Metrics
    from hephaestus.api.service import PreparedCall, Service
    from hephaestus.api.state import ServerState
    from hephaestus.api.task_models import TaskEvent, TaskView

PACKAGE: Final = "hephaestus.v1"
TYPED: Final[dict[str, str]] = {
    "GuardRails/Run": "guard_rails",
    "GuardRails/Fix": "guard_rails_fix",
    "Cleanup/Plan": "cleanup_plan",
    "Cleanup/Clean": "cleanup",
    "Analytics/Hotspots": "tools_refactor_hotspots",
    "Analytics/Rankings": "tools_refactor_rankings",
    "Analytics/Coupling": "tools_refactor_coupling",
    "Analytics/Opportunities": "tools_refactor_opportunities",
    "Analytics/Snapshots": "tools_analytics_snapshots",
}
"""Each typed RPC (``Service/Method``) and the registry operation it calls.

Every other operation is reachable by name through ``Operations/Call``.
"""
NAME_LIMIT: Final = 100
"""Characters of a requested operation name kept in the audit log."""
INGEST: Final = "tools_analytics_ingest"
"""The operation whose scopes govern ``Analytics/IngestEvents``."""
WATCH_POLL: Final = 1.0
"""Seconds a ``Tasks/Watch`` stream waits for an event before it looks whether the client left."""


def method_path(rpc: str) -> str:
    """Return the full name of ``rpc`` (``Service/Method``): ``/hephaestus.v1.Service/Method``."""
    return f"/{PACKAGE}.{rpc}"


def dump_json(data: Any) -> bytes:  # noqa: ANN401  # any JSON value
    """Encode ``data`` as the REST face does: compact UTF-8 JSON, no NaN."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def arguments(data: bytes) -> dict[str, Any]:
    """Decode a request's ``arguments_json`` (empty: no field at all).

    Raises:
        UsageError: it is not UTF-8 JSON, or not an object (``invalid-request``).

    """
    if not data.strip():
        return {}
    try:
        value = json.loads(data)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError; neither holds the data
        where = f" ({exc.msg}, position {exc.pos})" if isinstance(exc, json.JSONDecodeError) else ""
        raise UsageError(
            f"{field_ref('arguments_json')} is not UTF-8 JSON{where}",
            hint="send the operation's request model as a JSON object",
            code="invalid-request",
        ) from None
    if not isinstance(value, dict):
        raise UsageError(
            f"{field_ref('arguments_json')} must be a JSON object, not {type(value).__name__}",
            hint="send the operation's request model as a JSON object, e.g. {}",
            code="invalid-request",
        )
    return value


def task_message(view: TaskView) -> Task:
    """Return the ``Task`` message of ``view`` (its whole view as JSON in ``view_json``)."""
    return Task(
        id=view.id,
        operation=view.operation,
        status=view.status.value,
        view_json=dump_json(view.model_dump(mode="json")),
    )


def event_message(event: TaskEvent) -> TaskEventMessage:
    """Return the ``TaskEventMessage`` of ``event``."""
    return TaskEventMessage(
        seq=event.seq,
        kind=event.kind,
        data_json=dump_json(event.data),
        time=event.time.isoformat(),
    )


class Servicer:
    """Every RPC of ``hephaestus.v1`` over one :class:`~hephaestus.api.service.Service`.

    Thread-safe: gRPC calls it from its worker threads. :meth:`implementations` lists the
    RPCs for :func:`hephaestus.api.grpc.server.build_grpc_server`.
    """

    def __init__(
        self,
        *,
        service: Service,
        authenticator: Authenticator,
        audit: AuditLog,
        metrics: Metrics,
    ) -> None:
        """Serve ``service``; authenticate, audit and count every RPC with the others."""
        self.service = service
        self.metrics = metrics
        self.calls = Calls(authenticator=authenticator, audit=audit, metrics=metrics)

    @classmethod
    def from_state(cls, state: ServerState) -> Servicer:
        """Serve the parts of a server's ``state`` (shared with the REST face)."""
        return cls(
            service=state.service,
            authenticator=state.authenticator,
            audit=state.audit,
            metrics=state.metrics,
        )

    def implementations(self) -> dict[str, Callable[[Any, grpc.ServicerContext], Any]]:
        """Return the handler of every RPC by ``Service/Method``."""
        typed = {rpc: partial(self.operation, rpc, name) for rpc, name in TYPED.items()}
        return {
            **typed,
            "Operations/Call": self.call,
            "Analytics/IngestEvents": self.ingest_events,
            "Tasks/Get": self.get_task,
            "Tasks/Cancel": self.cancel_task,
            "Tasks/Watch": self.watch,
        }

    # --- operations ---------------------------------------------------------------------------

    def operation(
        self, rpc: str, name: str, request: OperationRequest, context: grpc.ServicerContext
    ) -> OperationReply:
        """Call operation ``name`` for the typed RPC ``rpc``: inline, or as a task."""
        audited = name[:NAME_LIMIT]  # any string a client sent: bounded in the audit log
        with self.calls.answering(context, method=method_path(rpc), operation=audited) as record:
            principal = self.calls.authenticate(context, record)
            fields = arguments(request.arguments_json)
            prepared = self.service.prepare(
                name, fields, root=request.root or None, principal=principal
            )
            record.root = str(prepared.root)
            if prepared.inline and not request.as_task:
                result = self._inline(prepared, run_id=record.request_id, context=context)
                return OperationReply(
                    result_json=dump_json(result.model_dump(mode="json")),
                    operation=name,
                    request_id=record.request_id,
                )
            view = self.service.submit(prepared, run_id=record.request_id)
            return OperationReply(
                task=task_message(view), operation=name, request_id=record.request_id
            )

    def call(self, request: NamedOperationRequest, context: grpc.ServicerContext) -> OperationReply:
        """``Operations/Call``: any offered operation, by its registry name."""
        return self.operation("Operations/Call", request.operation, request.request, context)

    def _inline(
        self, prepared: PreparedCall, *, run_id: str, context: grpc.ServicerContext
    ) -> BaseModel:
        """Run ``prepared`` here; stop its processes if the RPC ends first (cancel, deadline)."""
        cancellation = Cancellation()
        done = threading.Event()

        def stop() -> None:  # on a gRPC thread, when the RPC ends: never block it
            if not done.is_set():
                threading.Thread(target=cancellation.cancel, name="hephaestus-grpc-stop").start()

        if not context.add_callback(stop) or not context.is_active():
            raise HephaestusError(
                "the call was cancelled, or its deadline passed, before it started",
                hint="call again with a later deadline",
                code="cancelled",
            )
        try:
            return self.service.call(prepared, run_id=run_id, cancellation=cancellation)
        finally:
            done.set()

    # --- tasks --------------------------------------------------------------------------------

    def get_task(self, request: TaskRef, context: grpc.ServicerContext) -> Task:
        """``Tasks/Get``: the caller's task as it is now."""
        with self.calls.answering(
            context, method=method_path("Tasks/Get"), operation="task_get"
        ) as record:
            principal = self.calls.authenticate(context, record)
            view = self.service.task(request.id, principal=principal)
            record.root = view.root
            return task_message(view)

    def cancel_task(self, request: TaskRef, context: grpc.ServicerContext) -> Task:
        """``Tasks/Cancel``: cancel the caller's task; return it."""
        with self.calls.answering(
            context, method=method_path("Tasks/Cancel"), operation="task_cancel"
        ) as record:
            principal = self.calls.authenticate(context, record)
            view = self.service.cancel(request.id, principal=principal)
            record.root = view.root
            return task_message(view)

    def watch(
        self, request: WatchRequest, context: grpc.ServicerContext
    ) -> Iterator[TaskEventMessage]:
        """``Tasks/Watch``: the task's events after ``after_seq``, until it has ended."""
        with self.calls.answering(
            context, method=method_path("Tasks/Watch"), operation="task_watch"
        ) as record:
            principal = self.calls.authenticate(context, record)
            record.root = self.service.task(request.id, principal=principal).root
            runner = self.service.runner
            after = max(request.after_seq, 0)
            while context.is_active():
                live = runner.is_live(request.id)  # first: once ended, every event is stored
                events = runner.next_events(request.id, after, timeout=WATCH_POLL)
                for event in events:
                    yield event_message(event)
                    after = event.seq
                if not events and not live:
                    return

    # --- ingestion ----------------------------------------------------------------------------

    def ingest_events(
        self, request_iterator: Iterator[EventChunk], context: grpc.ServicerContext
    ) -> IngestReply:
        """``Analytics/IngestEvents``: store the streamed NDJSON; answer the report."""
        with self.calls.answering(
            context, method=method_path("Analytics/IngestEvents"), operation=INGEST
        ) as record:
            principal = self.calls.authenticate(context, record)
            authorize(principal, scopes_for(self.service.operation(INGEST).safety))
            first = _first(request_iterator)
            root = self.service.roots.choose(first.root or None)
            record.root = str(root)
            key = first.idempotency_key or None
            check_idempotency_key(key)
            body = _body(first, request_iterator, context)
            with self.service.upload_slot():
                report = ingest_stream(body, root=root, source="grpc", idempotency_key=key)
            return IngestReply(
                report_json=dump_json(report.model_dump(mode="json")),
                request_id=record.request_id,
            )


def _broken() -> HephaestusError:
    return HephaestusError(
        "the stream ended before the client closed it (cancelled, or past its deadline):"
        " nothing was stored",
        hint="send the whole stream again (with the same idempotency key)",
        code="cancelled",
    )


def _first(chunks: Iterator[EventChunk]) -> EventChunk:
    """Return the first chunk (an empty one for an empty stream); it names root and key."""
    try:
        first = next(chunks, None)
    except grpc.RpcError as exc:  # the client left
        raise _broken() from exc
    return EventChunk() if first is None else first


def _body(
    first: EventChunk, rest: Iterator[EventChunk], context: grpc.ServicerContext
) -> Iterator[bytes]:
    """Yield the NDJSON bytes of every chunk; raise rather than end a stream cut short.

    gRPC ends the request iterator quietly when the RPC is no longer active, so a body that
    ends while the RPC is over is treated as broken: ingestion then stores nothing.
    """
    yield first.ndjson
    try:
        for chunk in rest:
            yield chunk.ndjson
    except grpc.RpcError as exc:  # the client cancelled
        raise _broken() from exc
    if not context.is_active():
        raise _broken()
