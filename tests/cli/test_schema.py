"""`hephaestus schema`: generated from the live tree, valid JSON at any width, never drifting."""

from __future__ import annotations

import enum
import json
import subprocess
import sys
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import pytest
import typer
from typer.main import get_command

from hephaestus.cli import COMMANDS, app
from hephaestus.core.errors import ExitCode
from hephaestus.schema import SCHEMA_VERSION, AgentSchema

if TYPE_CHECKING:
    from tests.conftest import Cli


def _schema(cli: Cli, *args: str) -> dict[str, Any]:
    out = cli("schema", *args)
    assert out.exit_code == 0, out.stderr
    document: dict[str, Any] = json.loads(out.stdout)
    return document


def _walk(
    command: Any,  # noqa: ANN401  # Typer's own click command objects
    ctx: typer.Context,
    path: tuple[str, ...],
) -> list[tuple[str, Any]]:
    """Every (path, command) below ``command``, read straight from Typer's objects."""
    found = [(" ".join(path), command)]
    for name in getattr(command, "list_commands", lambda _: [])(ctx):
        child = command.get_command(ctx, name)
        found.extend(_walk(child, typer.Context(child, info_name=name, parent=ctx), (*path, name)))
    return found


def _expected_default(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def test_schema_matches_the_typer_tree(cli: Cli) -> None:
    """Every command and parameter of the tree is in the schema: spelling, type, default."""
    document = _schema(cli)
    root = get_command(app)
    tree = _walk(root, typer.Context(root, info_name="hephaestus"), ())
    by_path = {c["path"]: c for c in document["commands"]}
    assert set(by_path) == {path for path, _ in tree if path}
    for path, command in tree:
        params = document["global_options"] if not path else by_path[path]["parameters"]
        visible = [p for p in command.params if not getattr(p, "hidden", False)]
        assert [p["name"] for p in params] == [p.name for p in visible], path
        for spec, param in zip(params, visible, strict=True):
            where = f"{path or '(root)'} {param.name}"
            if param.param_type_name == "argument":
                assert spec["kind"] == "argument", where
                assert spec["metavar"] == param.human_readable_name, where
            else:
                assert spec["flags"] == list(param.opts), where
                assert spec["negative_flags"] == list(param.secondary_opts), where
                assert spec["kind"] == ("flag" if param.is_flag else "option"), where
                assert spec["envvar"] == param.envvar, where
            value = spec["json_schema"]
            if spec["multiple"]:
                assert value["type"] == "array", where
                value = value["items"]
            choices = getattr(param.type, "choices", None)
            if choices is not None and not getattr(param, "is_flag", False):
                assert value["enum"] == [str(_expected_default(c)) for c in choices], where
            if getattr(param, "is_flag", False):
                assert value == {"type": "boolean"}, where
            if hasattr(param.type, "dir_okay"):
                assert value == {"type": "string", "format": "path"}, where
            expected = _expected_default(param.default)
            if spec["multiple"] and expected is None:
                expected = []
            assert spec["default"] == expected, where
            assert spec["required"] == param.required, where


def test_every_command_has_examples_and_output(cli: Cli) -> None:
    """Each leaf command documents its JSON output schema and at least one runnable example."""
    document = _schema(cli)
    for command in document["commands"]:
        if command["kind"] == "command":
            assert command["examples"], command["path"]
            assert all(e.startswith("hephaestus ") for e in command["examples"])
            output = command["output"]
            assert output.get("type") == "object" or len(output.get("anyOf", [])) > 1, output
            assert command["summary"]
            assert command["help"]


def test_schema_top_level(cli: Cli) -> None:
    """The document carries its version, the exit-code table and the error document schema."""
    document = _schema(cli)
    AgentSchema.model_validate(document)
    assert document["schema_version"] == SCHEMA_VERSION
    assert [row["code"] for row in document["exit_codes"]] == [c.value for c in ExitCode]
    assert document["error_output"]["properties"]["error"]
    top = {c["path"] for c in document["commands"] if " " not in c["path"]}
    assert top == {e.name for e in COMMANDS}
    flags = {f for p in document["global_options"] for f in p["flags"]}
    assert {"--format", "--log-format", "--log-level", "--run-id", "--color"} <= flags


def test_schema_describes_choices_and_envvars(cli: Cli) -> None:
    """The --format option is an enum with its default and environment variable."""
    document = _schema(cli)
    (fmt,) = [p for p in document["global_options"] if p["flags"] == ["--format"]]
    assert fmt["json_schema"] == {"type": "string", "enum": ["text", "json"]}
    assert fmt["default"] == "text"
    assert fmt["envvar"] == "HEPHAESTUS_FORMAT"


def test_schema_output_matches_real_json_output(cli: Cli) -> None:
    """The output schema of `version` names exactly the keys `version --format json` prints."""
    output = next(c for c in _schema(cli)["commands"] if c["path"] == "version")["output"]
    printed = json.loads(cli("--format", "json", "version").stdout)
    assert set(output["properties"]) == set(printed)
    assert set(output["required"]) <= set(printed)


def test_schema_narrowed_to_a_command(cli: Cli) -> None:
    """`schema version` describes only that command."""
    document = _schema(cli, "version")
    assert [c["path"] for c in document["commands"]] == ["version"]


def test_schema_unknown_command_is_usage_error(cli: Cli) -> None:
    """Asking for a command that does not exist exits 2 and lists the real ones."""
    out = cli("schema", "nope")
    assert out.exit_code == ExitCode.USAGE
    assert "error: no command 'nope'" in out.stderr
    assert "version" in out.stderr


def test_schema_to_file(cli: Cli, tmp_path: Path) -> None:
    """--output writes the document to a file and prints a receipt (JSON in JSON mode)."""
    target = tmp_path / "schema.json"
    out = cli("--format", "json", "schema", "--output", str(target))
    assert out.exit_code == 0
    receipt = json.loads(out.stdout)
    assert receipt["path"] == str(target)
    assert receipt["commands"] == len(json.loads(target.read_text())["commands"])


def test_schema_unwritable_output(cli: Cli, tmp_path: Path) -> None:
    """An output path in a missing directory is a one-line usage error, not a traceback."""
    out = cli("schema", "--output", str(tmp_path / "missing" / "schema.json"))
    assert out.exit_code == ExitCode.USAGE
    assert out.stderr.startswith("error: cannot write")


@pytest.mark.parametrize("columns", ["20", "300"])
def test_schema_is_valid_json_at_any_width(tmp_path: Path, columns: str) -> None:
    """The installed command prints parseable JSON at COLUMNS=20 and COLUMNS=300."""
    env = {"PATH": str(Path(sys.executable).parent), "COLUMNS": columns, "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "hephaestus", "schema"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["commands"]


def test_operations_come_from_the_registry(cli: Cli) -> None:
    """Every registered operation is described: request and result schemas from its models."""
    from hephaestus.describe import untitled  # noqa: PLC0415
    from hephaestus.registry import OPERATIONS  # noqa: PLC0415

    described = {o["name"]: o for o in _schema(cli)["operations"]}
    assert list(described) == [o.name for o in OPERATIONS]
    for operation in OPERATIONS:
        loaded = operation.load()
        spec = described[operation.name]
        assert spec["input_schema"] == untitled(loaded.request.model_json_schema(mode="validation"))
        assert spec["safety"] == sorted(s.value for s in operation.safety)
        assert spec["hints"]["read_only"] is operation.read_only
        assert spec["hints"]["destructive"] is ("destructive" in spec["safety"])
        assert spec["command"] in {c["path"] for c in _schema(cli)["commands"]}


def test_every_command_names_real_operations(cli: Cli) -> None:
    """A command's ``operations`` are registered, and every operation has its command."""
    document = _schema(cli)
    names = {o["name"] for o in document["operations"]}
    called = {name for c in document["commands"] for name in c["operations"]}
    assert called == names


def test_one_operation_in_full(cli: Cli) -> None:
    """``schema OPERATION`` gives that operation and the command calling it."""
    document = _schema(cli, "cleanup_plan")
    assert [o["name"] for o in document["operations"]] == ["cleanup_plan"]
    assert [c["path"] for c in document["commands"]] == ["cleanup"]


def test_brief_lists_every_operation_within_1000_tokens(cli: Cli) -> None:
    """``schema --brief``: one line per operation, at most 1,000 tokens (characters / 4)."""
    from hephaestus.registry import OPERATIONS  # noqa: PLC0415

    out = cli("schema", "--brief")
    assert out.exit_code == 0
    assert len(out.stdout) / 4 <= 1000
    assert set(json.loads(out.stdout)["operations"]) == {o.name for o in OPERATIONS}


def test_error_codes_are_enumerated(cli: Cli) -> None:
    """The schema lists every documented error code with its meaning."""
    from hephaestus.core.error_codes import ERROR_CODES  # noqa: PLC0415

    assert _schema(cli)["error_codes"] == dict(sorted(ERROR_CODES.items()))


def test_untitled_keeps_a_property_named_title() -> None:
    """Only the ``title`` keyword is dropped, never a property or definition named so."""
    from hephaestus.describe import untitled  # noqa: PLC0415

    schema = {
        "title": "Req",
        "type": "object",
        "properties": {"title": {"title": "Title", "type": "string"}},
        "$defs": {"title": {"title": "T", "enum": ["a"]}},
    }
    assert untitled(schema) == {
        "type": "object",
        "properties": {"title": {"type": "string"}},
        "$defs": {"title": {"enum": ["a"]}},
    }


def test_the_schema_operation_describes_one_or_refuses_an_unknown_name(tmp_path: Path) -> None:
    """The ``schema`` operation (also an MCP tool) names the field of an unknown operation."""
    from hephaestus.core.errors import UsageError  # noqa: PLC0415
    from hephaestus.invoke import call  # noqa: PLC0415
    from hephaestus.schema import BriefSchema, OperationsSchema  # noqa: PLC0415

    one = call("schema", {"operation": "version"}, cwd=tmp_path)
    assert isinstance(one, OperationsSchema)
    assert [o.name for o in one.operations] == ["version"]
    assert isinstance(call("schema", {"brief": True}, cwd=tmp_path), BriefSchema)
    with pytest.raises(UsageError, match="`operation`: no operation 'nope'") as raised:
        call("schema", {"operation": "nope"}, cwd=tmp_path)
    assert raised.value.code == "invalid-request"
