"""``hephaestus serve`` end to end over REST: the real server as a subprocess, httpx as client."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from tests.api.servers import TOKENS, Server, bearer, make_repo, running
from tests.gitrepo import git

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

TIMING = {"seconds", "plan_seconds", "delete_seconds", "duration"}
"""Fields that measure time: they differ between two runs of anything."""


def _strip(data: Any) -> Any:  # noqa: ANN401  # JSON
    if isinstance(data, dict):
        return {k: _strip(v) for k, v in data.items() if k not in TIMING}
    if isinstance(data, list):
        return [_strip(v) for v in data]
    return data


def cli_json(root: Path, *args: str) -> Any:  # noqa: ANN401  # JSON
    """Run ``hephaestus --format json ARGS`` in ``root``; return its document."""
    completed = subprocess.run(
        [sys.executable, "-m", "hephaestus", "--format", "json", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return json.loads(completed.stdout)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    """One server with tokens on a fresh repository, shared by the module's read-only tests."""
    base = tmp_path_factory.mktemp("serve")
    repo = make_repo(base / "repo")
    with running(repo, base / "state", grpc=False) as server:
        yield server, repo


def client(server: Server, who: str | None = "admin") -> httpx.Client:
    """An httpx client of ``server`` with the test token ``who`` (``None``: no token)."""
    return httpx.Client(base_url=server.url, headers=bearer(who) if who else {}, timeout=60)


def wait_done(http: httpx.Client, task_id: str, timeout: float = 60) -> dict[str, Any]:
    """Poll the task until it has ended; return its view."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view: dict[str, Any] = http.get(f"/v1/tasks/{task_id}").json()
        if view["status"] not in {"queued", "running"}:
            return view
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} did not end in {timeout} s")


@pytest.mark.parametrize(
    ("operation", "body", "argv"),
    [
        ("config", {}, ["config"]),
        ("cleanup_plan", {}, ["cleanup", "--dry-run"]),
        ("cleanup_plan", {"deep_clean": True}, ["cleanup", "--dry-run", "--deep-clean"]),
        ("version", {}, ["version"]),
    ],
)
def test_a_read_only_operation_answers_the_cli_result(
    served: tuple[Server, Path], operation: str, body: dict[str, Any], argv: list[str]
) -> None:
    """A read-only operation over REST answers 200 with the document the CLI prints."""
    server, repo = served
    with client(server) as http:
        response = http.post(f"/v1/operations/{operation}", json=body)
    assert response.status_code == 200, response.text
    assert _strip(response.json()) == _strip(cli_json(repo, *argv))


def test_a_writing_operation_is_a_task_with_the_cli_result(tmp_path: Path) -> None:
    """Cleanup answers 202 and a Location; the finished task holds what the CLI would remove."""
    repo = make_repo(tmp_path / "repo")
    twin = make_repo(tmp_path / "twin")
    with running(repo, tmp_path / "state", grpc=False) as server, client(server, "writer") as http:
        plan = http.post("/v1/operations/cleanup_plan", json={}).json()
        response = http.post("/v1/operations/cleanup", json={"plan_id": plan["plan_id"]})
        assert response.status_code == 202, response.text
        assert response.headers["location"] == f"/v1/tasks/{response.json()['id']}"
        view = wait_done(http, response.json()["id"])
    assert view["status"] == "succeeded", view
    expected = cli_json(twin, "cleanup", "--yes")
    removed = {r["path"].replace(str(repo), "") for r in view["result"]["removed"]}
    assert removed == {r["path"].replace(str(twin), "") for r in expected["removed"]}
    assert not (repo / "pkg" / "__pycache__").exists()
    assert (repo / "pkg" / "__init__.py").exists()


def test_events_stream_the_task_and_resume_after_last_event_id(tmp_path: Path) -> None:
    """The SSE stream ends with the result; Last-Event-ID N replays exactly the events after N."""
    repo = make_repo(tmp_path / "repo")
    with running(repo, tmp_path / "state", grpc=False) as server, client(server) as http:
        plan = http.post("/v1/operations/cleanup_plan", json={}).json()
        task = http.post("/v1/operations/cleanup", json={"plan_id": plan["plan_id"]}).json()
        with http.stream("GET", f"/v1/tasks/{task['id']}/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            text = "".join(stream.iter_text())
        events = [_event(block) for block in text.strip().split("\n\n") if block]
        ids = [int(e["id"]) for e in events]
        assert ids == list(range(1, len(ids) + 1))
        assert events[-1]["event"] == "status"
        assert json.loads(events[-1]["data"]) == {"status": "succeeded"}
        assert any(e["event"] == "result" for e in events)
        resumed = http.get(f"/v1/tasks/{task['id']}/events", headers={"Last-Event-ID": "2"})
        again = [_event(b) for b in resumed.text.strip().split("\n\n") if b]
    assert again == events[2:]


def _event(block: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in block.splitlines():
        if line.startswith(":"):
            continue
        key, _, value = line.partition(": ")
        fields[key] = value
    return fields


@pytest.mark.parametrize(
    ("who", "operation", "body", "status", "code"),
    [
        (None, "config", {}, 401, "unauthenticated"),
        ("reader", "cleanup", {"plan_id": "0" * 32}, 403, "permission-denied"),
        ("reader", "guard_rails", {}, 403, "permission-denied"),
        ("runner", "tools_analytics_ingest", {"events": ""}, 403, "permission-denied"),
        ("admin", "config", {"root": "/"}, 403, "outside-root"),
        ("admin", "cleanup", {}, 422, "invalid-request"),
        ("admin", "config", {"nope": 1}, 422, "invalid-request"),
        ("admin", "nope", {}, 404, "not-found"),
    ],
)
def test_refusals_are_problems_and_audited(  # one row of the table
    served: tuple[Server, Path],
    who: str | None,
    operation: str,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    """A refused call is an RFC 9457 problem with its code, and a line of the audit log."""
    server, _ = served
    with client(server, who) as http:
        response = http.post(f"/v1/operations/{operation}", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == code
    assert problem["type"] == f"urn:hephaestus:error:{code}"
    assert problem["status"] == status
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
    audit = (server.state / "audit.jsonl").read_text().splitlines()
    line = next(json.loads(x) for x in audit if json.loads(x)["request_id"] == problem["instance"])
    assert line["outcome"] == code
    assert line["status"] == status
    assert line["principal"] == ("-" if who is None or operation == "nope" else who)
    assert "heph_" not in "\n".join(audit)


def test_ingestion_counts_lines_and_an_idempotency_key_counts_once(
    served: tuple[Server, Path],
) -> None:
    """NDJSON in: accepted and rejected counts; the same key again stores nothing more."""
    server, repo = served
    good = {
        "source": "ci",
        "kind": "t",
        "value": 1,
        "unit": "s",
        "timestamp": "2026-01-01T00:00:00Z",
    }
    body = "\n".join([json.dumps(good)] * 5 + ["not json", json.dumps(good)]) + "\n"
    headers = {"Idempotency-Key": "batch-1", "Content-Type": "application/x-ndjson"}
    with client(server, "writer") as http:
        first = http.post("/v1/analytics/events", content=body.encode(), headers=headers)
        second = http.post("/v1/analytics/events", content=body.encode(), headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["accepted"] == 6
    assert [r["line"] for r in first.json()["rejected"]] == [6]
    assert second.json()["duplicate"] is True
    assert second.json()["accepted"] == 6
    snapshots = cli_json(repo, "tools", "analytics", "snapshots")
    assert snapshots["events"] == 6


def test_probes_and_metrics(served: tuple[Server, Path]) -> None:
    """Healthz and readyz answer without a token; metrics need one and count requests."""
    server, _ = served
    with (
        client(server, None) as anonymous,
        client(server, "reader") as reader,
        client(server, "writer") as writer,
    ):
        assert anonymous.get("/healthz").json() == {"status": "ok"}
        assert anonymous.get("/readyz").json() == {"status": "ready"}
        assert anonymous.get("/metrics").status_code == 401
        reader.post("/v1/operations/config", json={})
        task = writer.post("/v1/operations/tools_analytics_ingest", json={"events": ""}).json()
        assert wait_done(writer, task["id"])["status"] == "succeeded"
        text = reader.get("/metrics").text
    request_series = 'face="rest",route="/v1/operations/config",status="200"'
    assert f"hephaestus_requests_total{{{request_series}}}" in text
    task_series = 'operation="tools_analytics_ingest",status="succeeded"'
    assert f"hephaestus_task_duration_seconds_count{{{task_series}}} 1.0" in text


def test_the_openapi_document_has_a_route_per_operation(served: tuple[Server, Path]) -> None:
    """Every registered operation is a POST route whose body is its request model."""
    from hephaestus.registry import OPERATIONS  # noqa: PLC0415

    server, _ = served
    with client(server, None) as http:
        document = http.get("/openapi.json").json()
    for op in OPERATIONS:
        route = document["paths"][f"/v1/operations/{op.name}"]["post"]
        assert route["operationId"] == op.name
    assert "bearerAuth" in json.dumps(document) or "HTTPBearer" in json.dumps(document)


def test_a_root_outside_the_configured_roots_is_refused(tmp_path: Path) -> None:
    """A second configured root is accepted; a directory beside them is 403."""
    repo, other, beside = (make_repo(tmp_path / n) for n in ("repo", "other", "beside"))
    git(beside, "status")
    state = tmp_path / "state"
    with running(repo, state, grpc=False, extra_roots=(other,)) as server, client(server) as http:
        ok = http.post("/v1/operations/config", params={}, json={"root": str(other)})
        refused = http.post("/v1/operations/config", json={"root": str(beside)})
        schema = http.post("/v1/operations/version", params={"root": str(beside)})
    assert ok.status_code == 200, ok.text
    assert ok.json()["root"] == str(other)
    assert refused.status_code == 403
    assert schema.status_code == 403


def test_stalled_uploads_never_take_every_worker(tmp_path: Path) -> None:
    """Uploads that stall hold at most UPLOADS slots: one more is 503, other calls still answer."""
    from hephaestus.api.service import UPLOADS  # noqa: PLC0415
    from hephaestus.mcp.server import listen  # noqa: PLC0415

    with listen("127.0.0.1", 0) as probe:  # answers arrive at once: no Nagle delay
        assert probe.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    repo = make_repo(tmp_path / "repo")
    with running(repo, tmp_path / "state", grpc=False) as server, client(server, "writer") as http:
        host, port = server.url.removeprefix("http://").split(":")
        head = (
            "POST /v1/analytics/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            f'Authorization: Bearer {TOKENS["writer"][0]}\r\n\r\n5\r\n{{"a":\r\n'
        )
        stalled: list[socket.socket] = []
        try:
            while (busy := http.post("/v1/analytics/events", content=b"")).status_code != 503:
                assert len(stalled) <= UPLOADS + 4, busy.text  # a stall that holds no slot
                connection = socket.create_connection((host, int(port)))
                stalled.append(connection)
                connection.sendall(head.encode())
                time.sleep(0.3)  # its body has started: it holds a slot now
            assert len(stalled) >= UPLOADS
            assert busy.json()["code"] == "server-busy"
            assert http.post("/v1/operations/version", json={}).status_code == 200
        finally:
            for connection in stalled:
                connection.close()
        deadline = time.monotonic() + 30
        while http.post("/v1/analytics/events", content=b"").status_code != 200:
            assert time.monotonic() < deadline, "the slots were not freed"
            time.sleep(0.1)
