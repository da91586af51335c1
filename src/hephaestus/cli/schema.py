"""``hephaestus schema``: every command, parameter, output and exit code, as one JSON document."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hephaestus.cli.environment import Environment
from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.render import Block, Fields, emit
from hephaestus.core.errors import UsageError
from hephaestus.core.metadata import package_version
from hephaestus.schema import AgentSchema, CommandSpec, SchemaWritten, build_schema

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
    """Build the schema of the live command tree, optionally narrowed to one command path."""
    from hephaestus.cli import app as root_app  # noqa: PLC0415  # the tree this module is in
    from hephaestus.cli.introspect import describe_tree  # noqa: PLC0415

    global_options, commands = describe_tree(root_app)
    return build_schema(
        version=package_version(),
        global_options=global_options,
        commands=_select(commands, words or []),
    )


def _text(written: SchemaWritten) -> list[Block]:
    return [Fields([("schema written to", written.path), ("commands", str(written.commands))])]


@app.command("schema")
@describe(
    output=(AgentSchema, SchemaWritten),
    examples=[
        "hephaestus schema",
        "hephaestus schema version",
        "hephaestus schema --output hephaestus-schema.json",
    ],
)
def schema(
    ctx: typer.Context,
    command: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="COMMAND",
            help="Describe only this command path, e.g. 'version'.",
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
) -> None:
    """Describe every command for agents, as JSON.

    One JSON document: the schema version, the exit-code table, the error document, and for
    every command its path, help, parameters (flags, kind, JSON Schema type, default,
    environment variable), the JSON Schema of its --format json output and examples. It is
    always JSON, whatever --format says. With --output, stdout gets a short receipt instead
    (text, or JSON with --format json).
    """
    env: Environment = ctx.obj
    described = generate(command or [])
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
    emit(env, SchemaWritten(path=str(output), commands=len(described.commands)), _text)
