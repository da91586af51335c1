"""The gRPC server of ``hephaestus serve``: the servicer's RPCs bound to a port, plain or TLS.

The handlers are built from the compiled protos' service descriptors, so that an RPC the protos
declare and the servicer does not implement (or the reverse) stops the server from being built
at all. The server runs each RPC in a worker thread of its own pool; the port is never shared
with another process (``SO_REUSEPORT`` off), so a port in use is an error, not a silent split.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Final

import grpc
from google.protobuf.message_factory import GetMessageClass

from hephaestus.api.grpc.servicer import Servicer
from hephaestus.api.grpc.v1 import analytics_pb2, operations_pb2, tasks_pb2
from hephaestus.core.errors import ExternalError, UsageError
from hephaestus.core.fs import printable_path

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from google.protobuf.descriptor import MethodDescriptor

    from hephaestus.api.state import ServerState

PROTOS: Final = (operations_pb2, analytics_pb2, tasks_pb2)
"""The compiled protos that declare services."""
WORKERS: Final = 16
"""Worker threads of :func:`start_grpc`'s server: RPCs answered at once (a Watch holds one)."""
_HANDLERS: Final = {
    (False, False): grpc.unary_unary_rpc_method_handler,
    (False, True): grpc.unary_stream_rpc_method_handler,
    (True, False): grpc.stream_unary_rpc_method_handler,
    (True, True): grpc.stream_stream_rpc_method_handler,
}
"""(client streams, server streams) -> grpc's handler factory."""


def _handler(function: Callable[[Any, Any], Any], method: MethodDescriptor) -> Any:  # noqa: ANN401  # grpc.RpcMethodHandler
    factory = _HANDLERS[method.client_streaming, method.server_streaming]
    return factory(
        function,
        request_deserializer=GetMessageClass(method.input_type).FromString,
        response_serializer=GetMessageClass(method.output_type).SerializeToString,
    )


def rpc_handlers(
    implementations: Mapping[str, Callable[[Any, Any], Any]],
) -> dict[str, dict[str, Any]]:
    """Return grpc's method handlers by service (full name) and method, from the protos.

    ``implementations`` maps ``Service/Method`` to its function (request, context).

    Raises:
        LookupError: an RPC of the protos has no implementation, or an implementation no RPC.

    """
    left = dict(implementations)
    services: dict[str, dict[str, Any]] = {}
    for proto in PROTOS:
        for service in proto.DESCRIPTOR.services_by_name.values():
            methods: dict[str, Any] = {}
            for method in service.methods:
                function = left.pop(f"{service.name}/{method.name}", None)
                if function is None:
                    msg = f"no implementation of the RPC {method.full_name}"
                    raise LookupError(msg)
                methods[method.name] = _handler(function, method)
            services[service.full_name] = methods
    if left:
        msg = f"implementations of no RPC: {', '.join(sorted(left))}"
        raise LookupError(msg)
    return services


def _credentials(tls: tuple[Path, Path], client_ca: Path | None) -> Any:  # noqa: ANN401  # grpc.ServerCredentials
    """Read the certificate chain, its key and the clients' CA (PEM) into server credentials."""
    try:
        chain, key = (path.read_bytes() for path in tls)
        ca = client_ca.read_bytes() if client_ca is not None else None
    except OSError as exc:
        name = printable_path(exc.filename) if exc.filename else "a TLS file"
        raise UsageError(
            f"cannot read {name}: {exc.strerror or exc}",
            hint="name readable PEM files for the certificate, its key and the client CA",
        ) from exc
    return grpc.ssl_server_credentials(
        [(key, chain)], root_certificates=ca, require_client_auth=ca is not None
    )


def build_grpc_server(  # noqa: PLR0913  # where and how to listen, all keywords
    *,
    servicer: Servicer,
    host: str,
    port: int,
    max_workers: int,
    tls: tuple[Path, Path] | None = None,
    client_ca: Path | None = None,
) -> tuple[grpc.Server, int]:
    """Build a server answering ``servicer``'s RPCs on ``host`` and ``port``; do not start it.

    ``port`` 0 asks for any free port. Without ``tls`` (certificate chain, key: PEM files) the
    port is plain: meant for loopback, or behind a proxy that terminates TLS (which callers
    listening beyond loopback decide). With ``client_ca`` clients must present a certificate
    that CA signed (mutual TLS).

    Returns:
        The server, and the port it is bound to.

    Raises:
        UsageError: ``client_ca`` without ``tls``, or a TLS file cannot be read (exit 2).
        ExternalError: the address cannot be listened on (in use, not local, or the TLS
            certificate or key refused), exit 5.
        LookupError: the servicer and the protos disagree on the RPCs (a bug).

    """
    if client_ca is not None and tls is None:
        raise UsageError(
            "a client CA needs a certificate and key", hint="give the TLS certificate and key"
        )
    credentials = None if tls is None else _credentials(tls, client_ca)
    handlers = rpc_handlers(servicer.implementations())
    server = grpc.server(
        ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="hephaestus-grpc"),
        options=(("grpc.so_reuseport", 0),),
    )
    for name, methods in handlers.items():
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(name, methods),))
        server.add_registered_method_handlers(name, methods)
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        if credentials is None:
            bound = server.add_insecure_port(address)
        else:
            bound = server.add_secure_port(address, credentials)
    except RuntimeError:  # grpc's "Failed to bind"
        bound = 0
    if not bound:
        server.stop(None)
        what = " (or the TLS certificate and key were refused)" if tls is not None else ""
        raise ExternalError(
            f"cannot listen for gRPC on {host} port {port}{what}",
            hint="choose another port, or stop the program listening there",
        )
    return server, bound


def start_grpc(  # noqa: PLR0913  # the server's state, where and how to listen
    state: ServerState,
    *,
    host: str,
    port: int,
    tls: tuple[Path, Path] | None = None,
    client_ca: Path | None = None,
    max_workers: int = WORKERS,
) -> tuple[grpc.Server, int]:
    """Build the server over ``state`` (see :func:`build_grpc_server`) and start it.

    Returns:
        The started server (stop it with ``server.stop(grace)``) and its port.

    Raises:
        UsageError: as :func:`build_grpc_server`.
        ExternalError: as :func:`build_grpc_server`.

    """
    server, bound = build_grpc_server(
        servicer=Servicer.from_state(state),
        host=host,
        port=port,
        max_workers=max_workers,
        tls=tls,
        client_ca=client_ca,
    )
    server.start()
    return server, bound
