"""Walk the live Typer command tree into :mod:`hephaestus.schema` specs.

This is the only place that reads Typer's parameter objects, so the schema cannot drift from
what the parser actually accepts.
"""

from __future__ import annotations

import enum
import inspect
from pathlib import PurePath
from typing import Any

import typer
from typer.main import get_command

from hephaestus.cli.meta import read_meta
from hephaestus.registry import for_command
from hephaestus.schema import CommandSpec, ParameterSpec, output_schema

_SIMPLE = {
    "int": {"type": "integer"},
    "int range": {"type": "integer"},
    "float": {"type": "number"},
    "float range": {"type": "number"},
    "boolean": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
    "uuid": {"type": "string", "format": "uuid"},
    "filename": {"type": "string", "format": "path"},
}


def _jsonable(value: Any) -> Any:  # noqa: ANN401  # defaults are of any type
    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _value_schema(param: Any) -> dict[str, Any]:  # noqa: ANN401  # Typer's own click objects
    kind = param.type
    if getattr(param, "is_flag", False) and not getattr(param, "count", False):
        return {"type": "boolean"}
    choices = getattr(kind, "choices", None)
    if choices is not None:
        return {"type": "string", "enum": [str(_jsonable(c)) for c in choices]}
    if hasattr(kind, "dir_okay") and hasattr(kind, "file_okay"):
        return {"type": "string", "format": "path"}
    schema = dict(_SIMPLE.get(getattr(kind, "name", ""), {"type": "string"}))
    for bound, key, open_key in (("min", "minimum", "min_open"), ("max", "maximum", "max_open")):
        limit = getattr(kind, bound, None)
        if limit is not None:
            exclusive = "exclusiveM" + key[1:]
            schema[exclusive if getattr(kind, open_key, False) else key] = limit
    return schema


def parameter_spec(param: Any) -> ParameterSpec:  # noqa: ANN401  # a Typer parameter object
    """Describe one Typer parameter."""
    is_argument = param.param_type_name == "argument"
    value = _value_schema(param)
    multiple = bool(getattr(param, "multiple", False)) or param.nargs == -1
    if multiple:
        value = {"type": "array", "items": value}
    elif param.nargs > 1:
        value = {"type": "array", "items": value, "minItems": param.nargs, "maxItems": param.nargs}
    envvar = param.envvar[0] if isinstance(param.envvar, (list, tuple)) else param.envvar
    default = None if callable(param.default) else _jsonable(param.default)
    if multiple and default is None:
        default = []
    return ParameterSpec(
        name=param.name or "",
        kind="argument" if is_argument else ("flag" if param.is_flag else "option"),
        flags=[] if is_argument else list(param.opts),
        negative_flags=[] if is_argument else list(param.secondary_opts),
        metavar=(param.human_readable_name if is_argument else None),
        json_schema=value,
        default=default,
        required=bool(param.required),
        multiple=multiple,
        envvar=envvar,
        help=(inspect.cleandoc(param.help) if getattr(param, "help", None) else None),
    )


def _parameters(command: Any) -> list[ParameterSpec]:  # noqa: ANN401
    return [parameter_spec(p) for p in command.params if not getattr(p, "hidden", False)]


def _walk(command: Any, ctx: typer.Context, path: list[str]) -> list[CommandSpec]:  # noqa: ANN401
    meta = read_meta(command.callback)
    names = command.list_commands(ctx) if hasattr(command, "list_commands") else []
    help_text = inspect.cleandoc(command.help or "")
    spec = CommandSpec(
        path=" ".join(path),
        kind="group" if hasattr(command, "list_commands") else "command",
        summary=command.get_short_help_str(limit=200),
        help=help_text,
        parameters=_parameters(command),
        subcommands=list(names),
        output=output_schema(meta.output) if meta and meta.output else None,
        examples=list(meta.examples) if meta else [],
        operations=[o.name for o in for_command(" ".join(path))],
    )
    specs = [spec]
    for name in names:
        child = command.get_command(ctx, name)
        if child is None or child.hidden:
            continue
        child_ctx = typer.Context(child, info_name=name, parent=ctx)
        specs.extend(_walk(child, child_ctx, [*path, name]))
    return specs


def describe_tree(app: typer.Typer) -> tuple[list[ParameterSpec], list[CommandSpec]]:
    """Return the root's global options and every command below it, depth first."""
    root = get_command(app)
    ctx = typer.Context(root, info_name="hephaestus")
    specs = _walk(root, ctx, [])
    return _parameters(root), specs[1:]
