"""The one HTTP client factory, and the retry rules every caller shares.

- :func:`create_client` builds an ``httpx.Client``: timeouts, ``User-Agent``, a base URL (GitHub
  Enterprise, test servers), redirects followed. httpx drops ``Authorization`` when a redirect
  leaves the origin, so a token never reaches a download host. Download clients send through
  the standard library's ``http.client`` when no proxy applies (:mod:`hephaestus.core.transport`).
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
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from hephaestus.core.errors import ExternalError, UsageError
from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger
from hephaestus.core.transport import direct_transport, tls_context

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


def user_agent() -> str:
    """Return ``hephaestus/<version>``, the User-Agent of every request."""
    from hephaestus.core.metadata import package_version  # noqa: PLC0415  # only when used

    return f"hephaestus/{package_version()}"


def create_client(
    *,
    base_url: str = "",
    timeout: float = 30.0,
    headers: Mapping[str, str] | None = None,
    direct_downloads: bool = False,
) -> httpx.Client:
    """Return an ``httpx.Client`` with hephaestus' timeouts, User-Agent and redirects.

    ``timeout`` bounds connecting and each read, not a whole download. ``direct_downloads``
    asks for the standard-library transport (:mod:`hephaestus.core.transport`), which reads
    large bodies about 1.5 times as fast; it is used only when the environment names no proxy.
    """
    return httpx.Client(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        headers={"User-Agent": user_agent(), **(headers or {})},
        follow_redirects=True,
        max_redirects=5,
        verify=tls_context(),  # one CA bundle loaded per process, shared with the transport
        transport=direct_transport() if direct_downloads else None,
    )


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
                hint="try again later, or raise --max-retries",
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
                hint="a token raises GitHub's rate limit: pass --token or set GITHUB_TOKEN",
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
) -> httpx.Response:
    """Send ``request`` (read whole), retrying connection errors and retryable statuses.

    Returns the first response that is not retryable (which may be an error status: the caller
    maps it). Raises:
        ExternalError: the server stayed unreachable or kept failing (see :meth:`Retrier.wait`).

    """
    while True:
        try:
            response = client.send(request)
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
