"""REST routes for tasks (poll, cancel, stream progress) and for streamed event ingestion.

``GET /v1/tasks/{id}/events`` is a server-sent event stream: one event per
:class:`~hephaestus.api.task_models.TaskEvent` (``id`` its ``seq``, ``event`` its kind, ``data``
its JSON), replayed from the store and then live, until the task has ended. A client that
reconnects with ``Last-Event-ID: N`` gets the events after N, once each.

``POST /v1/analytics/events`` reads an NDJSON body as it arrives (memory stays bounded, and a
slow store slows the reading: backpressure) and answers the counts of accepted and rejected
lines; an ``Idempotency-Key`` makes a retried batch count once.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Final

import anyio
import anyio.to_thread
from anyio import from_thread
from fastapi import FastAPI, Header, Query
from fastapi import Request as HttpRequest
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from hephaestus.analytics.models import StreamIngestReport
from hephaestus.api.rest import ERRORS, Caller
from hephaestus.api.task_models import TaskView
from hephaestus.core.errors import ExternalError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from hephaestus.api.state import ServerState

WAIT: Final = 10.0
"""Seconds an event stream waits for an event before it sends a keep-alive comment."""
UPLOAD_IDLE: Final = 30.0
"""Seconds an upload may send nothing before it is given up (its slot freed, nothing stored)."""
INGEST: Final = "tools_analytics_ingest"
"""The operation whose safety and scopes govern ingestion."""


def add_task_routes(app: FastAPI) -> None:
    """Add the task routes and the ingestion route to ``app``."""
    app.get(
        "/v1/tasks/{task_id}",
        response_model=TaskView,
        responses=ERRORS,
        operation_id="task_get",
        summary="A task: its status and, once it has ended, its result or error.",
        tags=["tasks"],
    )(get_task)
    app.delete(
        "/v1/tasks/{task_id}",
        response_model=TaskView,
        responses=ERRORS,
        operation_id="task_cancel",
        summary="Cancel a task: its subprocesses are stopped within 2 s.",
        tags=["tasks"],
    )(cancel_task)
    app.get(
        "/v1/tasks/{task_id}/events",
        response_class=StreamingResponse,
        responses={
            200: {
                "description": "One event per task event: id its seq, event its kind, data "
                "its JSON object",
                "content": {"text/event-stream": {"schema": {"type": "object"}}},
            },
            **ERRORS,
        },
        operation_id="task_events",
        summary="A task's events as server-sent events (resume with Last-Event-ID).",
        tags=["tasks"],
    )(task_events)
    app.post(
        "/v1/analytics/events",
        response_model=StreamIngestReport,
        responses=ERRORS,
        operation_id="analytics_ingest_stream",
        summary="Store NDJSON events (streamed); count accepted and rejected lines.",
        tags=["tools"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
            }
        },
    )(ingest)


async def get_task(task_id: str, request: HttpRequest, principal: Caller) -> TaskView:
    """Return the task ``task_id`` (the caller's own; an admin sees every task)."""
    state: ServerState = request.app.state.server
    return await run_in_threadpool(state.service.task, task_id, principal=principal)


async def cancel_task(task_id: str, request: HttpRequest, principal: Caller) -> TaskView:
    """Cancel the task ``task_id`` and return its view (unchanged if it has ended)."""
    state: ServerState = request.app.state.server
    request.state.operation = "task_cancel"
    return await run_in_threadpool(state.service.cancel, task_id, principal=principal)


async def task_events(
    task_id: str,
    request: HttpRequest,
    principal: Caller,
    last_event_id: Annotated[int | None, Header(ge=0)] = None,
    after: Annotated[int | None, Query(ge=0, description="Resume after this seq")] = None,
) -> StreamingResponse:
    """Stream the task's events after ``Last-Event-ID`` (or ``after``) as server-sent events."""
    state: ServerState = request.app.state.server
    await run_in_threadpool(state.service.task, task_id, principal=principal)
    start = last_event_id if last_event_id is not None else (after or 0)
    return StreamingResponse(
        _events(state, task_id, start),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(state: ServerState, task_id: str, after: int) -> AsyncIterator[str]:
    runner = state.service.runner
    while True:
        events = await anyio.to_thread.run_sync(
            lambda seq=after: runner.next_events(task_id, seq, timeout=WAIT),  # type: ignore[misc]
            abandon_on_cancel=True,
        )
        for event in events:
            data = json.dumps(event.data, separators=(",", ":"))
            yield f"id: {event.seq}\nevent: {event.kind}\ndata: {data}\n\n"
            after = event.seq
        if not events:
            if not runner.is_live(task_id):
                return
            yield ": keep-alive\n\n"


async def ingest(
    request: HttpRequest,
    principal: Caller,
    root: Annotated[str | None, Query(description="The root to store into")] = None,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Store the NDJSON body's valid events; answer the counts (and the first rejected lines)."""
    from hephaestus.api.auth import authorize, scopes_for  # noqa: PLC0415
    from hephaestus.api.ingestion import check_idempotency_key, ingest_stream  # noqa: PLC0415

    state: ServerState = request.app.state.server
    request.state.operation = INGEST
    op = state.service.operation(INGEST)
    authorize(principal, scopes_for(op.safety))
    chosen = state.service.roots.choose(root)
    request.state.root = str(chosen)
    check_idempotency_key(idempotency_key)
    chunks = request.stream()

    def pull() -> Iterator[bytes]:
        while True:
            try:
                chunk: bytes = from_thread.run(_next, chunks)
            except StopAsyncIteration:
                return
            if chunk:
                yield chunk

    def store() -> StreamIngestReport:
        with state.service.upload_slot():
            return ingest_stream(
                pull(), root=chosen, source="rest", idempotency_key=idempotency_key
            )

    report = await anyio.to_thread.run_sync(store)
    return JSONResponse(report.model_dump(mode="json"))


async def _next(chunks: AsyncIterator[bytes]) -> Any:  # noqa: ANN401  # a chunk
    try:
        with anyio.fail_after(UPLOAD_IDLE):
            return await chunks.__anext__()
    except ClientDisconnect:
        raise ExternalError(
            "the client went away before the upload ended: nothing of it was stored",
            hint="send the events again (with the same idempotency key)",
            code="cancelled",
        ) from None
    except TimeoutError:
        raise ExternalError(
            f"the upload sent nothing for {UPLOAD_IDLE:.0f} s: nothing of it was stored",
            hint="send the events again (with the same idempotency key)",
            code="upload-stalled",
        ) from None
