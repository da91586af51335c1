"""One server, three faces: REST, gRPC and MCP give the CLI's result, with the same tokens.

The real server runs as a subprocess on 127.0.0.1; the clients are the real ones: httpx, a
grpcio channel with the generated stubs, the MCP SDK's client over streamable HTTP.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import anyio
import grpc
import httpx
import pytest
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from tests.api.servers import TOKENS, Server, bearer, make_repo, running
from tests.api.test_serve_rest import TIMING, _strip, cli_json

from hephaestus.api.grpc.v1.call_pb2 import NamedOperationRequest, OperationRequest
from hephaestus.api.grpc.v1.operations_pb2_grpc import CleanupStub, OperationsStub
from mcp import Client

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    """One server (REST, gRPC, MCP) with tokens on a fresh repository."""
    base = tmp_path_factory.mktemp("faces")
    repo = make_repo(base / "repo")
    with running(repo, base / "state") as server:
        yield server, repo


def metadata(who: str) -> tuple[tuple[str, str], ...]:
    """GRPC call metadata carrying the test token ``who``."""
    return (("authorization", f"Bearer {TOKENS[who][0]}"),)


def grpc_call(server: Server, operation: str, fields: dict[str, Any], who: str = "admin") -> Any:  # noqa: ANN401  # JSON
    """Call ``operation`` through Operations/Call; return the result's JSON."""
    assert server.grpc is not None
    with grpc.insecure_channel(server.grpc) as channel:
        reply = OperationsStub(channel).Call(
            NamedOperationRequest(
                operation=operation,
                request=OperationRequest(arguments_json=json.dumps(fields).encode()),
            ),
            metadata=metadata(who),
            timeout=60,
        )
    return json.loads(reply.result_json)


@pytest.mark.parametrize(
    ("operation", "argv"),
    [
        ("config", ["config"]),
        ("cleanup_plan", ["cleanup", "--dry-run"]),
        ("version", ["version"]),
        ("tools_refactor_hotspots", ["tools", "refactor", "hotspots"]),
        ("tools_refactor_coupling", ["tools", "refactor", "coupling"]),
        ("tools_analytics_snapshots", ["tools", "analytics", "snapshots"]),
        ("tools_qa_profile", ["tools", "qa", "profile"]),
    ],
)
def test_rest_grpc_and_the_cli_give_one_result(
    served: tuple[Server, Path], operation: str, argv: list[str]
) -> None:
    """The same read-only operation through REST, gRPC and the CLI: one result."""
    server, repo = served
    with httpx.Client(base_url=server.url, headers=bearer("reader"), timeout=60) as http:
        rest = http.post(f"/v1/operations/{operation}", json={}).json()
    over_grpc = grpc_call(server, operation, {}, who="reader")
    assert _stable(rest) == _stable(over_grpc) == _stable(cli_json(repo, *argv))


def _stable(data: Any) -> Any:  # noqa: ANN401  # JSON
    """Return ``data`` without what differs between two calls of one analysis.

    That is its timings, the number of the snapshot it stored, how many commits it had to fetch
    (only the first call fetches), and the start of its window (now minus the window's length).
    """
    if isinstance(data, dict):
        # history: the scores of earlier snapshots, and each call stores one more
        drop = TIMING | {"snapshot", "fetched", "since", "history"}
        return {k: _stable(v) for k, v in data.items() if k not in drop}
    if isinstance(data, list):
        return [_stable(v) for v in data]
    return data


def test_the_typed_rpc_answers_as_the_generic_one(served: tuple[Server, Path]) -> None:
    """Cleanup/Plan is the registry's cleanup_plan, as Operations/Call reaches it."""
    server, _ = served
    assert server.grpc is not None
    with grpc.insecure_channel(server.grpc) as channel:
        reply = CleanupStub(channel).Plan(
            OperationRequest(arguments_json=b"{}"), metadata=metadata("reader"), timeout=60
        )
    assert _strip(json.loads(reply.result_json)) == _strip(grpc_call(server, "cleanup_plan", {}))


@pytest.mark.parametrize(
    ("who", "operation", "code"),
    [
        (None, "config", grpc.StatusCode.UNAUTHENTICATED),
        ("nobody", "config", grpc.StatusCode.UNAUTHENTICATED),
        ("reader", "guard_rails", grpc.StatusCode.PERMISSION_DENIED),
        ("runner", "cleanup", grpc.StatusCode.PERMISSION_DENIED),
    ],
)
def test_grpc_refusals_have_their_status_and_are_audited(
    served: tuple[Server, Path], who: str | None, operation: str, code: grpc.StatusCode
) -> None:
    """No token or an unknown one: UNAUTHENTICATED; a missing scope: PERMISSION_DENIED."""
    server, _ = served
    assert server.grpc is not None
    if who is None:
        sent: tuple[tuple[str, str], ...] = ()
    elif who == "nobody":
        sent = (("authorization", "Bearer heph_not-a-token-of-this-server"),)
    else:
        sent = metadata(who)
    with grpc.insecure_channel(server.grpc) as channel, pytest.raises(grpc.RpcError) as caught:
        OperationsStub(channel).Call(
            NamedOperationRequest(operation=operation, request=OperationRequest()),
            metadata=sent,
            timeout=60,
        )
    error: Any = caught.value
    assert error.code() == code
    trailing = dict(error.trailing_metadata())
    lines = [json.loads(x) for x in (server.state / "audit.jsonl").read_text().splitlines()]
    line = next(x for x in lines if x["request_id"] == trailing["hephaestus-request-id"])
    assert line["face"] == "grpc"
    assert line["status"] == code.name
    assert line["outcome"] == trailing["hephaestus-error-code"]


def test_the_mcp_endpoint_takes_the_same_tokens(served: tuple[Server, Path]) -> None:
    """/mcp: the SDK client with a writer token lists and calls tools; no token is a 401."""
    server, repo = served

    async def body() -> tuple[list[str], Any]:
        async with (
            create_mcp_http_client(headers=bearer("writer")) as http,
            Client(streamable_http_client(f"{server.url}/mcp", http_client=http)) as mcp,
        ):
            tools = [t.name for t in (await mcp.list_tools()).tools]
            result = await mcp.call_tool("config", {})
        return tools, result.structured_content

    tools, config = anyio.run(body)
    assert "config" in tools
    assert "guard_rails" in tools
    assert _strip(config) == _strip(cli_json(repo, "config"))
    with httpx.Client(timeout=30) as http:
        anonymous = http.post(f"{server.url}/mcp", json={})
        reader = http.post(f"{server.url}/mcp", json={}, headers=bearer("reader"))
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert reader.status_code == 403
    # The MCP face writes its audit line once the answer is sent: it may lag the response.
    deadline = time.monotonic() + 10
    wanted = {"writer", "reader", "-"}
    while True:
        text = (server.state / "audit.jsonl").read_text()
        lines = [json.loads(x) for x in text.splitlines()]
        principals = {x["principal"] for x in lines if x["face"] == "mcp"}
        if principals >= wanted or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert principals >= wanted
