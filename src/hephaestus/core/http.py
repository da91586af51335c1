"""The one HTTP client factory, and the retry rules every caller shares.

- :func:`create_client` builds an ``httpx.Client``: timeouts, ``User-Agent``, a base URL (GitHub
  Enterprise, test servers), redirects followed. Clients send through the standard library's
  ``http.client`` when no proxy applies (:mod:`hephaestus.core.transport`), which also holds
  each request to a whole-request deadline. When tracing, each request is a client span
  (:mod:`hephaestus.core.http_spans`).
- :class:`Credentials` is the only way a token travels: it is added to a request, on every
  redirect hop, only when the request goes to one of its origins (scheme, host and port), and
  any ``Authorization`` header is removed from a request to any other origin, whether a
  redirect or a URL in an API answer sent it there.
- :class:`Retrier` decides whether and how long to wait before another attempt: exponential
  backoff with full jitter, ``Retry-After`` and GitHub's ``x-ratelimit-reset`` honoured, the total
  wait bounded. A wait beyond the bound is an :class:`ExternalError` that says when to retry.

httpx is imported here; only operations that the CLI loads lazily import this module.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

import httpx

from hephaestus.core import telemetry
from hephaestus.core.errors import ExternalError, UsageError, field_ref
from hephaestus.core.events import Event
from hephaestus.core.http_spans import TracedTransport
from hephaestus.core.logging import get_logger, register_secret
from hephaestus.core.transport import DEADLINE, direct_transport, tls_context

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

_log = get_logger(__name__)
TOO_MANY_REQUESTS = 429
RETRY_STATUSES = frozenset({TOO_MANY_REQUESTS, 500, 502, 503, 504})
"""Statuses worth another attempt; a 403 is retried only when it is a rate limit."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry. ``sleep`` and ``clock`` are replaceable for tests."""

    max_retries: int = 4
    backoff: float = 0.5
    """First backoff in seconds; it doubles per attempt (full jitter), up to ``max_backoff``."""
    max_backoff: float = 30.0
    max_wait: float = 120.0
    """Seconds all waits of one operation may add up to; one longer wait is an error."""
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time


Origin = tuple[str, str, int]
"""Scheme, host and port of a URL: where a request goes, as far as credentials are concerned."""
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def origin_of(url: str | httpx.URL) -> Origin:
    """Return the origin of ``url``: lowercase scheme and host, and the port (default filled in)."""
    parsed = httpx.URL(url) if isinstance(url, str) else url
    scheme = parsed.scheme.lower()
    return scheme, parsed.host.lower(), parsed.port or _DEFAULT_PORTS.get(scheme, 0)


@dataclass(frozen=True, slots=True)
class Credentials:
    """A bearer token and the only origins it may be sent to.

    Use :meth:`for_origins`; pass it to :func:`create_client`, never the token in ``headers``.
    """

    token: str
    origins: frozenset[Origin]

    @classmethod
    def for_origins(cls, token: str, *urls: str) -> Credentials:
        """Credentials for ``token``, sent only to the origins of ``urls``."""
        register_secret(token)  # never shown, whatever message or log it could end up in
        return cls(token=token, origins=frozenset(origin_of(url) for url in urls))

    def apply(self, request: httpx.Request) -> None:
        """Authorise ``request`` if it goes to one of the origins; strip it otherwise.

        An httpx request hook: it runs before every request the client sends, redirect hops
        included, so the decision is made for the URL the bytes actually go to.
        """
        if origin_of(request.url) in self.origins:
            request.headers["Authorization"] = f"Bearer {self.token}"
        else:
            request.headers.pop("Authorization", None)

    def __repr__(self) -> str:
        """Name the origins, never the token."""
        return f"Credentials(origins={sorted(self.origins)!r})"


def user_agent() -> str:
    """Return ``hephaestus/<version>``, the User-Agent of every request."""
    from hephaestus.core.metadata import package_version  # noqa: PLC0415  # only when used

    return f"hephaestus/{package_version()}"


def create_client(
    *,
    base_url: str = "",
    timeout: float = 30.0,
    headers: Mapping[str, str] | None = None,
    credentials: Credentials | None = None,
    direct_downloads: bool = True,
) -> httpx.Client:
    """Return an ``httpx.Client`` with hephaestus' timeouts, User-Agent and redirects.

    ``timeout`` bounds connecting and each read; :func:`send` and :func:`with_deadline` bound
    whole requests. ``credentials`` authorise requests to their origins only (see
    :class:`Credentials`); ``headers`` must not carry any. ``direct_downloads`` (the default)
    asks for the standard-library transport (:mod:`hephaestus.core.transport`), which reads
    large bodies about 1.5 times as fast and enforces deadlines; it is used only when the
    environment names no proxy. ``False`` keeps httpx's own pooled transport.

    Raises:
        ValueError: ``headers`` holds an ``Authorization`` header (use ``credentials``).

    """
    if any(name.lower() == "authorization" for name in headers or {}):
        raise ValueError("pass credentials=, never an Authorization header")
    hooks = {"request": [credentials.apply]} if credentials else {}
    transport: httpx.BaseTransport | None = direct_transport() if direct_downloads else None
    if transport is not None and telemetry.active():  # behind a proxy, httpx's own: untraced
        transport = TracedTransport(transport)
    return httpx.Client(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        headers={"User-Agent": user_agent(), **(headers or {})},
        follow_redirects=True,
        max_redirects=5,
        verify=tls_context(),  # one CA bundle loaded per process, shared with the transport
        transport=transport,
        event_hooks=hooks,
    )


def with_deadline(request: httpx.Request, seconds: float | None) -> httpx.Request:
    """Give ``request`` a whole-request deadline ``seconds`` from now (None: none); return it.

    The standard-library transport holds the connection, the request, the status line,
    the headers and the whole body to it; a server that sends one byte at a time, each in
    time for the read timeout, still ends in ``httpx.ReadTimeout`` when it passes. (Behind a
    proxy httpx's own transport sends, and only the read timeout applies.)
    """
    if seconds is None:
        request.extensions.pop(DEADLINE, None)
    else:
        request.extensions[DEADLINE] = time.monotonic() + seconds
    return request


def is_rate_limited(response: httpx.Response) -> bool:
    """Return whether ``response`` is GitHub's rate limit (a 403 or 429 saying so)."""
    if response.status_code not in {403, 429}:
        return False
    return (
        response.headers.get("x-ratelimit-remaining") == "0"
        or "retry-after" in response.headers
        or response.status_code == TOO_MANY_REQUESTS
    )


def is_retryable(response: httpx.Response) -> bool:
    """Return whether another attempt could succeed: a 5xx, a 429 or a rate-limit 403."""
    return response.status_code in RETRY_STATUSES or is_rate_limited(response)


def _header_wait(headers: httpx.Headers, now: float) -> float | None:
    """Seconds the server asks us to wait (``Retry-After``, then ``x-ratelimit-reset``)."""
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        if retry_after.strip().isdigit():
            return float(retry_after)
        try:
            return max(0.0, parsedate_to_datetime(retry_after).timestamp() - now)
        except (TypeError, ValueError):
            return None
    reset = headers.get("x-ratelimit-reset")
    if headers.get("x-ratelimit-remaining") == "0" and reset and reset.isdigit():
        return max(0.0, float(reset) - now + 1.0)
    return None


@dataclass(slots=True)
class Retrier:
    """Counts attempts and waits of one operation under a :class:`RetryPolicy`."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    attempts: int = 0
    waited: float = 0.0

    def wait(self, *, what: str, response: httpx.Response | None = None, reason: str = "") -> None:
        """Sleep before the next attempt, or raise when no attempt is left.

        Raises:
            ExternalError: retries are exhausted, or the server asks for a longer wait than the
                policy allows (the message says when to try again).

        """
        policy = self.policy
        detail = reason or (f"HTTP {response.status_code}" if response is not None else "failed")
        if self.attempts >= policy.max_retries:
            raise ExternalError(
                f"{what}: {detail}, still failing after {self.attempts + 1} attempts",
                hint=f"try again later, or raise {field_ref('max_retries')}",
                code="http-error",
            )
        self.attempts += 1
        now = policy.clock()
        asked = _header_wait(response.headers, now) if response is not None else None
        if asked is None:
            ceiling = min(policy.max_backoff, policy.backoff * 2 ** (self.attempts - 1))
            delay = random.uniform(0, ceiling)  # noqa: S311  # jitter, not cryptography
        else:
            delay = asked
        if self.waited + delay > policy.max_wait:
            when = datetime.fromtimestamp(now + delay, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            raise ExternalError(
                f"{what}: {detail}; the server asks to wait {delay:.0f} s, retry after {when}",
                hint=f"a token raises GitHub's rate limit: pass {field_ref('token')} or set "
                "GITHUB_TOKEN",
                code="rate-limited",
            )
        self.waited += delay
        _log.info(Event.HTTP_RETRY, what=what, reason=detail, attempt=self.attempts, wait=delay)
        policy.sleep(delay)


def send(
    client: httpx.Client,
    request: httpx.Request,
    *,
    what: str,
    retrier: Retrier,
    deadline: float | None = None,
) -> httpx.Response:
    """Send ``request`` (read whole), retrying connection errors and retryable statuses.

    Each attempt must end within ``deadline`` seconds (default: the client's read timeout),
    from connecting to the last byte of the body. Returns the first response that is not
    retryable (which may be an error status: the caller maps it). Raises:
        ExternalError: the server stayed unreachable, slow or failing (see :meth:`Retrier.wait`).

    """
    seconds = client.timeout.read if deadline is None else deadline
    while True:
        try:
            response = client.send(with_deadline(request, seconds))
        except httpx.TransportError as exc:
            retry_after_error(exc, what=what, retrier=retrier)
            continue
        if not is_retryable(response):
            return response
        retrier.wait(what=what, response=response)


def retry_after_error(exc: httpx.TransportError, *, what: str, retrier: Retrier) -> None:
    """Wait before another attempt after ``exc``, or raise when none could succeed.

    A URL that is not http(s) (a redirect to ``ftp://``, say) fails the same way every time: it
    is an error at once, not a retry.

    Raises:
        ExternalError: ``exc`` cannot pass on retry, or retries are exhausted (exit 5).

    """
    if isinstance(exc, httpx.UnsupportedProtocol):
        raise ExternalError(
            f"{what}: {describe_transport_error(exc)}",
            hint="the server sent us to a URL that is not http:// or https://",
            code="unsupported-url",
        ) from exc
    retrier.wait(what=what, reason=describe_transport_error(exc))


def check_url(url: str, *, name: str) -> str:
    """Return ``url`` if it is an absolute http:// or https:// URL.

    Raises:
        UsageError: it is not (exit 2); ``name`` says which setting it came from.

    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UsageError(
            f"{name} {url!r} is not an http:// or https:// URL",
            hint="e.g. https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise",
        )
    return url


def describe_transport_error(exc: httpx.TransportError) -> str:
    """Name a connection-level failure without its request (no URL query, no header)."""
    kind = type(exc).__name__
    return f"{kind}: {exc}" if str(exc) else kind
