"""The HTTP client factory and the shared retry rules: backoff, Retry-After, rate limits."""

from __future__ import annotations

import time
from email.utils import formatdate
from typing import TYPE_CHECKING

import httpx
import pytest

from hephaestus.core.errors import ExternalError
from hephaestus.core.http import (
    Retrier,
    RetryPolicy,
    create_client,
    is_retryable,
    send,
    user_agent,
    with_deadline,
)
from hephaestus.core.transport import DEADLINE

if TYPE_CHECKING:
    from tests.release.standin import StandIn

NOW = 1_800_000_000.0


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy variable: requests go through the standard-library transport (deadlines)."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def _policy(sleeps: list[float], **overrides: float) -> RetryPolicy:
    values = {"max_retries": 4, "backoff": 0.5, "max_backoff": 30.0, "max_wait": 120.0}
    values.update(overrides)
    return RetryPolicy(
        max_retries=int(values["max_retries"]),
        backoff=values["backoff"],
        max_backoff=values["max_backoff"],
        max_wait=values["max_wait"],
        sleep=sleeps.append,
        clock=lambda: NOW,
    )


def _response(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers)


def test_retry_after_seconds_is_honoured() -> None:
    """A 429 with Retry-After: 7 waits exactly 7 seconds."""
    sleeps: list[float] = []
    Retrier(_policy(sleeps)).wait(what="x", response=_response(429, **{"Retry-After": "7"}))
    assert sleeps == [7.0]


def test_retry_after_http_date_is_honoured() -> None:
    """Retry-After as an HTTP date waits until that moment."""
    sleeps: list[float] = []
    header = {"Retry-After": formatdate(NOW + 12, usegmt=True)}
    Retrier(_policy(sleeps)).wait(what="x", response=_response(503, **header))
    assert sleeps == [pytest.approx(12.0)]


def test_rate_limit_reset_is_honoured() -> None:
    """A 403 with x-ratelimit-remaining: 0 waits until x-ratelimit-reset (plus a second)."""
    sleeps: list[float] = []
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 30)}
    response = _response(403, **headers)
    assert is_retryable(response)
    Retrier(_policy(sleeps)).wait(what="x", response=response)
    assert sleeps == [31.0]


def test_backoff_is_exponential_with_jitter() -> None:
    """Without server advice the n-th wait is uniform in [0, backoff * 2^(n-1)], capped."""
    sleeps: list[float] = []
    retrier = Retrier(_policy(sleeps, max_retries=6, max_backoff=2.0, max_wait=1e9))
    for _ in range(6):
        retrier.wait(what="x", reason="boom")
    bounds = [0.5, 1.0, 2.0, 2.0, 2.0, 2.0]
    assert all(0 <= s <= b for s, b in zip(sleeps, bounds, strict=True))
    assert len(set(sleeps)) > 1


def test_a_wait_beyond_the_bound_says_when_to_retry() -> None:
    """A server asking for longer than max_wait is an error naming the time to retry."""
    sleeps: list[float] = []
    retrier = Retrier(_policy(sleeps, max_wait=10))
    with pytest.raises(ExternalError, match="retry after 2027-01-15 09:00:00 UTC") as info:
        retrier.wait(what="lookup", response=_response(429, **{"Retry-After": "3600"}))
    assert info.value.code == "rate-limited"
    assert sleeps == []


def test_retries_are_bounded() -> None:
    """After max_retries waits the next failure is an error that counts the attempts."""
    sleeps: list[float] = []
    retrier = Retrier(_policy(sleeps, max_retries=2))
    retrier.wait(what="get", reason="reset")
    retrier.wait(what="get", reason="reset")
    with pytest.raises(ExternalError, match="get: reset, still failing after 3 attempts"):
        retrier.wait(what="get", reason="reset")


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (500, {}, True),
        (502, {}, True),
        (429, {}, True),
        (403, {}, False),
        (403, {"x-ratelimit-remaining": "0"}, True),
        (403, {"retry-after": "5"}, True),
        (404, {}, False),
        (401, {}, False),
        (200, {}, False),
    ],
)
def test_what_is_retried(status: int, headers: dict[str, str], expected: bool) -> None:
    """5xx, 429 and rate-limit 403s are retried; other statuses are answers."""
    assert is_retryable(_response(status, **headers)) is expected


def test_send_retries_then_succeeds(standin: StandIn) -> None:
    """send() retries two 500s from a real server and returns the 200, with our User-Agent."""
    standin.add_release("v1", {"a.whl": b"x"})
    standin.api_faults = ["500", "500"]
    sleeps: list[float] = []
    with create_client(base_url=standin.api_url, timeout=5) as client:
        request = client.build_request("GET", f"/repos/{standin.repository}/releases/latest")
        response = send(client, request, what="lookup", retrier=Retrier(_policy(sleeps)))
    assert response.status_code == 200
    assert len(sleeps) == 2
    assert standin.requests("api")[-1].headers["User-Agent"] == user_agent()


def test_send_gives_up_on_an_unreachable_server() -> None:
    """Connection refused every time: a one-line ExternalError naming the failure."""
    sleeps: list[float] = []
    with create_client(base_url="http://127.0.0.1:9", timeout=1) as client:
        request = client.build_request("GET", "/")
        with pytest.raises(ExternalError, match=r"ConnectError.*still failing after 3 attempts"):
            send(client, request, what="probe", retrier=Retrier(_policy(sleeps, max_retries=2)))
    assert len(sleeps) == 2


def test_real_sleep_is_the_default() -> None:
    """The default policy sleeps for real (time.sleep) and reads the wall clock."""
    policy = RetryPolicy()
    assert policy.sleep is time.sleep
    assert policy.clock is time.time


@pytest.mark.usefixtures("no_proxy")
@pytest.mark.parametrize("fault", ["drip", "drip-head"])
def test_a_dripping_answer_trips_the_whole_request_deadline(standin: StandIn, fault: str) -> None:
    """One byte per 1.5 s never trips a 2 s read timeout; the whole-request deadline does."""
    standin.add_release("v1", {"a.whl": b"x"})
    standin.api_faults = [fault]
    sleeps: list[float] = []
    started = time.monotonic()
    with create_client(base_url=standin.api_url, timeout=2) as client:
        request = client.build_request("GET", f"/repos/{standin.repository}/releases/latest")
        with pytest.raises(ExternalError, match=r"ReadTimeout.*after 1 attempts"):
            send(client, request, what="lookup", retrier=Retrier(_policy(sleeps, max_retries=0)))
    assert time.monotonic() - started < 3.5


@pytest.mark.usefixtures("no_proxy")
def test_a_deadline_is_per_attempt_and_a_retry_succeeds(standin: StandIn) -> None:
    """After a dripping attempt is cut off, the next attempt (a healthy answer) succeeds."""
    standin.add_release("v1", {"a.whl": b"x"})
    standin.api_faults = ["drip-head"]
    sleeps: list[float] = []
    with create_client(base_url=standin.api_url, timeout=1) as client:
        request = client.build_request("GET", f"/repos/{standin.repository}/releases/latest")
        response = send(client, request, what="lookup", retrier=Retrier(_policy(sleeps)))
    assert response.status_code == 200
    assert len(sleeps) == 1


def test_with_deadline_sets_and_clears_the_extension() -> None:
    """with_deadline() marks a monotonic time `seconds` ahead; None removes it."""
    request = httpx.Request("GET", "http://127.0.0.1/")
    before = time.monotonic()
    with_deadline(request, 5)
    assert before + 5 <= request.extensions[DEADLINE] <= time.monotonic() + 5
    with_deadline(request, None)
    assert DEADLINE not in request.extensions
