"""The HTTP application of ``hephaestus serve``: routes, error handling, audit and metrics.

Every request gets an id (``X-Request-ID``, also the run id of what it starts), is answered,
then written to the audit log and counted by route template and status. Every error becomes
an RFC 9457 problem: a :class:`~hephaestus.core.errors.HephaestusError` by its code and class,
an invalid body as ``invalid-request`` (422) naming the fields, an unknown route as
``not-found``; anything else is a bug, logged in full and answered ``internal-error`` (500).
"""

from __future__ import annotations

import contextlib
import time
import uuid
from typing import TYPE_CHECKING, Any, Final

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from hephaestus.api.problems import Problem, problem, status_of
from hephaestus.api.rest import PROBLEM_MEDIA, add_operation_routes
from hephaestus.api.rest_ops import add_ops_routes
from hephaestus.api.rest_tasks import add_task_routes
from hephaestus.core import telemetry
from hephaestus.core.errors import HephaestusError, UsageError
from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger
from hephaestus.core.metadata import package_version

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

    from fastapi import Request
    from starlette.responses import Response

    from hephaestus.api.mcp_mount import McpEndpoint
    from hephaestus.api.state import ServerState

_log = get_logger(__name__)
UNAUDITED: Final = frozenset({"/healthz", "/readyz", "/metrics", "/mcp"})
"""Routes not audited here: probes and scrapers call every few seconds; /mcp audits itself."""
DESCRIPTION: Final = (
    "Hephaestus' operations over HTTP: one route per operation of the registry. Read-only "
    "operations answer at once; the others run as tasks (202, then poll or stream the task). "
    "Errors are RFC 9457 problem details whose `code` is one of the error codes of the schema "
    "operation."
)


def create_app(state: ServerState, *, mcp: McpEndpoint | None = None) -> FastAPI:
    """Return the application serving ``state``'s operations (and ``mcp`` at ``/mcp``)."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with mcp.running() if mcp is not None else contextlib.nullcontext():
            yield

    app = FastAPI(
        title="hephaestus",
        version=package_version(),
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.server = state
    add_operation_routes(app, tuple(state.service.operations.values()))
    add_task_routes(app)
    add_ops_routes(app)
    if mcp is not None:  # it authenticates and audits its own requests
        app.router.add_route(
            "/mcp",
            mcp,  # type: ignore[arg-type]  # an ASGI app: Starlette accepts one
            methods=["GET", "POST", "DELETE"],
            include_in_schema=False,
        )
    app.add_exception_handler(HephaestusError, _hephaestus_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _bug)
    app.middleware("http")(_record)
    app.openapi_schema = None
    _ = app.openapi()  # build it now: a model that cannot be described fails at start, not later
    return app


def problem_response(
    error: HephaestusError,
    request: Request,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,  # noqa: ANN401  # extension members
) -> JSONResponse:
    """Answer ``error`` as a problem document, remembering its code for the audit log."""
    body = problem(error, instance=getattr(request.state, "request_id", None))
    request.state.error_code = error.code
    headers = dict(headers or {})
    if body.status == 401:  # noqa: PLR2004
        headers["WWW-Authenticate"] = "Bearer"
    data = body.model_dump(mode="json", exclude_none=True) | extra
    return JSONResponse(data, status_code=body.status, media_type=PROBLEM_MEDIA, headers=headers)


async def _hephaestus_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HephaestusError)  # noqa: S101  # registered for this class only
    return problem_response(exc, request)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101  # registered for this class only
    # Only where and what: an input value may be a secret (a token field).
    errors = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": e["type"]}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid"}
    where = ".".join(p for p in first["loc"] if p != "body") or "body"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    error = UsageError(
        f"`{where}`: {first['msg']}{more}",
        hint="send the fields the operation's request model describes (see the OpenAPI document)",
        code="invalid-request",
    )
    return problem_response(error, request, errors=errors)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # noqa: S101  # registered for this class only
    code = "method-not-allowed" if exc.status_code == 405 else "not-found"  # noqa: PLR2004
    error = UsageError(
        f"{request.method} {request.url.path}: {exc.detail}",
        hint="the OpenAPI document at /openapi.json lists every route",
        code=code,
    )
    return problem_response(error, request, headers=exc.headers)


async def _bug(request: Request, exc: Exception) -> Response:
    _log.error(Event.COMMAND_FAILED, command=request.url.path, exc_info=exc)
    error = HephaestusError(
        f"{request.method} {request.url.path} failed: internal error ({type(exc).__name__})",
        hint="this is a bug in hephaestus: the traceback is in the server's log",
        code="internal-error",
    )
    return problem_response(error, request)


async def _record(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    state: ServerState = request.app.state.server
    request.state.request_id = uuid.uuid4().hex[:16]
    started = time.perf_counter()
    # Each request is a trace of its own, or continues the caller's (traceparent header); its
    # operation's spans, and a task it starts, hang under it. Named once the route is known.
    with telemetry.span(
        request.method,
        kind="server",
        attributes={"http.request.method": request.method, "url.path": request.url.path},
        parent=telemetry.extract_from(request.headers),
    ) as span:
        response = await call_next(request)
        seconds = time.perf_counter() - started
        response.headers["X-Request-ID"] = request.state.request_id
        route = request.scope.get("route")
        template = getattr(route, "path", None) or (
            request.url.path if request.url.path in UNAUDITED else "unmatched"
        )
        _describe(span, request, response, template)
    status = str(response.status_code)
    state.metrics.request(face="rest", route=template, status=status, seconds=seconds)
    if template in UNAUDITED:
        return response
    state.audit.record(
        principal=getattr(request.state, "principal", "-"),
        face="rest",
        operation=getattr(request.state, "operation", f"{request.method} {template}"),
        root=getattr(request.state, "root", None),
        outcome=getattr(request.state, "error_code", "ok"),
        status=response.status_code,
        duration_ms=seconds * 1000,
        request_id=request.state.request_id,
    )
    return response


def _describe(span: telemetry.Span, request: Request, response: Response, template: str) -> None:
    """Name a request's span ``METHOD /route/{template}`` and say how it ended (HTTP conventions).

    A server span fails only for a 5xx answer: a 4xx is the client's error, not the server's.
    """
    span.rename(f"{request.method} {template}")
    span.set_attributes(
        {
            "http.route": template,
            "http.response.status_code": response.status_code,
            "hephaestus.request_id": request.state.request_id,
        }
    )
    if response.status_code >= 500:  # noqa: PLR2004  # the server-error class
        span.fail(error_type=str(response.status_code))


__all__ = ["Problem", "create_app", "problem_response", "status_of"]
