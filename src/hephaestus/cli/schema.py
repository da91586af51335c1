"""``hephaestus schema``: every command, parameter, output and exit code, as one JSON document."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hephaestus.cli.environment import Environment
from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.operation import invoke
from hephaestus.cli.render import Block, Fields, emit
from hephaestus.core.errors import UsageError
from hephaestus.registry import OPERATIONS
from hephaestus.schema import (
    AgentSchema,
    BriefSchema,
    CommandSpec,
    OperationsSchema,
    SchemaWritten,
    build_schema,
)

app = command_app()


def _select(commands: list[CommandSpec], words: list[str]) -> list[CommandSpec]:
    if not words:
        return commands
    prefix = " ".join(words)
    chosen = [c for c in commands if c.path == prefix or c.path.startswith(prefix + " ")]
    if not chosen:
        known = ", ".join(c.path for c in commands if " " not in c.path)
        raise UsageError(f"no command {prefix!r}", hint=f"commands: {known}")
    return chosen


def generate(words: list[str] | None = None) -> AgentSchema:
    """Build the schema: every operation and command, or one operation, or one command path."""
    from hephaestus.cli import app as root_app  # noqa: PLC0415  # the tree this module is in
    from hephaestus.cli.introspect import describe_tree  # noqa: PLC0415
    from hephaestus.invoke import call  # noqa: PLC0415

    words = words or []
    global_options, commands = describe_tree(root_app)
    named = len(words) == 1 and any(o.name == words[0] for o in OPERATIONS)
    described = call("schema", {"operation": words[0] if named else None}, cwd=Path.cwd())
    if not isinstance(described, OperationsSchema):  # pragma: no cover  # not brief: full
        msg = f"schema returned a {type(described).__name__}"
        raise TypeError(msg)
    if named:
        chosen = [c for c in commands if words[0] in c.operations]
    else:
        chosen = _select(commands, words)
        paths = {c.path for c in chosen}
        kept = [o for o in described.operations if not words or o.command in paths]
        described = described.model_copy(update={"operations": kept})
    return build_schema(described, global_options=global_options, commands=chosen)


def _text(written: SchemaWritten) -> list[Block]:
    return [Fields([("schema written to", written.path), ("commands", str(written.commands))])]


@app.command("schema")
@describe(
    output=(AgentSchema, BriefSchema, SchemaWritten),
    examples=[
        "hephaestus schema --brief",
        "hephaestus schema cleanup_plan",
        "hephaestus schema version",
        "hephaestus schema --output hephaestus-schema.json",
    ],
)
def schema(
    ctx: typer.Context,
    command: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="OPERATION|COMMAND",
            help="Describe only this operation (e.g. cleanup_plan) or command path (e.g. "
            "'tools qa').",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the schema to FILE instead of stdout.",
            dir_okay=False,
            writable=True,
        ),
    ] = None,
    brief: Annotated[
        bool,
        typer.Option("--brief", help="One line per operation (under 1,000 tokens)."),
    ] = False,
) -> None:
    """Describe every command for agents, as JSON.

    One JSON document: the schema version, the exit-code and error-code tables, the error
    document; every operation (the MCP tools) with the JSON Schema of its request and result
    and its safety hints; and every command with its path, help, parameters (flags, kind,
    JSON Schema type, default, environment variable), the JSON Schema of its --format json
    output, examples and the operations it calls. --brief lists the operations in one line
    each. It is always JSON, whatever --format says. With --output, stdout gets a short
    receipt instead (text, or JSON with --format json).
    """
    env: Environment = ctx.obj
    described: AgentSchema | BriefSchema
    if brief:
        described = invoke(ctx, "schema", {"brief": True}, BriefSchema)
        count = len(described.operations)
    else:
        described = generate(command or [])
        count = len(described.commands)
    document = described.model_dump_json(indent=2) + "\n"
    if output is None:
        env.stdout.write(document)
        env.stdout.flush()
        return
    try:
        output.write_text(document, encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"cannot write {output}: {exc.strerror}", hint="choose a writable path"
        ) from exc
    emit(env, SchemaWritten(path=str(output), commands=count), _text)
