"""The progress relay and its notifier: growing values, totals over phases, heartbeats."""

from __future__ import annotations

import threading

import anyio

from hephaestus.core.progress import Progress
from hephaestus.mcp.progress import RelayProgress, notify_progress

Sent = tuple[float, float | None, str | None]


def test_the_relay_is_a_progress_adding_phases_up() -> None:
    """Units done add up over phases; the total is what the phases planned so far."""
    relay = RelayProgress("starting")
    assert isinstance(relay, Progress)
    assert relay.read().message == "starting"
    relay.start(3)
    relay.advance()
    relay.advance(2)
    relay.start(None)
    relay.advance()
    relay.note("x" * 500)
    reading = relay.read()
    assert (reading.done, reading.total) == (4, None)
    assert reading.message == "x" * 200
    relay.start(2)
    assert (relay.read().done, relay.read().total) == (4, 6)


def test_the_notifier_sends_changes_and_heartbeats_with_growing_values() -> None:
    """A first notification at once, one per change, a heartbeat when nothing changes."""
    relay = RelayProgress("started")
    sent: list[Sent] = []

    async def send(progress: float, total: float | None, message: str | None) -> None:
        sent.append((progress, total, message))

    def work() -> None:  # the operation's thread
        relay.start(2)
        relay.note("one")
        relay.advance()

    async def body() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: notify_progress(relay, send, poll=0.01, heartbeat=0.1))
            await anyio.sleep(0.05)
            thread = threading.Thread(target=work)
            thread.start()
            thread.join()
            await anyio.sleep(0.35)  # nothing changes: heartbeats
            group.cancel_scope.cancel()

    anyio.run(body)
    assert sent[0] == (0.0, None, "started")
    assert (1, 2, "one") in sent
    after = sent[sent.index((1, 2, "one")) + 1 :]
    assert len(after) >= 2  # heartbeats
    assert all(message == "one" for _, _, message in after)
    values = [progress for progress, _, _ in sent]
    assert values == sorted(set(values))
