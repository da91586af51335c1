"""Which operations the MCP server offers as tools, and the schemas it lists them with.

Everything comes from the registry through :mod:`hephaestus.describe`, like ``hephaestus
schema``: a tool's name, description and annotations are its operation's, and its input schema
is the request model's JSON Schema as ``schema`` prints it. One change: a destructive tool whose
dry-run twin returns a ``plan_id`` lists ``plan_id`` as required.

Listing every tool in full would cost an agent's context ~4,000 tokens before it did anything
(a cleanup result schema alone is ~4,000 characters), so two things keep ``tools/list`` under
2,000 tokens (docs/how-to/use-from-an-agent.md):

- **A default tool set** (:data:`DEFAULT_TOOLS`): the operations an agent most needs while it
  works in a repository; the server offers every other operation only when asked to.
- **Compact output schemas** (:func:`compact_output_schema`): the result model's schema without
  titles, descriptions, examples and defaults, with nested objects below the top level reduced
  to their type. It only relaxes the full schema, so every result still validates against it;
  the full one is ``hephaestus schema`` and the resource ``hephaestus://schema/{tool}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from hephaestus.describe import describe_operation
from hephaestus.registry import OPERATIONS

if TYPE_CHECKING:
    from collections.abc import Iterable

    from hephaestus.describe import OperationSpec
    from hephaestus.registry import Operation

DEFAULT_TOOLS: Final = ("guard_rails", "tools_refactor_hotspots", "config")
"""The tools offered by default: check the repository (every quality gate), see where its code
hurts (hotspots), and read the configuration both follow. Everything else in the registry (the
cleanup pair, the fixes, releases, the other analyses) comes when every tool is asked for."""

BUDGET_TOKENS: Final = 2_000
"""Ceiling of the default ``tools/list`` (characters / 4), checked by a test."""

_DOCUMENTATION: Final = frozenset(
    {"title", "description", "examples", "default", "readOnly", "discriminator", "$comment"}
)
"""Keywords that document a value without constraining it (``discriminator`` names ``$defs``)."""


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One operation as an MCP tool: its description and the schemas listed for it."""

    operation: Operation
    spec: OperationSpec
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    requires_plan: bool
    """Whether calls must carry the ``plan_id`` of the twin's dry run."""


def offered(
    *, all_tools: bool, read_only: bool, operations: Iterable[Operation] = OPERATIONS
) -> tuple[Operation, ...]:
    """Return the operations a server offers, in registry order.

    ``read_only`` keeps only the operations that change nothing the user owns, run nothing and
    call no service; ``all_tools`` offers every operation instead of :data:`DEFAULT_TOOLS`.
    """
    return tuple(
        o
        for o in operations
        if (all_tools or o.name in DEFAULT_TOOLS) and (o.read_only or not read_only)
    )


def tool_spec(operation: Operation) -> ToolSpec:
    """Describe ``operation`` as a tool (imports its request and result models)."""
    spec = describe_operation(operation)
    requires_plan = operation.twin is not None and "plan_id" in spec.input_schema.get(
        "properties", {}
    )
    return ToolSpec(
        operation=operation,
        spec=spec,
        input_schema=input_schema(spec, requires_plan=requires_plan),
        output_schema=compact_output_schema(spec.output_schema),
        requires_plan=requires_plan,
    )


def input_schema(spec: OperationSpec, *, requires_plan: bool) -> dict[str, Any]:
    """Return the tool's input schema: ``spec.input_schema``, with ``plan_id`` required if asked."""
    if not requires_plan:
        return spec.input_schema
    required = [r for r in spec.input_schema.get("required", []) if r != "plan_id"]
    return {**spec.input_schema, "required": [*required, "plan_id"]}


def compact_output_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Return ``schema`` reduced to what validating a result needs, at the top level.

    Documentation keywords go; ``$ref`` is inlined; below the top-level properties an object
    keeps only its type (its properties, required list and closing ``additionalProperties``
    go), so the result accepts everything ``schema`` accepts. The root is an object, as MCP
    asks of an output schema.
    """
    definitions: dict[str, Any] = schema.get("$defs", {})
    compact: dict[str, Any] = _shape(schema, definitions, nested=False)
    if compact.get("type") != "object":
        compact = {"type": "object", **compact}
    return compact


def _resolve(node: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    seen: set[str] = set()
    while "$ref" in node:
        name = str(node["$ref"]).rsplit("/", maxsplit=1)[-1]
        if name in seen or name not in definitions:  # a cycle or a foreign reference: anything
            return {}
        seen.add(name)
        node = {**definitions[name], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _shape(node: Any, definitions: dict[str, Any], *, nested: bool) -> Any:  # noqa: ANN401
    """Compact one schema node; ``nested`` once below the top-level properties.

    Every change relaxes: ``oneOf`` becomes ``anyOf`` (relaxed branches may overlap), and the
    keywords whose relaxation would refuse more (``not``, ``if``) are dropped.
    """
    if not isinstance(node, dict):
        return node
    node = _resolve(node, definitions)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DOCUMENTATION or key in _DROPPED or (nested and key in _NESTED_DROPPED):
            continue
        if key == "properties":
            if not nested:
                out[key] = {n: _shape(v, definitions, nested=True) for n, v in value.items()}
        elif key in {"items", "additionalProperties"} and isinstance(value, dict):
            out[key] = _shape(value, definitions, nested=nested)
        elif key in {"anyOf", "oneOf", "allOf", "prefixItems"}:
            name = "anyOf" if key == "oneOf" else key
            out[name] = [_shape(v, definitions, nested=nested) for v in value]
        else:
            out[key] = value
    return out


_DROPPED: Final = frozenset({"$defs", "not", "if", "then", "else"})
_NESTED_DROPPED: Final = frozenset(
    {
        "required",
        "additionalProperties",
        "patternProperties",
        "unevaluatedProperties",
        "dependentRequired",
        "propertyNames",
    }
)
