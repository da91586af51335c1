"""The agent-facing description of every command: the models and how they are assembled.

The CLI layer walks its live command tree into :class:`CommandSpec` values
(:mod:`hephaestus.cli.introspect`); this module adds the exit-code table and the error document
and returns one :class:`AgentSchema`. Nothing here is written by hand per command.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hephaestus.core.errors import ExitCode

SCHEMA_VERSION = "1.0"
"""Bumped on any incompatible change to the shape of :class:`AgentSchema`."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ParameterSpec(_Frozen):
    """One parameter of a command, as typed on the command line."""

    name: str = Field(description="Identifier of the parameter (the Python name).")
    kind: Literal["argument", "option", "flag"] = Field(
        description="Positional argument, option taking a value, or boolean flag."
    )
    flags: list[str] = Field(description="Spellings that set it, e.g. ['--yes', '-y'].")
    negative_flags: list[str] = Field(description="Spellings that unset a flag ('--no-…').")
    metavar: str | None = Field(description="Name of a positional argument, e.g. 'ROOT'.")
    json_schema: dict[str, Any] = Field(description="JSON Schema of the value it takes.")
    default: Any = Field(description="Value used when it is not given (null: none).")
    required: bool
    multiple: bool = Field(description="Whether it may be given more than once.")
    envvar: str | None = Field(description="Environment variable that also sets it.")
    help: str | None


class CommandSpec(_Frozen):
    """One command or command group."""

    path: str = Field(description="Full command path after 'hephaestus', e.g. 'tools qa'.")
    kind: Literal["command", "group"]
    summary: str = Field(description="One-line help.")
    help: str = Field(description="Full help text.")
    parameters: list[ParameterSpec]
    subcommands: list[str] = Field(description="Names of sub-commands of a group.")
    output: dict[str, Any] | None = Field(
        description="JSON Schema of the document printed with --format json (null: none)."
    )
    examples: list[str]


class ExitCodeSpec(_Frozen):
    """One row of the exit-code table."""

    code: int = Field(description="Process exit status.")
    name: str = Field(description="Name of the code, e.g. 'USAGE'.")
    meaning: str = Field(description="When hephaestus exits with it.")


class ErrorInfo(_Frozen):
    """What went wrong, for an agent."""

    code: str = Field(description="Stable identifier, e.g. 'config-error', 'tool-not-found'.")
    exit_code: int = Field(description="The process exit status (see exit_codes).")
    message: str = Field(description="One line saying what went wrong.")
    hint: str | None = Field(description="One line saying what to do about it, if known.")


class ErrorDocument(_Frozen):
    """The one JSON document printed on stdout when a command fails with --format json."""

    error: ErrorInfo = Field(description="What went wrong.")


class AgentSchema(_Frozen):
    """Everything an agent needs to call hephaestus: commands, parameters, outputs, exit codes."""

    schema_version: str = Field(
        default=SCHEMA_VERSION, description="Version of this document's shape."
    )
    tool: str = Field(default="hephaestus", description="Name of the program.")
    version: str = Field(description="Version of hephaestus that produced this document.")
    usage: str = Field(
        default="hephaestus [GLOBAL OPTIONS] COMMAND [ARGS]...",
        description="Where global options go: before the command.",
    )
    global_options: list[ParameterSpec] = Field(description="Options of the root command.")
    exit_codes: list[ExitCodeSpec] = Field(description="Every exit status and its meaning.")
    error_output: dict[str, Any] = Field(description="JSON Schema of the error document.")
    commands: list[CommandSpec] = Field(description="Every command and group, depth first.")


class SchemaWritten(_Frozen):
    """What ``schema --output FILE`` printed instead of the schema."""

    path: str = Field(description="File the schema was written to.")
    commands: int = Field(description="Number of commands described.")


def output_schema(model: type[BaseModel] | tuple[type[BaseModel], ...]) -> dict[str, Any]:
    """Return the JSON Schema of ``model`` (or of any of several) as ``--format json`` prints it."""
    if isinstance(model, tuple):
        from functools import reduce  # noqa: PLC0415
        from operator import or_  # noqa: PLC0415

        from pydantic import TypeAdapter  # noqa: PLC0415

        return TypeAdapter(reduce(or_, model)).json_schema(mode="serialization")
    return model.model_json_schema(mode="serialization")


def exit_code_table() -> list[ExitCodeSpec]:
    """Return the documented exit codes, in order."""
    return [ExitCodeSpec(code=c.value, name=c.name, meaning=c.meaning) for c in ExitCode]


def build_schema(
    *, version: str, global_options: list[ParameterSpec], commands: list[CommandSpec]
) -> AgentSchema:
    """Assemble the agent schema from the command tree's specs."""
    return AgentSchema(
        version=version,
        global_options=global_options,
        exit_codes=exit_code_table(),
        error_output=output_schema(ErrorDocument),
        commands=commands,
    )
