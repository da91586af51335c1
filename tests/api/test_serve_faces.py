"""One server, three faces: REST, gRPC and MCP give the CLI's result, with the same tokens.

The real server runs as a subprocess on 127.0.0.1; the clients are the real ones: httpx, a
grpcio channel with the generated stubs, the MCP SDK's client over streamable HTTP.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import grpc
import httpx
import pytest
from tests.api.servers import TOKENS, Server, bearer, make_repo, running
from tests.api.test_serve_rest import TIMING, cli_json

from hephaestus.api.grpc.v1.call_pb2 import NamedOperationRequest, OperationRequest
from hephaestus.api.grpc.v1.operations_pb2_grpc import OperationsStub

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
        drop = TIMING | {"snapshot", "fetched", "since"}
        return {k: _stable(v) for k, v in data.items() if k not in drop}
    if isinstance(data, list):
        return [_stable(v) for v in data]
    return data
