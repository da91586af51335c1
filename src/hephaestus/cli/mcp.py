"""``hephaestus mcp``: serve the registered operations to AI agents over MCP."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, Final

import typer

from hephaestus.cli.environment import Environment
from hephaestus.cli.listening import refuse_unless_loopback
from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.render import Block, Fields, emit
from hephaestus.core.errors import ExternalError
from hephaestus.mcp.models import Serving

app = command_app()
DEFAULT_PORT: Final = 8765


def _text(serving: Serving) -> list[Block]:
    mode = "read-only" if serving.read_only else "all safety classes"
    return [
        Fields(
            [
                ("MCP server", serving.url),
                ("root", serving.root),
                ("tools", f"{', '.join(serving.tools)} ({mode})"),
            ]
        )
    ]


def _missing_sdk(exc: ImportError) -> ExternalError:
    return ExternalError(
        f"the MCP server needs the mcp package, which cannot be imported ({exc})",
        hint="install the hephaestus-toolkit[mcp] extra: pip install 'hephaestus-toolkit[mcp]'",
    )


@app.command("mcp")
@describe(
    output=Serving,
    examples=[
        "hephaestus mcp",
        "hephaestus mcp --root . --read-only",
        "hephaestus mcp --all-tools",
        "hephaestus --format json mcp --http --port 0",
    ],
)
def mcp(
    ctx: typer.Context,
    root: Annotated[
        Path | None,
        typer.Option(
            "--root",
            metavar="DIR",
            help="Directory every tool works on.  [default: the repository root]",
            show_default=False,
            exists=True,
            file_okay=False,
        ),
    ] = None,
    read_only: Annotated[
        bool,
        typer.Option(
            "--read-only",
            help="Offer only read-only tools: no writing, no project code, no network.",
        ),
    ] = False,
    all_tools: Annotated[
        bool,
        typer.Option(
            "--all-tools",
            help="Offer every operation (cleanup, fixes, releases…), not only the default set.",
        ),
    ] = False,
    http: Annotated[
        bool, typer.Option("--http", help="Serve streamable HTTP instead of stdio.")
    ] = False,
    host: Annotated[
        str,
        typer.Option(
            "--host", help="Loopback address to listen on with --http (others are refused)."
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option("--port", min=0, max=65535, help="Port to listen on with --http (0: any)."),
    ] = DEFAULT_PORT,
) -> None:
    """Serve the operations to AI agents over MCP (stdio or HTTP).

    Every registered operation is a tool whose input and output schemas are its request and
    result models; by default a small set (guard_rails, tools_refactor_hotspots, config), every
    operation with --all-tools. Destructive tools need the plan_id of their dry run, never
    leave the root, and nobody confirms anything. Needs the hephaestus-toolkit[mcp] extra.
    """
    env: Environment = ctx.obj
    try:
        import anyio  # noqa: PLC0415  # the mcp extra brings it

        from hephaestus.mcp.server import (  # noqa: PLC0415  # the mcp extra
            ToolServer,
            build_server,
            serve_http,
            serve_stdio,
        )
    except ImportError as exc:
        if (exc.name or "mcp").partition(".")[0] not in {"mcp", "mcp_types", "anyio"}:
            raise
        raise _missing_sdk(exc) from exc
    from hephaestus.core.config import find_repository_root  # noqa: PLC0415  # runs git
    from hephaestus.mcp.tools import offered  # noqa: PLC0415

    chosen = root.resolve() if root is not None else find_repository_root(Path.cwd())
    handlers = ToolServer(
        root=chosen,
        operations=offered(all_tools=all_tools, read_only=read_only),
        run_id=env.run_id,
    )
    server = build_server(handlers)
    if not http:
        anyio.run(serve_stdio, server)
        return
    refuse_unless_loopback(
        host,
        why="this server has no authentication",
        hint="listen on 127.0.0.1 (the default); reach it from elsewhere through an SSH tunnel",
    )

    def ready(url: str) -> None:
        serving = Serving(
            transport="streamable-http",
            url=url,
            root=str(chosen),
            read_only=read_only,
            tools=tuple(o.name for o in handlers.operations),
        )
        emit(env, serving, _text)

    anyio.run(partial(serve_http, server, host=host, port=port, ready=ready))
