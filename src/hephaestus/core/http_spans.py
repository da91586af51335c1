"""HTTP client spans: a transport wrapper that makes each request a span, when tracing.

Each attempt (a retry, a redirect hop) is a span of its own named after its method, with the
HTTP semantic-convention attributes (``http.request.method``, ``url.full``, ``server.address``,
``server.port``, ``http.response.status_code``); it ends when the body is closed, so a
download's span lasts as long as the download. ``url.full`` never holds credentials: user
information is removed, the values of query parameters that look secret (signatures, tokens,
keys) are replaced, and the rest passes through :func:`~hephaestus.core.logging.redact`. Trace
context is not sent to the server: the hosts hephaestus talks to (GitHub) are not ours.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

import httpx

from hephaestus.core import telemetry
from hephaestus.core.logging import REDACTED, redact

if TYPE_CHECKING:
    from collections.abc import Iterator

_SECRET_PARAMETER: Final = re.compile(
    r"sig|signature|token|key|secret|password|credential|auth|^x-amz-|^x-goog-", re.IGNORECASE
)
"""Query parameters whose value is secret (pre-signed download URLs, API keys)."""
_PORTS: Final = {"http": 80, "https": 443}
_CLIENT_ERROR: Final = 400


def safe_url(url: httpx.URL) -> str:
    """Return ``url`` as it may be recorded: no user information, no secret query values."""
    query = [
        (key, REDACTED if _SECRET_PARAMETER.search(key) else value)
        for key, value in url.params.multi_items()
    ]
    return redact(str(url.copy_with(username=None, password=None, params=query or None)))


class _Ending(httpx.SyncByteStream):
    """A response body that ends its request's span when it is closed."""

    def __init__(self, body: httpx.SyncByteStream, span: telemetry.Span) -> None:
        self._body = body
        self._span = span

    def __iter__(self) -> Iterator[bytes]:
        yield from self._body

    def close(self) -> None:
        """Close the body, then end the span (once)."""
        try:
            self._body.close()
        finally:
            self._span.end()
            self._span = telemetry.NO_SPAN


class TracedTransport(httpx.BaseTransport):
    """Sends through ``transport``; each request is a client span while tracing."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self._transport = transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` in a span of its own; the span ends with the response's body.

        Raises:
            httpx.TransportError: as the wrapped transport raises it (the span records it).

        """
        url = request.url
        span = telemetry.open_span(
            request.method,
            kind="client",
            attributes={
                "http.request.method": request.method,
                "url.full": safe_url(url),
                "server.address": url.host,
                "server.port": url.port or _PORTS.get(url.scheme, 0),
            },
        )
        try:
            response = self._transport.handle_request(request)
        except BaseException as exc:
            span.fail(error_type=f"httpx.{type(exc).__name__}")
            span.end()
            raise
        span.set_attributes({"http.response.status_code": response.status_code})
        if response.status_code >= _CLIENT_ERROR:
            span.fail(error_type=str(response.status_code))
        body = response.stream
        if isinstance(body, httpx.SyncByteStream):
            response.stream = _Ending(body, span)
        else:  # pragma: no cover  # a synchronous transport answers with a synchronous body
            span.end()
        return response

    def close(self) -> None:
        """Close the wrapped transport."""
        self._transport.close()
