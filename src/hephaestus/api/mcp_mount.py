"""The MCP endpoint of ``hephaestus serve``: the ``hephaestus mcp`` server, mounted at ``/mcp``.

The same bearer tokens as REST and gRPC: a request without a valid one is answered 401, and a
principal must hold the scopes of every tool offered (the default set: guard_rails,
tools_refactor_hotspots, config) or is answered 403. Tools work on the server's first root.
Every request is written to the audit log as face ``mcp``.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from typing import TYPE_CHECKING, Any

from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import JSONResponse

from hephaestus.api.auth import authorize, scopes_for
from hephaestus.api.problems import problem
from hephaestus.core.errors import HephaestusError
from hephaestus.mcp.server import ToolServer, build_server
from hephaestus.mcp.tools import offered

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.types import Receive, Scope, Send

    from hephaestus.api.state import ServerState

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class McpEndpoint:
    """An ASGI app: authenticate, authorise, audit, then hand the request to the MCP SDK."""

    def __init__(self, state: ServerState, *, host: str, run_id: str) -> None:
        """Serve the default tools on ``state``'s first root."""
        self.state = state
        handlers = ToolServer(
            root=state.service.roots.paths[0],
            operations=offered(all_tools=False, read_only=False),
            run_id=run_id,
        )
        self.required = frozenset().union(*(scopes_for(o.safety) for o in handlers.operations))
        security = (
            TransportSecuritySettings(
                enable_dns_rebinding_protection=True,
                allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
                allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
            )
            if host in LOOPBACK
            else None
        )
        self.sessions = StreamableHTTPSessionManager(
            app=build_server(handlers), security_settings=security
        )
        self._app = StreamableHTTPASGIApp(self.sessions)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the session manager for the server's lifetime (the HTTP app's lifespan)."""
        async with self.sessions.run():
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one ASGI request."""
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        status: Any = 200
        outcome = "ok"
        principal = "-"
        try:
            caller = self.state.authenticator.authenticate(headers.get("authorization"))
            principal = caller.name
            authorize(caller, self.required)
        except HephaestusError as error:
            body = problem(error, instance=request_id)
            status, outcome = body.status, error.code
            extra = {"WWW-Authenticate": "Bearer"} if body.status == 401 else {}  # noqa: PLR2004
            response = JSONResponse(
                body.model_dump(mode="json", exclude_none=True),
                status_code=body.status,
                media_type="application/problem+json",
                headers=extra,
            )
            await response(scope, receive, send)
        else:

            async def watch(message: Any) -> None:  # noqa: ANN401  # an ASGI message
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            await self._app(scope, receive, watch)
        finally:
            seconds = time.perf_counter() - started
            self.state.metrics.request(
                face="mcp", route="/mcp", status=str(status), seconds=seconds
            )
            self.state.audit.record(
                principal=principal,
                face="mcp",
                operation=f"{scope.get('method', '-')} /mcp",
                root=str(self.state.service.roots.paths[0]),
                outcome=outcome,
                status=status,
                duration_ms=seconds * 1000,
                request_id=request_id,
            )
