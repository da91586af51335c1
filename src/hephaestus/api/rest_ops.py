"""What operators call: liveness, readiness and Prometheus metrics.

``/healthz`` answers while the process serves; ``/readyz`` fails (503) once a shutdown began,
so a load balancer stops sending work before tasks are cancelled. ``/metrics`` needs the
``read`` scope when tokens are configured, like every other route but the two probes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request as HttpRequest  # noqa: TC002  # FastAPI reads the annotations
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from hephaestus.api.rest import ERRORS, Caller
from hephaestus.api.task_models import ServerShuttingDownError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from hephaestus.api.state import ServerState


class Health(BaseModel):
    """The answer of a probe."""

    model_config = ConfigDict(frozen=True)

    status: str


def add_ops_routes(app: FastAPI) -> None:
    """Add ``/healthz``, ``/readyz`` and ``/metrics`` to ``app``."""
    app.get("/healthz", response_model=Health, tags=["operations"], operation_id="healthz")(healthz)
    app.get(
        "/readyz",
        response_model=Health,
        responses={503: ERRORS[503]},
        tags=["operations"],
        operation_id="readyz",
    )(readyz)
    app.get(
        "/metrics",
        response_class=Response,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}, **ERRORS},
        tags=["operations"],
        operation_id="metrics",
    )(metrics)


async def healthz() -> Health:
    """Answer while the process serves."""
    return Health(status="ok")


async def readyz(request: HttpRequest) -> Health:
    """Answer ``ready`` until a shutdown began.

    Raises:
        ServerShuttingDownError: a shutdown began (503).

    """
    state: ServerState = request.app.state.server
    if state.stopping.is_set():
        raise ServerShuttingDownError(
            "the server is shutting down", hint="send new work to another instance"
        )
    return Health(status="ready")


async def metrics(request: HttpRequest, principal: Caller) -> Response:
    """Return every instrument in Prometheus' text format."""
    from hephaestus.api.auth import authorize  # noqa: PLC0415
    from hephaestus.serving import Scope  # noqa: PLC0415

    authorize(principal, frozenset({Scope.read}))
    state: ServerState = request.app.state.server
    from hephaestus.api.metrics import CONTENT_TYPE  # noqa: PLC0415

    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE)
