"""The REST face: one route per offered operation, generated from the registry.

``POST /v1/operations/{name}`` takes the operation's request model as its JSON body (and the
root as a query parameter, unless the request has a ``root`` field). A read-only operation
answers ``200`` with its result model; any other becomes a task: ``202 Accepted`` with the
task's view and ``Location: /v1/tasks/{id}`` (``Prefer: respond-async`` asks for a task
anyway). Errors are RFC 9457 problem details (:mod:`hephaestus.api.problems`).

Tasks, ingestion and the operations endpoints (health, readiness, metrics) are in
:mod:`hephaestus.api.rest_tasks` and :mod:`hephaestus.api.rest_ops`.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Annotated, Any, Final, Union

from fastapi import Body, Depends, FastAPI, Query
from fastapi import Request as HttpRequest
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from hephaestus.api.auth import Principal
from hephaestus.api.problems import Problem
from hephaestus.api.task_models import TaskView

if TYPE_CHECKING:
    from hephaestus.api.state import ServerState
    from hephaestus.registry import Operation

PROBLEM_MEDIA: Final = "application/problem+json"
ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    status: {
        "model": Problem,
        "description": description,
        "content": {PROBLEM_MEDIA: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for status, description in (
        (400, "Bad request (exit code 2)"),
        (401, "No valid bearer token"),
        (403, "Refused: a scope is missing, or a path is outside the server's roots (exit 3)"),
        (404, "No such operation or task"),
        (409, "Conflict: the root is busy, or the plan is stale"),
        (422, "A field is invalid, or a verification failed (exit 4)"),
        (502, "A tool, a service or the network failed (exit 5)"),
        (503, "Busy or shutting down: retry"),
    )
}
"""The problem responses every route documents."""

bearer = HTTPBearer(auto_error=False, description="A token configured for this server")


def principal_of(
    request: HttpRequest,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Authenticate the caller from its ``Authorization`` header (a dependency of every route).

    Raises:
        AuthenticationError: tokens are configured and none valid was given (401).

    """
    del credentials  # declared for the OpenAPI document; the header is read as it is
    state: ServerState = request.app.state.server
    principal = state.authenticator.authenticate(request.headers.get("authorization"))
    request.state.principal = principal.name
    return principal


Caller = Annotated[Principal, Depends(principal_of)]


def request_id(request: HttpRequest) -> str:
    """Return the id of this request (also the run id of what it starts)."""
    value: str = request.state.request_id
    return value


def wants_task(request: HttpRequest) -> bool:
    """Whether the client asked for a task even for a read-only operation (RFC 7240)."""
    prefer = request.headers.get("prefer", "")
    return any(part.strip().lower() == "respond-async" for part in prefer.split(","))


def add_operation_routes(app: FastAPI, operations: tuple[Operation, ...]) -> None:
    """Add ``POST /v1/operations/{name}`` for each of ``operations``."""
    for op in operations:
        _add_operation_route(app, op)


def _add_operation_route(app: FastAPI, op: Operation) -> None:
    loaded = op.load()
    model = loaded.request
    optional = all(not f.is_required() for f in model.model_fields.values())
    has_root = "root" in model.model_fields

    async def endpoint(request: HttpRequest, principal: Principal, **kwargs: Any) -> Any:  # noqa: ANN401  # FastAPI's
        state: ServerState = request.app.state.server
        body = kwargs.get("body")
        fields = body.model_dump(exclude_unset=True) if body is not None else {}
        request.state.operation = op.name
        prepared = await run_in_threadpool(
            state.service.prepare,
            op.name,
            fields,
            root=kwargs.get("root"),
            principal=principal,
        )
        request.state.root = str(prepared.root)
        rid = request_id(request)
        if prepared.inline and not wants_task(request):
            result = await run_in_threadpool(state.service.call, prepared, run_id=rid)
            return JSONResponse(result.model_dump(mode="json"))
        view = await run_in_threadpool(state.service.submit, prepared, run_id=rid)
        return JSONResponse(
            view.model_dump(mode="json"),
            status_code=202,
            headers={"Location": f"/v1/tasks/{view.id}"},
        )

    parameters = [
        inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=HttpRequest),
        inspect.Parameter("principal", inspect.Parameter.KEYWORD_ONLY, annotation=Caller),
        inspect.Parameter(
            "body",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[model | None if optional else model, Body()],
            default=None if optional else inspect.Parameter.empty,
        ),
    ]
    if not has_root:
        parameters.append(
            inspect.Parameter(
                "root",
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[
                    str | None,
                    Query(description="The root to act on (default: the server's first root)"),
                ],
                default=None,
            )
        )
    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]  # read by FastAPI
    endpoint.__name__ = op.name
    results = loaded.results
    result_model: Any = results[0] if len(results) == 1 else Union[results]  # noqa: UP007  # a runtime tuple
    responses: dict[int | str, dict[str, Any]] = {
        202: {"model": TaskView, "description": "Started as a task: poll its Location"},
        **ERRORS,
    }
    app.post(
        f"/v1/operations/{op.name}",
        response_model=result_model if op.read_only else TaskView,
        status_code=200 if op.read_only else 202,
        responses=responses if op.read_only else ERRORS,
        operation_id=op.name,
        summary=op.summary,
        description=f"CLI: `hephaestus {op.command}`. Safety: "
        + ", ".join(sorted(s.value for s in op.safety))
        + ".",
        tags=[op.command.split()[0]],
    )(endpoint)
