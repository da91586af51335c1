"""OTLP on the wire: encoded requests sent over HTTP/protobuf or gRPC, or printed on stderr.

The SDK's own OTLP/HTTP exporters import ``requests`` and ``urllib3`` (about 0.3 s here, more
than all the rest of telemetry) and retry for ten seconds; a command has 0.2 s to spare at exit.
So hephaestus sends the protobuf requests itself: over ``urllib.request`` (which honours the
proxy variables), or over gRPC with the stubs of ``opentelemetry-proto``. Each exporter reads
the standard variables of its signal (``TRACES`` or ``METRICS``), the signal's own first:
``OTEL_EXPORTER_OTLP_[<SIGNAL>_]ENDPOINT``, ``_PROTOCOL``, ``_HEADERS``, ``_COMPRESSION``
(``gzip``), ``_CERTIFICATE``, ``_CLIENT_KEY``, ``_CLIENT_CERTIFICATE``, ``_INSECURE`` (gRPC).
A failure is an :class:`ExportError` whose message says why, without the request.
"""

from __future__ import annotations

import gzip
import os
import ssl
import sys
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Final, Protocol
from urllib.parse import urlsplit

from opentelemetry.util.re import parse_env_headers

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import grpc
    from google.protobuf.message import Message
    from opentelemetry.proto.common.v1.common_pb2 import KeyValue

_PATHS: Final = {"TRACES": "/v1/traces", "METRICS": "/v1/metrics", "LOGS": "/v1/logs"}
_HTTP_BASE: Final = "http://localhost:4318"
_GRPC_BASE: Final = "http://localhost:4317"
_SUCCESS: Final = range(200, 300)


class ExportError(Exception):
    """An export that did not succeed; the message says why (never what was sent)."""


class Exporter(Protocol):
    """Sends one encoded request of one signal."""

    where: str
    """Where it goes (an endpoint, or ``stderr``)."""

    def send(self, request: Message) -> None:
        """Send ``request``.

        Raises:
            ExportError: it was refused, failed, or not answered in time.

        """


def setting(signal: str, name: str) -> str | None:
    """Return ``OTEL_EXPORTER_OTLP_<signal>_<name>``, else ``OTEL_EXPORTER_OTLP_<name>``."""
    return (
        os.environ.get(f"OTEL_EXPORTER_OTLP_{signal}_{name}")
        or os.environ.get(f"OTEL_EXPORTER_OTLP_{name}")
        or None
    )


def protocol(signal: str) -> str:
    """Return ``grpc`` or ``http/protobuf``: the OTLP protocol ``signal`` is sent with."""
    return (
        "grpc" if (setting(signal, "PROTOCOL") or "").strip().lower() == "grpc" else "http/protobuf"
    )


def _tls(signal: str) -> ssl.SSLContext:
    """Return the TLS context: system trust or ``_CERTIFICATE``; a client certificate if given."""
    context = ssl.create_default_context(cafile=setting(signal, "CERTIFICATE"))
    certificate = setting(signal, "CLIENT_CERTIFICATE")
    if certificate:
        context.load_cert_chain(certificate, setting(signal, "CLIENT_KEY"))
    return context


class HttpExporter:
    """OTLP/HTTP with protobuf bodies, over ``urllib.request``."""

    def __init__(self, signal: str, *, timeout: float) -> None:
        own = os.environ.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
        base = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or _HTTP_BASE
        self.where = own or base.rstrip("/") + _PATHS[signal]
        self._headers = {
            **parse_env_headers(setting(signal, "HEADERS") or "", liberal=True),
            "Content-Type": "application/x-protobuf",
        }
        self._gzip = (setting(signal, "COMPRESSION") or "").strip().lower() == "gzip"
        if self._gzip:
            self._headers["Content-Encoding"] = "gzip"
        self._timeout = timeout
        self._context = _tls(signal) if self.where.startswith("https:") else None

    def send(self, request: Message) -> None:
        """POST the request; any 2xx answer is a success.

        Raises:
            ExportError: no connection, no answer within the timeout, or another status.

        """
        body = request.SerializeToString()
        if self._gzip:
            body = gzip.compress(body)
        post = urllib.request.Request(  # noqa: S310  # the endpoint's scheme is http(s), checked below
            self.where, data=body, headers=self._headers, method="POST"
        )
        if urlsplit(self.where).scheme not in {"http", "https"}:
            raise ExportError(f"{self.where} is not an http:// or https:// endpoint")
        try:
            with urllib.request.urlopen(  # noqa: S310  # http(s), checked above
                post, timeout=self._timeout, context=self._context
            ) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            raise ExportError(f"the collector answered HTTP {exc.code}") from exc
        except (OSError, ValueError) as exc:  # refused, unreachable, timed out, TLS
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise ExportError(f"{type(exc).__name__}: {reason}") from exc
        if status not in _SUCCESS:
            raise ExportError(f"the collector answered HTTP {status}")


class GrpcExporter:
    """OTLP/gRPC, with the service stubs of ``opentelemetry-proto``."""

    def __init__(self, signal: str, *, timeout: float) -> None:
        import grpc  # noqa: PLC0415  # heavy: only for OTEL_EXPORTER_OTLP_PROTOCOL=grpc

        self.where = setting(signal, "ENDPOINT") or _GRPC_BASE
        parts = urlsplit(self.where if "://" in self.where else f"//{self.where}")
        target = parts.netloc or self.where
        insecure = parts.scheme == "http" or (
            parts.scheme != "https" and (setting(signal, "INSECURE") or "").lower() == "true"
        )
        if insecure:
            self._channel = grpc.insecure_channel(target)
        else:
            self._channel = grpc.secure_channel(target, _grpc_credentials(signal))
        self._metadata = tuple(
            parse_env_headers(setting(signal, "HEADERS") or "", liberal=True).items()
        )
        self._compression = (
            grpc.Compression.Gzip
            if (setting(signal, "COMPRESSION") or "").lower() == "gzip"
            else None
        )
        self._timeout = timeout
        self._error = grpc.RpcError
        if signal == "TRACES":
            from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import (  # noqa: PLC0415
                TraceServiceStub,
            )

            self._export = TraceServiceStub(self._channel).Export  # type: ignore[no-untyped-call]
        elif signal == "LOGS":
            from opentelemetry.proto.collector.logs.v1.logs_service_pb2_grpc import (  # noqa: PLC0415
                LogsServiceStub,
            )

            self._export = LogsServiceStub(self._channel).Export  # type: ignore[no-untyped-call]
        else:
            from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2_grpc import (  # noqa: PLC0415
                MetricsServiceStub,
            )

            self._export = MetricsServiceStub(self._channel).Export  # type: ignore[no-untyped-call]

    def send(self, request: Message) -> None:
        """Call ``Export``.

        Raises:
            ExportError: the call failed or did not end within the timeout.

        """
        try:
            self._export(
                request,
                metadata=self._metadata,
                timeout=self._timeout,
                compression=self._compression,
            )
        except self._error as exc:
            code = exc.code() if callable(getattr(exc, "code", None)) else None
            raise ExportError(f"gRPC {getattr(code, 'name', 'error')}") from exc


def _grpc_credentials(signal: str) -> grpc.ChannelCredentials:
    """Return TLS credentials: ``_CERTIFICATE`` as roots, and a client certificate if given."""
    import grpc  # noqa: PLC0415  # heavy: only for gRPC

    def read(name: str) -> bytes | None:
        path = setting(signal, name)
        if not path:
            return None
        with open(path, "rb") as handle:  # noqa: PTH123  # a path from the environment
            return handle.read()

    return grpc.ssl_channel_credentials(
        root_certificates=read("CERTIFICATE"),
        private_key=read("CLIENT_KEY"),
        certificate_chain=read("CLIENT_CERTIFICATE"),
    )


class ConsoleExporter:
    """Writes each request as JSON on stderr (stdout carries the command's data only)."""

    where = "stderr"

    def send(self, request: Message) -> None:
        """Print ``request``."""
        from google.protobuf.json_format import MessageToJson  # noqa: PLC0415  # only for console

        sys.stderr.write(MessageToJson(request) + "\n")
        sys.stderr.flush()


def key_values(items: Mapping[str, object]) -> list[KeyValue]:
    """Encode ``items`` as OTLP attributes (booleans, integers, floats; anything else as text)."""
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue  # noqa: PLC0415

    def value(item: object) -> AnyValue:
        if isinstance(item, bool):
            return AnyValue(bool_value=item)
        if isinstance(item, int):
            return AnyValue(int_value=item)
        if isinstance(item, float):
            return AnyValue(double_value=item)
        return AnyValue(string_value=str(item))

    return [KeyValue(key=key, value=value(item)) for key, item in sorted(items.items())]


def exporters(signal: str, names: Sequence[str], *, timeout: float) -> list[Exporter]:
    """Build the exporters ``names`` ask for ``signal``: ``otlp`` (by protocol) or ``console``."""
    built: list[Exporter] = []
    for name in names:
        if name == "console":
            built.append(ConsoleExporter())
        elif protocol(signal) == "grpc":
            built.append(GrpcExporter(signal, timeout=timeout))
        else:
            built.append(HttpExporter(signal, timeout=timeout))
    return built
