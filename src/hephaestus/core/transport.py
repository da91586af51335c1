"""An httpx transport over the standard library's ``http.client``, for large direct downloads.

httpx's own transport (httpcore and h11) copies every received chunk about three times in user
space; ``http.client`` reads a body straight into one ``bytes`` object per read. Used under an
``httpx.Client``, this transport changes only how bytes travel: redirects (and dropping
``Authorization`` when one leaves the origin), timeouts and status handling stay httpx's.

It opens one connection per request and closes it with the response, speaks HTTP/1.1 only and
knows no proxy: :func:`direct_transport` offers it only when the environment names no proxy
(docs/adr/0009-download-transport.md). Failures are raised as httpx's exceptions, so callers
handle them as for any httpx client.

It also enforces deadlines, which httpx has no notion of: a request whose extensions hold
:data:`DEADLINE` (and :data:`HEAD_DEADLINE`), monotonic times, must be answered by then, whole
(status line and headers by then). Each socket operation waits at most until the nearer of the
read timeout and the deadline, so a server sending a byte now and then cannot stretch a request.
"""

from __future__ import annotations

import http.client
import io
import time
from contextlib import contextmanager
from functools import cache, partial
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.request import getproxies

import httpx

if TYPE_CHECKING:
    import socket
    import ssl
    from collections.abc import Iterator

READ_SIZE: Final = 1 << 20
"""The most bytes one chunk of a body holds (one ``read1``: what one system call received)."""
_PROXY_SCHEMES: Final = ("http", "https", "all")
"""The proxy variables httpx honours (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``)."""
DEADLINE: Final = "hephaestus.deadline"
"""Request extension: the ``time.monotonic()`` by which the whole response must have arrived."""
HEAD_DEADLINE: Final = "hephaestus.head_deadline"
"""Request extension: the ``time.monotonic()`` by which the status line and headers must have."""


class _Deadlines:
    """The deadlines of one request, and whether its head has arrived (then only the whole's)."""

    def __init__(self, whole: float | None, head: float | None) -> None:
        self.whole = whole
        self.head = head
        self.head_done = False

    def due(self) -> float | None:
        """Return the monotonic time the next read must end by, or None for no deadline."""
        times = [t for t in (self.whole, None if self.head_done else self.head) if t is not None]
        return min(times) if times else None

    def budget(self, timeout: float | None) -> float | None:
        """Return the seconds an operation may wait: ``timeout``, less if a deadline is nearer.

        Raises:
            TimeoutError: the deadline has passed.

        """
        due = self.due()
        if due is None:
            return timeout
        left = due - time.monotonic()
        if left <= 0:
            raise TimeoutError("the deadline of the whole request passed")
        return left if timeout is None else min(timeout, left)


class _DeadlineReader(io.RawIOBase):
    """Reads a socket, each read waiting no longer than the read timeout or the deadline."""

    def __init__(self, sock: socket.socket, timeout: float | None, deadlines: _Deadlines) -> None:
        super().__init__()
        self._sock = sock
        self._timeout = timeout
        self._deadlines = deadlines
        self._set: float | None = -1.0  # what the socket's timeout is now (-1: not set yet)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:  # noqa: ANN401  # a writable buffer
        wait = self._deadlines.budget(self._timeout)
        if wait != self._set:  # settimeout costs a system call: only when it changes
            self._sock.settimeout(wait)
            self._set = wait
        try:
            return self._sock.recv_into(buffer)
        except TimeoutError:
            self._deadlines.budget(self._timeout)  # raises if it was the deadline that passed
            raise


class _DeadlineResponse(http.client.HTTPResponse):
    """An ``HTTPResponse`` that reads its socket through a :class:`_DeadlineReader`."""

    def __init__(
        self,
        sock: socket.socket,
        *args: Any,  # noqa: ANN401  # http.client's own arguments
        reader: partial[_DeadlineReader],
        **kwargs: Any,  # noqa: ANN401
    ) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp.close()  # the plain file made for the socket: replaced, the socket stays open
        self.fp = io.BufferedReader(reader(sock))


@cache
def tls_context() -> ssl.SSLContext:
    """Return the process' one TLS client context, made by ``httpx.create_ssl_context()``.

    The trust is httpx's default (certifi's bundle, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` as
    set when it is first made). Loading a CA bundle takes tens of milliseconds, so every client
    and transport shares this one.
    """
    return httpx.create_ssl_context()


def direct_transport() -> StdlibTransport | None:
    """Return a :class:`StdlibTransport` when the environment names no proxy, else None.

    None means httpx's own transport, which routes through the proxy and honours ``NO_PROXY``.
    The choice covers every host, not only the first URL: a download redirects to another host,
    which a proxy may apply to even where it does not apply to the first one.
    """
    proxies = getproxies()
    if "*" in (host.strip() for host in proxies.get("no", "").split(",")):
        return StdlibTransport()  # NO_PROXY=* turns every proxy off, for httpx as for curl
    if any(proxies.get(scheme) for scheme in _PROXY_SCHEMES):
        return None
    return StdlibTransport()


@contextmanager
def _errors_as(
    timeout: type[httpx.TimeoutException],
    failure: type[httpx.TransportError],
    request: httpx.Request,
) -> Iterator[None]:
    """Raise the standard library's network errors as httpx's (``timeout`` or ``failure``)."""
    try:
        yield
    except TimeoutError as exc:
        raise timeout(str(exc) or "timed out", request=request) from exc
    except http.client.HTTPException as exc:  # a malformed answer, a broken chunk, no answer
        raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__, request=request) from exc
    except OSError as exc:  # refused, reset, unreachable, TLS failures
        raise failure(str(exc) or type(exc).__name__, request=request) from exc


class _Body(httpx.SyncByteStream):
    """A response body in chunks of up to :data:`READ_SIZE`; closing it closes the connection.

    Each chunk is one ``read1``: what a single system call received, read straight into a new
    ``bytes``. ``read(n)`` would wait for all ``n`` bytes, leaving the consumer idle meanwhile,
    and would drop the bytes it had gathered when the connection breaks; with ``read1`` every
    byte that arrived is handed on before the error, so a download resumes after it.
    """

    def __init__(
        self,
        connection: http.client.HTTPConnection,
        response: http.client.HTTPResponse,
        request: httpx.Request,
    ) -> None:
        self._connection = connection
        self._response = response
        self._request = request
        self._expected = None if response.chunked else response.length

    def __iter__(self) -> Iterator[bytes]:
        """Yield the body; raise if the connection ends before ``Content-Length`` bytes.

        ``http.client`` itself ends a short body silently: the count here keeps a truncated
        download from looking complete.
        """
        received = 0
        while True:
            with _errors_as(httpx.ReadTimeout, httpx.ReadError, self._request):
                chunk = self._response.read1(READ_SIZE)
            if not chunk:
                break
            received += len(chunk)
            yield chunk
        if self._expected is not None and received < self._expected:
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body: "
                f"received {received} bytes, expected {self._expected}",
                request=self._request,
            )

    def close(self) -> None:
        self._response.close()
        self._connection.close()


class StdlibTransport(httpx.BaseTransport):
    """Sends each request on a new ``http.client`` connection; HTTP/1.1, no proxy, no pool.

    HTTPS is verified with ``context``, by default :func:`tls_context`, the trust of
    hephaestus' httpx clients (certificate chain and host name).
    """

    def __init__(self, *, context: ssl.SSLContext | None = None) -> None:
        self._context = context

    def _connection(self, url: httpx.URL, timeout: float | None) -> http.client.HTTPConnection:
        host = url.raw_host.decode("ascii")  # IDNA-encoded; an IPv6 address without brackets
        if url.scheme == "https":
            port = url.port or 443
            context = self._context or tls_context()
            return http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
        if url.scheme != "http":
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        return http.client.HTTPConnection(host, url.port or 80, timeout=timeout)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``; return the response with its body still to be read.

        Raises:
            httpx.ConnectError, httpx.ConnectTimeout: no connection could be made.
            httpx.WriteError, httpx.WriteTimeout: the request could not be sent.
            httpx.ReadError, httpx.ReadTimeout, httpx.RemoteProtocolError: no valid answer came.

        """
        timeouts = request.extensions.get("timeout", {})
        extensions = request.extensions
        deadlines = _Deadlines(extensions.get(DEADLINE), extensions.get(HEAD_DEADLINE))
        with _errors_as(httpx.ConnectTimeout, httpx.ConnectError, request):
            connect_timeout = deadlines.budget(timeouts.get("connect"))
        connection = self._connection(request.url, connect_timeout)
        if deadlines.due() is not None:
            reader = partial(_DeadlineReader, timeout=timeouts.get("read"), deadlines=deadlines)
            response_class = partial(_DeadlineResponse, reader=reader)  # called like the class
            connection.response_class = cast("type[http.client.HTTPResponse]", response_class)
        try:
            with _errors_as(httpx.ConnectTimeout, httpx.ConnectError, request):
                connection.connect()
            with _errors_as(httpx.WriteTimeout, httpx.WriteError, request):
                connection.sock.settimeout(deadlines.budget(timeouts.get("write")))
                _send(connection, request)
            with _errors_as(httpx.ReadTimeout, httpx.ReadError, request):
                connection.sock.settimeout(deadlines.budget(timeouts.get("read")))
                response = connection.getresponse()
            deadlines.head_done = True
        except BaseException:
            connection.close()
            raise
        return httpx.Response(
            response.status,
            headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.getheaders()],
            stream=_Body(connection, response, request),
            request=request,
            extensions={
                "http_version": b"HTTP/1.1" if response.version == 11 else b"HTTP/1.0",  # noqa: PLR2004
                "reason_phrase": response.reason.encode("latin-1"),
            },
        )


def _send(connection: http.client.HTTPConnection, request: httpx.Request) -> None:
    """Write ``request``: its headers exactly as httpx built them (Host included), then its body."""
    connection.putrequest(
        request.method,
        request.url.raw_path.decode("ascii"),
        skip_host="host" in request.headers,
        skip_accept_encoding=True,  # no header of our own: httpx's say what we accept
    )
    for name, value in request.headers.raw:
        connection.putheader(name, value)
    chunked = "chunked" in request.headers.get("transfer-encoding", "").lower()
    body = request.read()
    connection.endheaders(body if body or chunked else None, encode_chunked=chunked)
