"""``hephaestus serve``: the operations over REST and gRPC, with tokens, tasks and live progress."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Final

import typer

from hephaestus.cli.environment import Environment
from hephaestus.cli.listening import refuse_unless_loopback
from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.render import Block, Fields, emit
from hephaestus.core.errors import ExternalError, UsageError
from hephaestus.serving import Serving

app = command_app()
DEFAULT_PORT: Final = 8780
DEFAULT_GRPC_PORT: Final = 8781


def _text(serving: Serving) -> list[Block]:
    auth = "bearer tokens" if serving.authenticated else "none (loopback only)"
    return [
        Fields(
            [
                ("REST", f"{serving.url}  (OpenAPI: {serving.url}/openapi.json)"),
                ("gRPC", serving.grpc or "off"),
                ("MCP", f"{serving.url}/mcp"),
                ("roots", ", ".join(serving.roots)),
                ("authentication", auth),
            ]
        )
    ]


def _missing_extra(exc: ImportError) -> ExternalError:
    return ExternalError(
        f"the server needs the serve extra, which cannot be imported ({exc.name})",
        hint="install it, e.g. pip install 'hephaestus-toolkit[serve]'",
    )


@app.command("serve")
@describe(
    output=Serving,
    examples=[
        "hephaestus serve",
        "hephaestus serve --root ~/src/app --root ~/src/lib --port 8080",
        "hephaestus --format json serve --port 0 --grpc-port 0",
        "hephaestus serve --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem",
    ],
)
def serve(  # one option per setting of the server
    ctx: typer.Context,
    root: Annotated[
        list[Path] | None,
        typer.Option(
            "--root",
            metavar="DIR",
            help="A directory calls may act on (repeatable; the first is the default).  "
            "[default: the repository root]",
            show_default=False,
            exists=True,
            file_okay=False,
        ),
    ] = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (beyond loopback: tokens needed).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="HTTP port (0: any free one).")
    ] = DEFAULT_PORT,
    grpc_port: Annotated[
        int,
        typer.Option("--grpc-port", min=-1, max=65535, help="gRPC port (0: any free; -1: off)."),
    ] = DEFAULT_GRPC_PORT,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            "--state-dir",
            metavar="DIR",
            help="Where the task store and the audit log live.  "
            "[default: .hephaestus/serve in the first root]",
            show_default=False,
            file_okay=False,
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Tasks that may run at once.")
    ] = 4,
    grace: Annotated[
        float,
        typer.Option(
            "--grace", min=0.0, max=3600.0, help="Seconds running tasks get to finish on SIGTERM."
        ),
    ] = 10.0,
    tls_cert: Annotated[
        Path | None,
        typer.Option("--tls-cert", metavar="PEM", exists=True, dir_okay=False, help="Serve TLS."),
    ] = None,
    tls_key: Annotated[
        Path | None,
        typer.Option("--tls-key", metavar="PEM", exists=True, dir_okay=False, help="TLS key."),
    ] = None,
    client_ca: Annotated[
        Path | None,
        typer.Option(
            "--client-ca",
            metavar="PEM",
            exists=True,
            dir_okay=False,
            help="Require client certificates signed by this CA (mutual TLS).",
        ),
    ] = None,
) -> None:
    """Serve the operations over REST and gRPC, with tokens and tasks.

    REST, gRPC and MCP (at /mcp) run until SIGTERM.

    Read-only operations answer at once; the others run as tasks that can be polled, streamed
    (server-sent events, a gRPC stream) and cancelled, and that a restart reports as
    interrupted. Tokens come from [tool.hephaestus.serve] and HEPHAESTUS_SERVE_TOKENS, stored
    as hashes (make one with hephaestus serve-token); without any, only loopback is allowed.
    Needs the hephaestus-toolkit[serve] extra.
    """
    env: Environment = ctx.obj
    if (tls_cert is None) != (tls_key is None):
        raise UsageError("--tls-cert and --tls-key go together", hint="give both, or neither")
    if client_ca is not None and tls_cert is None:
        raise UsageError("--client-ca needs --tls-cert and --tls-key", hint="give all three")
    try:
        from hephaestus.api.auth import tokens_from_environment  # noqa: PLC0415
        from hephaestus.api.server import ServerOptions, serve  # noqa: PLC0415  # the extra
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] not in {
            "fastapi",
            "uvicorn",
            "starlette",
            "grpc",
            "google",
            "prometheus_client",
            "mcp",
            "anyio",
        }:
            raise
        raise _missing_extra(exc) from exc
    from hephaestus.configuration import load_config  # noqa: PLC0415  # pydantic-settings
    from hephaestus.core.config import find_repository_root  # noqa: PLC0415  # runs git
    from hephaestus.core.state import state_directory  # noqa: PLC0415

    roots = [r.resolve() for r in root] if root else [find_repository_root(Path.cwd())]
    section = load_config(roots[0]).serve
    tokens = (*section.tokens, *tokens_from_environment())
    if not tokens:
        refuse_unless_loopback(
            host,
            why="no token is configured",
            hint="configure tokens ([tool.hephaestus.serve] tokens, made with hephaestus "
            "serve-token), or listen on 127.0.0.1",
        )
    options = ServerOptions(
        roots=roots,
        host=host,
        port=port,
        grpc_port=None if grpc_port < 0 else grpc_port,
        state=state_dir.resolve() if state_dir else state_directory(roots[0]) / "serve",
        tokens=tokens,
        workers=workers,
        grace=grace,
        run_id=env.run_id,
        tls=(tls_cert, tls_key) if tls_cert and tls_key else None,
        client_ca=client_ca,
    )

    def ready(listening: object) -> None:
        emit(env, Serving.of(listening, roots=roots), _text)

    serve(options, ready=ready)
