"""The MCP server over the registry: every offered operation a tool, hephaestus' state resources.

Built on the SDK's low-level :class:`mcp.server.Server`, which lets the registry dictate each
tool's input and output schema and annotations exactly (``MCPServer`` derives them from Python
signatures), and served with the SDK's own transports: stdio, or streamable HTTP under uvicorn.

A tool call runs its operation in a worker thread (:mod:`.calls`) while :mod:`.progress` sends
its progress. When the client cancels the call (or goes away), the call's
:class:`~hephaestus.core.process_groups.Cancellation` stops every process group the operation
started (SIGTERM, then SIGKILL half a second later) and refuses new ones.
"""

from __future__ import annotations

import json
import socket
import threading
from functools import partial
from itertools import count
from typing import TYPE_CHECKING, Any, Final

import anyio
import mcp_types as types
from mcp.server import Server
from mcp.shared.exceptions import MCPError

from hephaestus.core.errors import ExternalError
from hephaestus.core.metadata import package_version
from hephaestus.core.process_groups import Cancellation
from hephaestus.mcp import resources
from hephaestus.mcp.calls import run_tool
from hephaestus.mcp.progress import RelayProgress, notify_progress
from hephaestus.mcp.tools import ToolSpec, tool_spec

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from mcp.server import ServerRequestContext

    from hephaestus.registry import Operation

RESOURCE_NOT_FOUND: Final = -32002
"""The MCP error code of a resource that does not exist."""
INSTRUCTIONS: Final = (
    "Hephaestus keeps this Python repository healthy; every tool works on the server's root. "
    "A destructive tool runs only with the plan_id its dry-run twin returned (cleanup_plan, "
    "then cleanup). Tools list a shortened output schema: hephaestus://schema/{tool} has the "
    "full one. hephaestus://guard-rails/latest holds the latest gate report."
)


class ToolServer:
    """The handlers of one server: its root, the operations it offers, and the calls it runs."""

    def __init__(self, *, root: Path, operations: tuple[Operation, ...], run_id: str) -> None:
        self.root = root
        self.operations = operations
        self.run_id = run_id
        self._calls = count(1)
        self._tools: dict[str, ToolSpec] | None = None
        self._lock = threading.Lock()

    def tools(self) -> dict[str, ToolSpec]:
        """Return the offered tools by name, described on first use (importing the models)."""
        with self._lock:
            if self._tools is None:
                self._tools = {o.name: tool_spec(o) for o in self.operations}
            return self._tools

    def input_schema(self, name: str) -> dict[str, Any] | None:
        """Return the input schema of tool ``name`` (``None``: no such tool)."""
        tool = self.tools().get(name)
        return None if tool is None else tool.input_schema

    async def list_tools(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        """Answer ``tools/list``: every offered tool, in registry order."""
        del ctx, params
        tools = await anyio.to_thread.run_sync(self.tools)
        return types.ListToolsResult(tools=[as_mcp_tool(t) for t in tools.values()])

    async def call_tool(
        self, ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        """Answer ``tools/call``: run the operation; cancelled, stop its processes.

        Raises:
            MCPError: the server offers no tool of that name (invalid params).

        """
        tools = await anyio.to_thread.run_sync(self.tools)
        tool = tools.get(params.name)
        if tool is None:
            raise MCPError(
                code=types.INVALID_PARAMS,
                message=f"unknown tool {params.name!r}; this server offers: {', '.join(tools)}",
            )
        relay = RelayProgress(f"{params.name}: started")
        cancellation = Cancellation()
        work = partial(
            run_tool,
            tool,
            params.arguments or {},
            root=self.root,
            run_id=f"{self.run_id}-{next(self._calls)}",
            progress=relay,
            cancellation=cancellation,
        )
        async with anyio.create_task_group() as group:
            group.start_soon(notify_progress, relay, ctx.session.report_progress)
            try:
                outcome = await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
            except anyio.get_cancelled_exc_class():
                with anyio.CancelScope(shield=True):  # stop the processes before unwinding
                    await anyio.to_thread.run_sync(cancellation.cancel)
                raise
            finally:
                group.cancel_scope.cancel()
        return types.CallToolResult(
            content=[types.TextContent(text=outcome.text)],
            structured_content=outcome.structured,
            is_error=outcome.is_error,
        )

    async def list_resources(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        """Answer ``resources/list``: the fixed resources (each manifest is a template's)."""
        del ctx, params
        return types.ListResourcesResult(
            resources=[
                types.Resource(
                    uri=d.uri, name=d.name, description=d.description, mime_type=resources.JSON
                )
                for d in resources.RESOURCES
            ]
        )

    async def list_resource_templates(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        """Answer ``resources/templates/list``: one audit manifest, one tool's full schema."""
        del ctx, params
        return types.ListResourceTemplatesResult(
            resource_templates=[
                types.ResourceTemplate(
                    uri_template=d.uri,
                    name=d.name,
                    description=d.description,
                    mime_type=resources.JSON,
                )
                for d in resources.TEMPLATES
            ]
        )

    async def read_resource(
        self, ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        """Answer ``resources/read`` with one JSON document.

        Raises:
            MCPError: no resource has that URI (resource not found).

        """
        del ctx
        uri = str(params.uri)
        read = partial(resources.read, uri, root=self.root, operations=self.operations)
        try:
            document = await anyio.to_thread.run_sync(read)
        except resources.UnknownResourceError:
            raise MCPError(
                code=RESOURCE_NOT_FOUND, message=f"no resource {uri}", data={"uri": uri}
            ) from None
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, mime_type=resources.JSON, text=text)]
        )


def as_mcp_tool(tool: ToolSpec) -> types.Tool:
    """Return the MCP tool of ``tool``: the registry's name, summary, schemas and hints."""
    hints = tool.spec.hints
    return types.Tool(
        name=tool.spec.name,
        description=tool.spec.summary,
        input_schema=tool.input_schema,
        output_schema=tool.output_schema,
        annotations=types.ToolAnnotations(
            read_only_hint=hints.read_only,
            destructive_hint=hints.destructive,
            idempotent_hint=hints.idempotent,
            open_world_hint=hints.open_world,
        ),
    )


def build_server(handlers: ToolServer) -> Server[Any]:
    """Return the low-level SDK server answering with ``handlers``."""
    return Server(
        "hephaestus",
        version=package_version(),
        instructions=INSTRUCTIONS,
        get_tool_input_schema=handlers.input_schema,
        on_list_tools=handlers.list_tools,
        on_call_tool=handlers.call_tool,
        on_list_resources=handlers.list_resources,
        on_list_resource_templates=handlers.list_resource_templates,
        on_read_resource=handlers.read_resource,
    )


async def serve_stdio(server: Server[Any]) -> None:
    """Serve one client over this process's stdin and stdout until stdin closes."""
    from mcp.server.stdio import stdio_server  # noqa: PLC0415  # the transport asked for

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def listen(host: str, port: int) -> socket.socket:
    """Open the listening socket (``port`` 0: any free one).

    Raises:
        ExternalError: the address cannot be listened on (in use, not local…), exit 5.

    """
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        listener = socket.create_server((host, port), family=family)
    except OSError as exc:
        raise ExternalError(
            f"cannot listen on {host} port {port}: {exc.strerror or exc}",
            hint="choose another port, or stop the program listening there",
        ) from exc
    # Accepted connections inherit it: asyncio sets it only on sockets it made itself, and
    # without it every response after a connection's first waits ~40 ms (Nagle).
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return listener


def url_of(listener: socket.socket) -> str:
    """Return the MCP endpoint URL of ``listener``."""
    host, port = listener.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/mcp"


async def serve_http(
    server: Server[Any], *, host: str, port: int, ready: Callable[[str], None]
) -> None:
    """Serve streamable HTTP on ``host``:``port`` until stopped; ``ready(url)`` once listening.

    Raises:
        ExternalError: the address cannot be listened on (exit 5).

    """
    import uvicorn  # noqa: PLC0415  # the transport asked for

    listener = listen(host, port)
    app = server.streamable_http_app(host=host)  # refuses foreign Host/Origin on loopback
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=2
    )

    class Web(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                ready(url_of(listener))

    # In this task, not a child: the signal uvicorn re-raises once stopped reaches the caller
    # as it is (the CLI's 130 or 143), not wrapped in a task group's exception group.
    await Web(config).serve(sockets=[listener])
