"""One ``hephaestus serve`` process: an HTTP server and a gRPC server over one state.

The HTTP server (REST, ``/mcp``, probes, metrics) runs under uvicorn; the gRPC server beside
it; both read one :class:`~hephaestus.api.state.ServerState`.

Start-up recovers the task store (tasks a previous process left running are ``interrupted``),
opens the audit log, binds both ports, then announces where it listens. On SIGTERM or SIGINT
readiness fails at once, uvicorn stops accepting and closes its connections within the grace
period, running tasks get the same period to finish and are then cancelled and recorded as
``interrupted``, the gRPC server stops, and the signal is re-raised for the CLI's exit code.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import uvicorn

from hephaestus.api.app import create_app
from hephaestus.api.audit import AuditLog
from hephaestus.api.auth import Authenticator
from hephaestus.api.metrics import Metrics
from hephaestus.api.service import Roots, Service
from hephaestus.api.state import ServerState
from hephaestus.api.task_store import TaskStore
from hephaestus.api.tasks import TaskRunner
from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger
from hephaestus.mcp.server import listen

if TYPE_CHECKING:
    import socket
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from hephaestus.serving import TokenEntry

_log = get_logger(__name__)
TASKS_FILE: Final = "tasks.sqlite3"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerOptions:
    """How to run one server: where, on what, with which tokens."""

    roots: Sequence[Path]
    host: str
    port: int
    grpc_port: int | None
    """``None``: no gRPC server."""
    state: Path
    """The server's own directory: task store and audit log."""
    tokens: tuple[TokenEntry, ...]
    workers: int
    grace: float
    run_id: str = "-"
    tls: tuple[Path, Path] | None = None
    """Certificate and key for HTTPS and gRPC over TLS."""
    client_ca: Path | None = None
    """CA whose certificates clients must present (mutual TLS)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Listening:
    """Where a started server listens."""

    url: str
    grpc: str | None
    authenticated: bool


def build_state(options: ServerOptions) -> ServerState:
    """Open the task store (recovering it), the audit log, and the service over the roots.

    Raises:
        UsageError: a root is not a directory (exit 2).
        ConfigError: a token entry is invalid (exit 2).
        TaskStoreError: the task store cannot be opened (exit 5).

    """
    roots = Roots(options.roots)
    options.state.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = TaskStore.open(options.state / TASKS_FILE)
    interrupted = store.recover()
    if interrupted:
        _log.warning(Event.COMMAND_FAILED, command="serve", interrupted_tasks=len(interrupted))
    metrics = Metrics()
    runner = TaskRunner(store, workers=options.workers, on_finish=metrics.finished)
    service = Service(roots=roots, runner=runner)
    return ServerState(
        service=service,
        authenticator=Authenticator.from_entries(options.tokens),
        audit=AuditLog.open(options.state),
        metrics=metrics,
        stopping=service.stopping,
    )


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def serve(options: ServerOptions, *, ready: Callable[[Listening], None]) -> None:
    """Run the server until SIGTERM or SIGINT; ``ready`` is called once both ports listen.

    Raises:
        ExternalError: a port cannot be listened on (exit 5).
        KeyboardInterrupt: re-raised by uvicorn after a graceful stop (the CLI's 130 or 143).

    """
    state = build_state(options)
    listener = listen(options.host, options.port)
    grpc_server: Any = None
    grpc_address: str | None = None
    if options.grpc_port is not None:
        from hephaestus.api.grpc.server import start_grpc  # noqa: PLC0415  # grpcio: lazily

        grpc_server, bound = start_grpc(
            state,
            host=options.host,
            port=options.grpc_port,
            tls=options.tls,
            client_ca=options.client_ca,
        )
        grpc_address = _address(options.host, bound)
    from hephaestus.api.mcp_mount import McpEndpoint  # noqa: PLC0415  # the MCP SDK: lazily

    app = create_app(state, mcp=McpEndpoint(state, host=options.host, run_id=options.run_id))
    host, port = listener.getsockname()[:2]
    scheme = "https" if options.tls else "http"
    announced = Listening(
        url=f"{scheme}://{_address(host, port)}",
        grpc=grpc_address,
        authenticated=state.authenticator.enabled,
    )
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=max(1, round(options.grace)),
        ssl_certfile=str(options.tls[0]) if options.tls else None,
        ssl_keyfile=str(options.tls[1]) if options.tls else None,
        ssl_ca_certs=str(options.client_ca) if options.client_ca else None,
        ssl_cert_reqs=2 if options.client_ca else 0,  # ssl.CERT_REQUIRED with a client CA
    )

    class Web(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                ready(announced)

        def handle_exit(self, sig: int, frame: Any) -> None:  # noqa: ANN401, ARG002  # a frame
            # A graceful stop is how a server ends: no signal is re-raised (exit 0). Readiness
            # fails and new tasks are refused at once; running tasks get the grace period (their
            # event streams then end with their last event); only then does uvicorn stop. A
            # second signal stops at once.
            if state.stopping.is_set():
                self.should_exit = self.force_exit = True
                return
            state.stopping.set()

            def drain() -> None:
                interrupted.extend(state.service.runner.shutdown(grace=options.grace))
                self.should_exit = True

            threading.Thread(target=drain, name="hephaestus-drain", daemon=True).start()

    interrupted: list[str] = []
    try:
        with state.metrics.measuring():  # what operations measure, at /metrics
            Web(config).run(sockets=[listener])
    finally:
        state.stopping.set()
        interrupted += state.service.runner.shutdown(grace=0)
        if grpc_server is not None:
            grpc_server.stop(grace=1).wait()
        state.service.runner.store.close()
        state.audit.close()
        if interrupted:
            _log.warning(Event.COMMAND_FAILED, command="serve", interrupted_tasks=len(interrupted))
