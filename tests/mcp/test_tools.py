"""The tool set and its schemas: the default set, the budget, plan_id, compact output schemas."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from hephaestus.describe import describe_operation
from hephaestus.mcp.server import as_mcp_tool
from hephaestus.mcp.tools import (
    BUDGET_TOKENS,
    DEFAULT_TOOLS,
    compact_output_schema,
    offered,
    tool_spec,
)
from hephaestus.registry import OPERATIONS, Safety


def _listing_size(names: list[str]) -> int:
    """Characters of ``tools/list``'s JSON for ``names``, as the wire carries it."""
    from mcp_types import ListToolsResult  # noqa: PLC0415

    tools = [as_mcp_tool(tool_spec(o)) for o in OPERATIONS if o.name in names]
    return len(ListToolsResult(tools=tools).model_dump_json(by_alias=True, exclude_none=True))


def test_the_default_tools_are_registered_and_fit_the_budget() -> None:
    """Every default tool exists in the registry, and listing them costs ≤ 2,000 tokens."""
    names = {o.name for o in OPERATIONS}
    assert set(DEFAULT_TOOLS) <= names
    assert _listing_size(list(DEFAULT_TOOLS)) / 4 <= BUDGET_TOKENS


def test_read_only_offers_only_read_only_operations() -> None:
    """``read_only`` keeps the operations that change nothing, run nothing and call out."""
    chosen = offered(all_tools=True, read_only=True)
    assert chosen
    assert all(o.safety == {Safety.read_only} for o in chosen)
    assert [o.name for o in offered(all_tools=True, read_only=False)] == [
        o.name for o in OPERATIONS
    ]


@pytest.mark.parametrize("operation", [o for o in OPERATIONS if o.twin], ids=lambda o: o.name)
def test_a_destructive_tool_requires_its_plan_id(operation: Any) -> None:  # noqa: ANN401
    """A tool whose twin's dry run returns a plan_id requires it; nothing else changes.

    The rest of the input schema is ``schema``'s.
    """
    spec = tool_spec(operation)
    full = describe_operation(operation).input_schema
    if "plan_id" not in full["properties"]:
        assert not spec.requires_plan
        assert spec.input_schema == full
        return
    assert spec.requires_plan
    assert "plan_id" in spec.input_schema["required"]
    assert {k: v for k, v in spec.input_schema.items() if k != "required"} == {
        k: v for k, v in full.items() if k != "required"
    }


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.name)
def test_compact_output_schemas_are_valid_and_shorter(operation: Any) -> None:  # noqa: ANN401
    """Each compact schema is a valid JSON Schema of an object, no longer than the full one."""
    full = describe_operation(operation).output_schema
    compact = compact_output_schema(full)
    jsonschema.Draft202012Validator.check_schema(compact)
    assert compact["type"] == "object"
    assert "$defs" not in json.dumps(compact)
    assert len(json.dumps(compact)) <= len(json.dumps(full))


NESTED: dict[str, Any] = {
    "$defs": {
        "Inner": {
            "type": "object",
            "properties": {"n": {"type": "integer"}},
            "required": ["n"],
            "additionalProperties": False,
        },
        "Loop": {"$ref": "#/$defs/Loop"},
    },
    "title": "Outer",
    "type": "object",
    "properties": {
        "inner": {"$ref": "#/$defs/Inner", "description": "documented"},
        "either": {"oneOf": [{"$ref": "#/$defs/Inner"}, {"type": "object"}]},
        "loop": {"$ref": "#/$defs/Loop"},
        "never": {"not": {"type": "string"}},
        "kind": {"enum": ["a", "b"]},
    },
    "required": ["inner", "kind"],
}


def test_compaction_relaxes_and_keeps_the_top_level() -> None:
    """Top-level fields keep their types, enums and required list; below, only types stay.

    ``oneOf`` becomes ``anyOf``, and ``not`` or a reference cycle goes.
    """
    compact = compact_output_schema(NESTED)
    assert compact == {
        "type": "object",
        "properties": {
            "inner": {"type": "object"},
            "either": {"anyOf": [{"type": "object"}, {"type": "object"}]},
            "loop": {},
            "never": {},
            "kind": {"enum": ["a", "b"]},
        },
        "required": ["inner", "kind"],
    }
    accepted = {"inner": {"n": 1, "extra": True}, "either": {"n": 1}, "kind": "a", "never": 1}
    jsonschema.validate(accepted, compact)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"inner": {}, "kind": "c"}, compact)


def test_a_union_result_becomes_an_object_schema() -> None:
    """An operation with several result models lists one object schema accepting each."""
    union = {
        "anyOf": [
            {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
            {"type": "object", "properties": {"b": {"type": "string"}}, "required": ["b"]},
        ]
    }
    compact = compact_output_schema(union)
    assert compact["type"] == "object"
    jsonschema.validate({"a": 1}, compact)
    jsonschema.validate({"b": "x"}, compact)
