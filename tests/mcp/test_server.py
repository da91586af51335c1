"""``hephaestus mcp`` end to end: started as a subprocess, driven by the SDK client.

Over stdio and streamable HTTP, in both protocol eras: the tools are the registry's (names,
input schemas and hints equal to ``hephaestus schema``'s), every read-only tool answers with
structured content valid against its output schema, cleanup runs only its fresh plan and never
leaves the root, ``--read-only`` offers no writing tool, and errors carry code and hint.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import anyio
import jsonschema
import pytest
from mcp.shared.exceptions import MCPError
from tests.gates.seeded import build
from tests.mcp.servers import CONNECTIONS, Mode, Transport, connect, server_log

from hephaestus.describe import describe_operation
from hephaestus.mcp.tools import BUDGET_TOKENS, DEFAULT_TOOLS, compact_output_schema
from hephaestus.registry import OPERATIONS, operation

if TYPE_CHECKING:
    from pathlib import Path

    from mcp.types import CallToolResult

    from mcp import Client

ARGUMENTS: dict[str, dict[str, Any]] = {
    "wheelhouse_verify": {"directory": "wheels"},
    "wheelhouse_sanitize_plan": {"directory": "wheels"},
}
"""Arguments of the read-only tools that need some; the others run with none."""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed repository with debris every default cleanup removes, and a wheelhouse."""
    root = build(
        tmp_path / "repo",
        {
            ".gitignore": "__pycache__/\n.pytest_cache/\n",
            "pyproject.toml": '[project]\nname = "demo"\nversion = "0"\n',
            "src/demo/__init__.py": '"""Demo."""\n',
            "src/demo/core.py": "def one() -> int:\n    return 1\n",
        },
    )
    (root / "src/demo/__pycache__").mkdir()
    (root / "src/demo/__pycache__/core.cpython-311.pyc").write_bytes(b"\0" * 64)
    (root / ".pytest_cache").mkdir()
    (root / ".pytest_cache/README.md").write_text("cache\n")
    (root / "wheels").mkdir()
    return root


def _run(body: Any) -> None:  # noqa: ANN401  # an async callable of no arguments
    anyio.run(body)


@pytest.fixture(scope="module")
def schema_operations(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The operations as ``hephaestus schema`` prints them, by name."""
    done = subprocess.run(
        [sys.executable, "-m", "hephaestus", "schema"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=tmp_path_factory.mktemp("schema"),
    )
    return {o["name"]: o for o in json.loads(done.stdout)["operations"]}


def _expected_input(described: dict[str, Any]) -> dict[str, Any]:
    """``schema``'s input schema; a destructive tool's twin plan_id required."""
    schema: dict[str, Any] = described["input_schema"]
    if described["twin"] is not None and "plan_id" in schema["properties"]:
        schema = {**schema, "required": [*schema.get("required", []), "plan_id"]}
    return schema


def _error(result: CallToolResult) -> dict[str, Any]:
    assert result.is_error, result
    error: dict[str, Any] = result.structured_content["error"]
    assert "Traceback" not in result.content[0].text  # type: ignore[union-attr]
    return error


@pytest.mark.parametrize(("transport", "mode"), CONNECTIONS)
def test_tools_are_the_registry_operations(
    repo: Path, transport: Transport, mode: Mode, schema_operations: dict[str, dict[str, Any]]
) -> None:
    """With every tool: names, summaries, input schemas and hints are ``schema``'s."""

    async def body() -> None:
        async with connect(transport, repo, "--all-tools", mode=mode) as client:
            tools = (await client.list_tools()).tools
        assert [t.name for t in tools] == [o.name for o in OPERATIONS] == list(schema_operations)
        for tool in tools:
            described = schema_operations[tool.name]
            hints = described["hints"]
            assert tool.description == described["summary"]
            assert tool.input_schema == _expected_input(described), tool.name
            assert tool.output_schema == compact_output_schema(described["output_schema"])
            assert tool.annotations is not None
            assert tool.annotations.read_only_hint is hints["read_only"]
            assert tool.annotations.destructive_hint is hints["destructive"]
            assert tool.annotations.idempotent_hint is hints["idempotent"]
            assert tool.annotations.open_world_hint is hints["open_world"]

    _run(body)


def test_the_default_tool_set_fits_the_budget(repo: Path) -> None:
    """Without flags the server lists the default set, in at most 2,000 tokens (chars / 4)."""

    async def body() -> None:
        async with connect("stdio", repo) as client:
            listed = await client.list_tools()
        assert [t.name for t in listed.tools] == [
            o.name for o in OPERATIONS if o.name in DEFAULT_TOOLS
        ]
        assert len(listed.model_dump_json(by_alias=True, exclude_none=True)) / 4 <= BUDGET_TOKENS

    _run(body)


@pytest.mark.parametrize(("transport", "mode"), [("stdio", "auto"), ("http", "legacy")])
def test_every_read_only_tool_returns_valid_structured_content(
    repo: Path, transport: Transport, mode: Mode
) -> None:
    """Each read-only tool answers on a real repository, valid against both output schemas.

    The listed (compact) one and the full one of ``schema``.
    """

    async def body() -> None:
        async with connect(transport, repo, "--all-tools", "--read-only", mode=mode) as client:
            tools = (await client.list_tools()).tools
            assert {t.name for t in tools} == {o.name for o in OPERATIONS if o.read_only}
            for tool in tools:
                result = await client.call_tool(tool.name, ARGUMENTS.get(tool.name, {}))
                assert not result.is_error, (tool.name, result.structured_content)
                assert result.content[0].text.startswith(tool.name)  # type: ignore[union-attr]
                jsonschema.validate(result.structured_content, tool.output_schema or {})
                full = describe_operation(operation(tool.name)).output_schema
                jsonschema.validate(result.structured_content, full)

    _run(body)


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_cleanup_runs_its_fresh_plan_and_refuses_a_stale_one(
    repo: Path, transport: Transport
) -> None:
    """The plan's plan_id removes the debris; once the tree changed, it is refused.

    A stale plan_id is an error (stale-plan) and nothing is removed.
    """
    pyc = repo / "src/demo/__pycache__/core.cpython-311.pyc"

    async def body() -> None:
        async with connect(transport, repo, "--all-tools") as client:
            plan = (await client.call_tool("cleanup_plan", {})).structured_content
            assert plan["candidates"], plan
            (repo / "src/demo/__pycache__/more.pyc").write_bytes(b"\0")
            stale = _error(await client.call_tool("cleanup", {"plan_id": plan["plan_id"]}))
            assert (stale["code"], stale["exit_code"]) == ("stale-plan", 3)
            assert "plan_id" in stale["hint"]
            assert pyc.exists()
            fresh = (await client.call_tool("cleanup_plan", {})).structured_content
            done = await client.call_tool("cleanup", {"plan_id": fresh["plan_id"]})
            assert not done.is_error, done.structured_content
            report = done.structured_content
            assert not pyc.exists()
            assert not (repo / ".pytest_cache").exists()
            assert (repo / "src/demo/core.py").exists()
            index = json.loads((await client.read_resource("hephaestus://audit")).contents[0].text)  # type: ignore[union-attr]
            uri = index["manifests"][0]["uri"]
            manifest = json.loads((await client.read_resource(uri)).contents[0].text)  # type: ignore[union-attr]
            assert manifest["removed"] == report["removed"]

    _run(body)


def test_a_destructive_tool_needs_its_plan_id(repo: Path) -> None:
    """Without plan_id, cleanup is an invalid request naming cleanup_plan; nothing goes."""

    async def body() -> None:
        async with connect("stdio", repo, "--all-tools") as client:
            error = _error(await client.call_tool("cleanup", {}))
        assert (error["code"], error["exit_code"]) == ("invalid-request", 2)
        assert "`plan_id`" in error["message"]
        assert "cleanup_plan" in error["hint"]
        assert (repo / ".pytest_cache").exists()

    _run(body)


@pytest.mark.parametrize(
    "arguments",
    [
        {"extra_paths": ["../outside"], "allow_outside_root": True},
        {"extra_paths": ["../outside"]},
        {"root": "../outside"},
        {"audit_manifest": "../manifest.json"},
    ],
    ids=["allowed-outside", "relative-escape", "root-outside", "manifest-outside"],
)
def test_cleanup_never_leaves_the_root(repo: Path, arguments: dict[str, Any]) -> None:
    """A writing tool given a path outside the root, or leave to go there, is refused."""
    outside = repo.parent / "outside"
    (outside / "__pycache__").mkdir(parents=True)
    (outside / "__pycache__/x.pyc").write_bytes(b"\0")

    async def body() -> None:
        async with connect("stdio", repo, "--all-tools") as client:
            error = _error(await client.call_tool("cleanup", {**arguments, "plan_id": "x"}))
        assert (error["code"], error["exit_code"]) == ("outside-root", 3)
        assert error["hint"]
        assert (outside / "__pycache__/x.pyc").exists()
        assert not (repo.parent / "manifest.json").exists()

    _run(body)


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_read_only_offers_no_writing_tool(repo: Path, transport: Transport) -> None:
    """--read-only lists only read-only tools, and a writing one cannot be called."""

    async def body() -> None:
        async with connect(transport, repo, "--read-only", "--all-tools") as client:
            tools = (await client.list_tools()).tools
            with pytest.raises(MCPError, match="unknown tool 'cleanup'"):
                await client.call_tool("cleanup", {"plan_id": "x"})
        assert tools
        for tool in tools:
            assert operation(tool.name).read_only, tool.name
            assert tool.annotations is not None
            assert tool.annotations.read_only_hint is True
            assert tool.annotations.destructive_hint is False
        assert (repo / ".pytest_cache").exists()

    _run(body)


def test_errors_carry_code_exit_code_and_hint(repo: Path) -> None:
    """An operation's error and a bad argument are error results with code and hint."""

    async def body() -> None:
        async with connect("stdio", repo) as client:
            missing = _error(await client.call_tool("config", {"root": "no-such-directory"}))
            unknown = _error(await client.call_tool("config", {"colour": "red"}))
            mistyped = _error(await client.call_tool("tools_refactor_hotspots", {"limit": "x"}))
        assert (missing["code"], missing["exit_code"]) == ("usage-error", 2)
        assert "no-such-directory" in missing["message"]
        assert missing["hint"]
        for error, field in ((unknown, "colour"), (mistyped, "limit")):
            assert (error["code"], error["exit_code"]) == ("invalid-request", 2)
            assert f"`{field}`" in error["message"]
            assert error["hint"]
        assert "Traceback" not in server_log(repo).read_text()

    _run(body)


def test_resources_say_what_is_missing(repo: Path) -> None:
    """On a fresh repository each state resource says "missing".

    A tool's schema resource is the full one of ``schema``; an unknown resource is an error.
    """

    async def read(client: Client, uri: str) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(
            (await client.read_resource(uri)).contents[0].text  # type: ignore[union-attr]
        )
        return document

    async def body() -> None:
        async with connect("stdio", repo) as client:
            listed = {str(r.uri) for r in (await client.list_resources()).resources}
            documents = {uri: await read(client, uri) for uri in sorted(listed)}
            schema = await read(client, "hephaestus://schema/config")
            with pytest.raises(MCPError, match="no resource"):
                await client.read_resource("hephaestus://audit/../../etc/passwd")
            with pytest.raises(MCPError, match="no resource"):
                await client.read_resource("hephaestus://schema/cleanup")  # not offered
        assert listed == {
            "hephaestus://guard-rails/latest",
            "hephaestus://analytics/latest",
            "hephaestus://audit",
        }
        for uri, document in documents.items():
            assert document["status"] == "missing", uri
            assert document["message"]
            assert document["hint"]
        assert schema == describe_operation(operation("config")).model_dump(mode="json")

    _run(body)
