"""``hephaestus serve`` under load, then one stream of a million events: gRPC and REST.

Each server is started as an operator starts it (``python -m hephaestus --format json serve``,
REST and gRPC on free ports of 127.0.0.1, a token with the read, run and write scopes, by the
tests' ``running``) on a small git repository of its own, made in a temporary directory. The
clients run in this process, on the same cores as the server. Events in a store are counted by
``hephaestus --format json tools analytics snapshots``, run in the repository.

(a) load: --clients REST clients at once (asyncio, an ``httpx.AsyncClient`` each, made
    before the clock starts) for --seconds, each repeating a seeded mix: 60 % read-only
    calls (``config``, ``version``: their latency is measured), 25 % NDJSON batches to
    ``POST /v1/analytics/events`` (1-50 events, one in ten with a bad line, each under a
    unique ``Idempotency-Key``, half of the requests streamed; one batch in five is sent again
    after its answer and one in ten twice at once), 10 % task submissions
    (``tools_analytics_ingest`` of 1-5 events, or ``cleanup_plan`` with ``Prefer:
    respond-async``) and 5 % polls of a task. Then every task is waited for. The rate and
    the latency are those of this machine, client and server sharing its cores: the CPU each
    used is shown beside them. Targets (issue 17): no 5xx and no transport error; every task
    succeeds; each key is answered as stored once (a duplicate every other time, with the
    same counts); the events stored equal the ``accepted`` of those answers and of the
    ingestion tasks: none lost, none counted twice.
(b) one stream: --events events, generated as they are sent, over ONE gRPC
    ``Analytics/IngestEvents`` call, then over ONE chunked ``POST /v1/analytics/events``, each
    to a fresh server: wall time, events per second, and the server process's peak RSS
    (``VmHWM``; its idle RSS once ready beside it). Targets: peak RSS < 200 MiB; the answer
    accepts every event and the store grows by exactly --events.

    uv run python benchmarks/serve.py [--clients 200] [--seconds 60] [--events 1000000]
    uv run python benchmarks/serve.py --clients 20 --seconds 5 --events 50000  # a quick run
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

HERE = Path(__file__).resolve().parent
# Run as a script, this file's directory comes first on sys.path, and holds mcp.py, which would
# hide the MCP SDK the tests' helpers import: take it off, and put the repository on instead.
sys.path[:] = [str(HERE.parent), *(p for p in sys.path if Path(p or ".").resolve() != HERE)]

import grpc  # noqa: E402
import httpx  # noqa: E402
from tests.api.servers import TOKENS, make_repo, running  # noqa: E402

from hephaestus.api.grpc.v1 import analytics_pb2, analytics_pb2_grpc  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from tests.api.servers import Server

TOKEN: Final = TOKENS["writer"][0]
HEADERS: Final = {"Authorization": f"Bearer {TOKEN}"}
READS: Final = ("config", "version")
EVENT: Final = (
    '{"source":"bench","kind":"k","value":%d,"unit":"s","timestamp":"2026-01-01T00:00:00Z"}\n'
)
BAD: Final = "not json\n"
MIX: Final = {"read": 0.60, "batch": 0.25, "submit": 0.10, "poll": 0.05}
"""What each load client does next, by weight."""
SHARES: Final = {
    "bad line": 0.1,  # of batches: one line rejected
    "at once": 0.1,  # of batches: sent twice at once
    "after the answer": 0.2,  # of batches: sent again once answered
    "streamed": 0.5,  # of batch requests: a chunked body, cut mid-line
    "ingestion task": 0.6,  # of submissions (the others: cleanup_plan)
}
FINAL: Final = frozenset({"succeeded", "failed", "cancelled", "interrupted"})
TIMEOUT: Final = 120.0
"""Seconds a load request may take: longer is a transport error (and a missed target)."""
STREAM_RATE: Final = 2000
"""Events per second below which a stream is given up (a transport error): 60 s + events / rate."""
RSS_TARGET: Final = 200 * 2**20


@dataclass(slots=True)
class Tally:
    """What the load clients saw (one event loop: no lock needed)."""

    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    problems: dict[int, str] = field(default_factory=dict)
    """The first body answered with each non-2xx status."""
    reads: list[float] = field(default_factory=list)
    batches: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Idempotency key -> (good, bad) lines sent under it."""
    answers: dict[str, list[tuple[int, int, bool]]] = field(default_factory=dict)
    """Idempotency key -> (accepted, rejected_count, duplicate) of each 200 answer."""
    tasks: list[tuple[str, int | None]] = field(default_factory=list)
    """(task id, events it ingests; None for a plan) of each accepted submission."""
    resent: Counter[str] = field(default_factory=Counter)


def _lines(good: int, bad: int, first: int = 0) -> str:
    return "".join(EVENT % n for n in range(first, first + good)) + BAD * bad


def stored_events(root: Path) -> int:
    """Return the events ``root``'s store holds, as ``tools analytics snapshots`` counts them."""
    argv = [sys.executable, "-m", "hephaestus", "--format", "json", "tools", "analytics"]
    done = subprocess.run([*argv, "snapshots"], cwd=root, capture_output=True, check=True)
    return int(json.loads(done.stdout)["events"])


async def _send(  # noqa: PLR0913  # one request, described whole
    http: httpx.AsyncClient,
    tally: Tally,
    method: str,
    path: str,
    *,
    content: bytes | AsyncIterator[bytes] | None = None,
    body: object = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response | None:
    """Send one request; count its status, or its transport error (then return ``None``)."""
    try:
        response = await http.request(method, path, content=content, json=body, headers=headers)
    except httpx.HTTPError as exc:
        tally.errors[type(exc).__name__] += 1
        return None
    tally.statuses[response.status_code] += 1
    if not response.is_success:
        tally.problems.setdefault(response.status_code, response.text[:300])
    return response


async def _read(http: httpx.AsyncClient, tally: Tally, rng: random.Random) -> None:
    started = time.perf_counter()
    response = await _send(http, tally, "POST", f"/v1/operations/{rng.choice(READS)}")
    if response is not None and response.status_code == httpx.codes.OK:
        tally.reads.append(time.perf_counter() - started)


async def _pieces(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 512):  # chunked transfer, cut mid-line
        yield body[start : start + 512]


async def _post_batch(
    http: httpx.AsyncClient, tally: Tally, rng: random.Random, key: str, body: bytes
) -> None:
    headers = {"Idempotency-Key": key, "Content-Type": "application/x-ndjson"}
    content = _pieces(body) if rng.random() < SHARES["streamed"] else body
    response = await _send(
        http, tally, "POST", "/v1/analytics/events", content=content, headers=headers
    )
    if response is not None and response.status_code == httpx.codes.OK:
        report = response.json()
        answer = (report["accepted"], report["rejected_count"], report["duplicate"])
        tally.answers.setdefault(key, []).append(answer)


async def _batch(http: httpx.AsyncClient, tally: Tally, rng: random.Random, key: str) -> None:
    good, bad = rng.randint(1, 50), int(rng.random() < SHARES["bad line"])
    tally.batches[key] = (good, bad)
    body = _lines(good, bad).encode()
    roll = rng.random()
    if roll < SHARES["at once"]:  # one of the two must store, the other find it stored
        tally.resent["at once"] += 1
        await asyncio.gather(*(_post_batch(http, tally, rng, key, body) for _ in "ab"))
        return
    await _post_batch(http, tally, rng, key, body)
    if roll < SHARES["at once"] + SHARES["after the answer"]:  # as if the answer was lost
        tally.resent["after the answer"] += 1
        await _post_batch(http, tally, rng, key, body)


async def _submit(http: httpx.AsyncClient, tally: Tally, rng: random.Random) -> None:
    events: int | None = None
    if rng.random() < SHARES["ingestion task"]:
        events = rng.randint(1, 5)
        path = "/v1/operations/tools_analytics_ingest"
        response = await _send(http, tally, "POST", path, body={"events": _lines(events, 0)})
    else:
        path, prefer = "/v1/operations/cleanup_plan", {"Prefer": "respond-async"}
        response = await _send(http, tally, "POST", path, headers=prefer)
    if response is not None and response.status_code == httpx.codes.ACCEPTED:
        tally.tasks.append((response.json()["id"], events))


async def _poll(http: httpx.AsyncClient, tally: Tally, rng: random.Random) -> None:
    if not tally.tasks:
        return await _submit(http, tally, rng)
    task = rng.choice(tally.tasks[-50:])[0]
    await _send(http, tally, "GET", f"/v1/tasks/{task}")
    return None


async def _client(
    http: httpx.AsyncClient, tally: Tally, *, number: int, seed: int, until: float
) -> None:
    """Repeat the mix until ``until`` (monotonic) over ``http``: one client."""
    rng = random.Random(seed * 100_003 + number)  # noqa: S311  # a seeded mix, not secrets
    run = uuid.uuid4().hex[:12]  # keys unique across runs too
    sent = 0
    while time.monotonic() < until:
        kind = rng.choices(tuple(MIX), weights=tuple(MIX.values()))[0]
        if kind == "batch":
            sent += 1
            await _batch(http, tally, rng, f"bench-{run}-{number}-{sent}")
        else:
            await {"read": _read, "submit": _submit, "poll": _poll}[kind](http, tally, rng)


async def _clients(
    server: Server, tally: Tally, *, clients: int, seed: int, seconds: float
) -> tuple[float, float, float]:
    """Run ``clients`` clients for ``seconds``; return wall, server and client CPU seconds.

    The clients are made before the clock starts, with one TLS context between them: each
    would load the CA bundle itself (45 ms, blocking the event loop; nine seconds for 200).
    """
    context = ssl.create_default_context()
    limits = httpx.Limits(max_connections=2)  # two for a key sent twice at once
    async with contextlib.AsyncExitStack() as stack:
        https = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=server.url,
                    headers=HEADERS,
                    timeout=TIMEOUT,
                    limits=limits,
                    verify=context,
                )
            )
            for _ in range(clients)
        ]
        pid = server.process.pid
        cpu = _cpu(pid), time.process_time()
        started = time.perf_counter()
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(
                _client(http, tally, number=n, seed=seed, until=until)
                for n, http in enumerate(https)
            )
        )
        elapsed = time.perf_counter() - started
        return elapsed, _cpu(pid) - cpu[0], time.process_time() - cpu[1]


async def _drain(url: str, tasks: list[tuple[str, int | None]], seconds: float) -> list[Any]:
    """Wait for every task to end (at most ``seconds``); return their last views."""
    until = time.monotonic() + seconds
    gate = asyncio.Semaphore(20)

    async def last_view(http: httpx.AsyncClient, task: str) -> Any:  # noqa: ANN401  # JSON
        while True:
            async with gate:
                view = (await http.get(f"/v1/tasks/{task}")).json()
            if view["status"] in FINAL or time.monotonic() > until:
                return view
            await asyncio.sleep(0.2)

    async with httpx.AsyncClient(base_url=url, headers=HEADERS, timeout=TIMEOUT) as http:
        return list(await asyncio.gather(*(last_view(http, task) for task, _ in tasks)))


@dataclass(frozen=True, slots=True)
class Load:
    """The figures of (a)."""

    tally: Tally
    elapsed: float
    server_cpu: float
    """CPU-seconds the server process spent while the clients ran."""
    client_cpu: float
    """CPU-seconds this process (the clients) spent meanwhile."""
    views: list[Any]
    stored: int


def _cpu(pid: int) -> float:
    """Return the CPU-seconds (user and system) process ``pid`` has spent."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(base: Path, *, clients: int, seconds: float, seed: int) -> Load:
    """Measure (a) on a fresh server and repository; return what the clients saw."""
    root = make_repo(base / "load")
    tally = Tally()
    with running(root, base / "load-state") as server:
        elapsed, server_cpu, client_cpu = asyncio.run(
            _clients(server, tally, clients=clients, seed=seed, seconds=seconds)
        )
        views = asyncio.run(_drain(server.url, tally.tasks, max(60.0, seconds)))
    return Load(
        tally=tally,
        elapsed=elapsed,
        server_cpu=server_cpu,
        client_cpu=client_cpu,
        views=views,
        stored=stored_events(root),
    )


def _ndjson(events: int, chunk: int) -> Iterator[bytes]:
    """Yield ``events`` event lines, ``chunk`` to a piece, made as they are asked for."""
    for start in range(0, events, chunk):
        yield _lines(min(chunk, events - start), 0, start).encode()


def _status(pid: int) -> dict[str, int]:
    """Return the ``Vm*`` figures of ``/proc/<pid>/status``, in bytes."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {
        k: int(v.split()[0]) * 1024
        for k, _, v in (s.partition(":") for s in lines)
        if k.startswith("Vm") and v.strip().endswith("kB")
    }


def _grpc_stream(address: str, events: int, chunk: int) -> Any:  # noqa: ANN401  # JSON
    timeout = 60 + events / STREAM_RATE
    with grpc.insecure_channel(address) as channel:
        stub = analytics_pb2_grpc.AnalyticsStub(channel)
        pieces = (analytics_pb2.EventChunk(ndjson=piece) for piece in _ndjson(events, chunk))
        reply = stub.IngestEvents(
            pieces, metadata=(("authorization", f"Bearer {TOKEN}"),), timeout=timeout
        )
    return json.loads(reply.report_json)


def _bounded(pieces: Iterator[bytes]) -> Iterator[bytes]:
    """Yield ``pieces``; raise once the stream is too slow (httpx bounds each wait, not all)."""
    sent = 0
    started = time.monotonic()
    for piece in pieces:
        if time.monotonic() - started > 60 + sent / STREAM_RATE:
            msg = f"the REST stream fell below {STREAM_RATE} events/s"
            raise TimeoutError(msg)
        sent += piece.count(b"\n")
        yield piece


def _rest_stream(url: str, events: int, chunk: int) -> Any:  # noqa: ANN401  # JSON
    headers = {**HEADERS, "Content-Type": "application/x-ndjson"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
        response = http.post("/v1/analytics/events", content=_bounded(_ndjson(events, chunk)))
    if response.status_code != httpx.codes.OK:
        raise SystemExit(f"the REST stream was answered {response.status_code}: {response.text}")
    return response.json()


@dataclass(frozen=True, slots=True)
class Stream:
    """The figures of one (b) run."""

    face: str
    seconds: float
    idle: int
    peak: int
    accepted: int
    rejected: int
    stored: int


def stream(base: Path, face: str, *, events: int, chunk: int) -> Stream:
    """Measure (b) over ``face`` (``gRPC`` or ``REST``) on a fresh server and repository."""
    root = make_repo(base / face)
    with running(root, base / f"{face}-state") as server:
        idle = _status(server.process.pid)["VmRSS"]
        started = time.perf_counter()
        if face == "gRPC":
            report = _grpc_stream(server.grpc or "", events, chunk)
        else:
            report = _rest_stream(server.url, events, chunk)
        seconds = time.perf_counter() - started
        peak = _status(server.process.pid)["VmHWM"]
    return Stream(
        face=face,
        seconds=seconds,
        idle=idle,
        peak=peak,
        accepted=report["accepted"],
        rejected=report["rejected_count"],
        stored=stored_events(root),
    )


def _verdict(label: str, figure: str, *, ok: bool) -> bool:
    """Print a target's line; return whether it was missed."""
    print(f"    {label:<52}{figure:>24}  {'met' if ok else 'MISSED'}")
    return not ok


def report_load(run: Load, *, clients: int, seconds: float) -> bool:
    """Print (a); return whether a target was missed."""
    tally = run.tally
    total = sum(tally.statuses.values()) + sum(tally.errors.values())
    served = sum(n for status, n in tally.statuses.items() if httpx.codes.is_server_error(status))
    others = {
        status: n
        for status, n in sorted(tally.statuses.items())
        if not httpx.codes.is_success(status) and not httpx.codes.is_server_error(status)
    }
    print(f"(a) load: {clients} REST clients for {seconds:g} s", end="")
    print(f" ({run.elapsed:.1f} s to the last answer)")
    print(f"    {'requests':<52}{total:>24,}")
    print(f"    {'rate':<52}{total / run.elapsed:>22,.0f}/s")
    cores = f"{run.server_cpu / run.elapsed:.2f} / {run.client_cpu / run.elapsed:.2f}"
    print(f"    {'CPU cores busy: server / clients (this process)':<52}{cores:>24}")
    quantiles = statistics.quantiles(tally.reads, n=100) if len(tally.reads) > 1 else [0.0] * 99
    figures = "/".join(f"{quantiles[q] * 1000:.0f}" for q in (49, 94, 98))
    print(f"    {f'read-only calls ({len(tally.reads):,}): p50/p95/p99 ms':<52}{figures:>24}")
    missed = _verdict("5xx answers (target 0)", f"{served}", ok=served == 0)
    errors = ", ".join(f"{n} {name}" for name, n in tally.errors.items()) or "0"
    missed |= _verdict("transport errors (target 0)", errors, ok=not tally.errors)
    print(f"    {'other non-2xx, by status':<52}{json.dumps(others) if others else 'none':>24}")
    for status, body in sorted(tally.problems.items()):
        print(f"      first {status}: {body}")
    ended = Counter(view["status"] for view in run.views)
    failed = [v.get("error") for v in run.views if v["status"] != "succeeded"][:3]
    missed |= _verdict(
        f"tasks succeeded (of {len(run.views):,})",
        f"{ended['succeeded']:,}",
        ok=ended["succeeded"] == len(run.views),
    )
    for error in failed:
        print(f"      not succeeded: {json.dumps(error)[:300]}")
    keys = _keys(tally)
    resent = ", ".join(f"{n:,} {how}" for how, n in sorted(tally.resent.items()))
    print(f"    {f'batches (sent again: {resent or 0})':<52}{len(tally.batches):>24,}")
    missed |= _verdict(
        "keys stored once, duplicates alike (of answered)",
        f"{keys['right']:,} ok, {keys['wrong']:,} wrong",
        ok=not keys["wrong"],
    )
    accepted = keys["accepted"] + sum(
        view["result"]["accepted"]
        for view, (_, events) in zip(run.views, tally.tasks, strict=True)
        if events is not None and view["status"] == "succeeded"
    )
    missed |= _verdict(
        "events stored = accepted (batches + tasks)",
        f"{run.stored:,} = {accepted:,}",
        ok=run.stored == accepted,
    )
    return missed


def _keys(tally: Tally) -> dict[str, int]:
    """Check each answered key: stored once, duplicates repeat its counts; sum ``accepted``."""
    right = wrong = accepted = 0
    for key, answers in tally.answers.items():
        good, bad = tally.batches[key]
        stored = [a for a in answers if not a[2]]
        ok = len(stored) == 1 and all(a[:2] == (good, bad) for a in answers)
        right, wrong = right + ok, wrong + (not ok)
        accepted += sum(a[0] for a in stored)
    return {"right": right, "wrong": wrong, "accepted": accepted}


def report_streams(runs: list[Stream], *, events: int) -> bool:
    """Print (b); return whether a target was missed."""
    print(f"(b) one stream of {events:,} events, each to a fresh server")
    print(
        f"    {'face':<8}{'wall s':>9}{'events/s':>11}{'idle MiB':>10}{'peak MiB':>10}"
        f"{'accepted':>12}{'stored':>12}"
    )
    for run in runs:
        print(
            f"    {run.face:<8}{run.seconds:>9.1f}{events / run.seconds:>11,.0f}"
            f"{run.idle / 2**20:>10.0f}{run.peak / 2**20:>10.0f}{run.accepted:>12,}"
            f"{run.stored:>12,}"
        )
    missed = False
    for run in runs:
        missed |= _verdict(
            f"{run.face}: server peak RSS < 200 MiB",
            f"{run.peak / 2**20:.0f} MiB",
            ok=run.peak < RSS_TARGET,
        )
        whole = run.accepted == run.stored == events and run.rejected == 0
        missed |= _verdict(
            f"{run.face}: every event accepted and stored once",
            f"{run.stored:,} of {events:,}",
            ok=whole,
        )
    return missed


def main() -> int:
    """Measure, print the figures, and return 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument(
        "--chunk",
        type=int,
        default=1000,
        help="events per streamed piece (a gRPC message must stay under 4 MiB: ~40,000 events)",
    )
    parser.add_argument("--seed", type=int, default=17)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        base = Path(name)
        run = load(base, clients=options.clients, seconds=options.seconds, seed=options.seed)
        missed = report_load(run, clients=options.clients, seconds=options.seconds)
        streams = [
            stream(base, face, events=options.events, chunk=options.chunk)
            for face in ("gRPC", "REST")
        ]
    missed |= report_streams(streams, events=options.events)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
