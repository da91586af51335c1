"""The agent-facing description of hephaestus: operations, commands, exit and error codes.

Operations come from the registry (:mod:`hephaestus.describe`: inputs from the request models,
outputs from the result models, safety hints), commands from the CLI's live command tree
(:mod:`hephaestus.cli.introspect`); this module adds the exit-code and error-code tables and the
error document. Nothing here is written by hand per command or operation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hephaestus.core.error_codes import ERROR_CODES
from hephaestus.core.errors import ExitCode, UsageError, field_ref
from hephaestus.core.request import Request
from hephaestus.describe import OperationSpec  # noqa: TC001  # pydantic reads it

if TYPE_CHECKING:
    from pathlib import Path

    from hephaestus.core.context import Context

SCHEMA_VERSION = "2.0"
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
    operations: list[str] = Field(
        default=[], description="Operations the command calls (see 'operations')."
    )


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


class OperationsSchema(_Frozen):
    """Every operation as every face describes it, with the exit and error codes.

    What the ``schema`` operation returns (to MCP clients too); the CLI's ``hephaestus schema``
    prints it with the command line's own description added (:class:`AgentSchema`).
    """

    schema_version: str = Field(
        default=SCHEMA_VERSION, description="Version of this document's shape."
    )
    tool: str = Field(default="hephaestus", description="Name of the program.")
    version: str = Field(description="Version of hephaestus that produced this document.")
    exit_codes: list[ExitCodeSpec] = Field(description="Every exit status and its meaning.")
    error_codes: dict[str, str] = Field(description="Every error code and its meaning.")
    error_output: dict[str, Any] = Field(description="JSON Schema of the error document.")
    operations: list[OperationSpec] = Field(
        description="Every operation (also an MCP tool): request and result schemas, safety."
    )


class AgentSchema(OperationsSchema):
    """Everything an agent needs to call hephaestus: operations, commands, codes, outputs."""

    usage: str = Field(
        default="hephaestus [GLOBAL OPTIONS] COMMAND [ARGS]...",
        description="Where global options go: before the command (--format also after it).",
    )
    global_options: list[ParameterSpec] = Field(description="Options of the root command.")
    commands: list[CommandSpec] = Field(description="Every command and group, depth first.")


class BriefSchema(_Frozen):
    """``schema --brief``: every operation in one line each, for an agent's first look."""

    schema_version: str = Field(default=SCHEMA_VERSION, description="Version of this shape.")
    version: str = Field(description="Version of hephaestus.")
    more: str = Field(
        default="`hephaestus schema OPERATION` describes one in full (request, result, hints)",
        description="How to get the full description of one operation.",
    )
    exit_codes: dict[str, str] = Field(description="Exit status → name.")
    operations: dict[str, str] = Field(
        description="Operation name → '<CLI command> [<safety>]: <summary>'."
    )


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


def build_operations(*, version: str, operations: list[OperationSpec]) -> OperationsSchema:
    """Assemble the description of ``operations`` with the exit- and error-code tables."""
    return OperationsSchema(
        version=version,
        exit_codes=exit_code_table(),
        error_codes=dict(sorted(ERROR_CODES.items())),
        error_output=output_schema(ErrorDocument),
        operations=operations,
    )


def build_schema(
    operations: OperationsSchema,
    *,
    global_options: list[ParameterSpec],
    commands: list[CommandSpec],
) -> AgentSchema:
    """Add the command line's own description to the operations' (``hephaestus schema``)."""
    return AgentSchema(**dict(operations), global_options=global_options, commands=commands)


def build_brief(*, version: str) -> BriefSchema:
    """List every operation in one line, from the registry alone (no model is imported)."""
    from hephaestus.registry import OPERATIONS  # noqa: PLC0415

    return BriefSchema(
        version=version,
        exit_codes={str(c.value): c.name for c in ExitCode},
        operations={
            o.name: f"{o.command} [{', '.join(sorted(o.safety))}]: {o.summary}" for o in OPERATIONS
        },
    )


class SchemaRequest(Request):
    """Which operations to describe, and how fully."""

    operation: str | None = Field(
        default=None, description="Describe only this operation (default: every one)."
    )
    brief: bool = Field(
        default=False, description="One line per operation instead (under 1,000 tokens)."
    )

    def config_root(self, cwd: Path) -> Path:
        """Return ``cwd``: describing hephaestus reads no configuration and runs no git."""
        return cwd


def describe_schema(request: SchemaRequest, context: Context) -> OperationsSchema | BriefSchema:
    """Describe the registered operations (one of them, or all in one line each).

    Raises:
        UsageError: ``operation`` names no registered operation (exit 2).

    """
    from hephaestus.core.metadata import package_version  # noqa: PLC0415
    from hephaestus.describe import describe_operation  # noqa: PLC0415
    from hephaestus.registry import OPERATIONS  # noqa: PLC0415

    del context
    version = package_version()
    if request.brief:
        return build_brief(version=version)
    chosen = [o for o in OPERATIONS if request.operation in (None, o.name)]
    if not chosen:
        raise UsageError(
            f"{field_ref('operation')}: no operation {request.operation!r}",
            hint="operations: " + ", ".join(o.name for o in OPERATIONS),
            code="invalid-request",
        )
    return build_operations(version=version, operations=[describe_operation(o) for o in chosen])
