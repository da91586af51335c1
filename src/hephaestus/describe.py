"""Describe registered operations for agents: one description that every face shares.

``hephaestus schema`` prints these descriptions, the MCP server lists its tools from them,
and REST will name its routes from them, so the three cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hephaestus.registry import OPERATIONS, Operation, Safety


class Hints(BaseModel):
    """What calling the operation may do, as MCP tool annotations name it."""

    model_config = ConfigDict(frozen=True)

    read_only: bool = Field(description="Changes nothing the user owns (MCP readOnlyHint).")
    destructive: bool = Field(description="May remove or replace files (MCP destructiveHint).")
    idempotent: bool = Field(description="Repeating the call changes nothing more.")
    open_world: bool = Field(description="Talks to a service over the network (openWorldHint).")


class OperationSpec(BaseModel):
    """One operation as agents see it: inputs, output, and what calling it may do."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="Operation (and MCP tool) name, e.g. 'cleanup_plan'.")
    command: str = Field(description="CLI command path that calls it, e.g. 'cleanup'.")
    summary: str = Field(description="One line: what it does.")
    safety: list[Safety] = Field(description="Safety classes, e.g. ['read-only'].")
    hints: Hints
    twin: str | None = Field(
        description="The dry run whose plan_id this destructive operation requires, if any."
    )
    input_schema: dict[str, Any] = Field(description="JSON Schema of the request.")
    output_schema: dict[str, Any] = Field(description="JSON Schema of the result.")


def hints_of(operation: Operation) -> Hints:
    """Turn an operation's safety classes into hints."""
    read_only = operation.read_only
    return Hints(
        read_only=read_only,
        destructive=Safety.destructive in operation.safety,
        idempotent=read_only,
        open_world=Safety.network in operation.safety,
    )


_NAMED = frozenset({"properties", "$defs", "definitions", "patternProperties"})
"""Schema keywords whose keys are names (of properties, of definitions), not keywords."""


def untitled(schema: Any) -> Any:  # noqa: ANN401  # any JSON Schema node
    """Drop pydantic's generated ``title`` keywords: they repeat the names (a tenth of the size).

    Only the keyword goes: a property *named* ``title`` stays.
    """
    if isinstance(schema, list):
        return [untitled(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        key: (
            {name: untitled(value) for name, value in inner.items()}
            if key in _NAMED and isinstance(inner, dict)
            else untitled(inner)
        )
        for key, inner in schema.items()
        if not (key == "title" and isinstance(inner, str))
    }


def input_schema(request: type[BaseModel]) -> dict[str, Any]:
    """Return the JSON Schema of a request model as schema and MCP publish it (no titles)."""
    schema: dict[str, Any] = untitled(request.model_json_schema(mode="validation"))
    return schema


def _output_schema(results: tuple[type[BaseModel], ...]) -> dict[str, Any]:
    if len(results) == 1:
        return results[0].model_json_schema(mode="serialization")
    from functools import reduce  # noqa: PLC0415
    from operator import or_  # noqa: PLC0415

    from pydantic import TypeAdapter  # noqa: PLC0415

    return TypeAdapter(reduce(or_, results)).json_schema(mode="serialization")


def describe_operation(operation: Operation) -> OperationSpec:
    """Describe ``operation`` (imports its request and result models)."""
    loaded = operation.load()
    return OperationSpec(
        name=operation.name,
        command=operation.command,
        summary=operation.summary,
        safety=sorted(operation.safety),
        hints=hints_of(operation),
        twin=operation.twin,
        input_schema=input_schema(loaded.request),
        output_schema=_output_schema(loaded.results),
    )


def describe_operations(*, read_only: bool = False) -> list[OperationSpec]:
    """Describe every registered operation (only the read-only ones with ``read_only``)."""
    return [describe_operation(o) for o in OPERATIONS if o.read_only or not read_only]
