"""The CLI's side of an operation call: flags → request → operation → result.

Every command is a thin call: it gathers its flags into request fields, calls :func:`invoke`,
and renders the result. Errors name request fields (`` `audit_manifest` ``); while a command
runs, :data:`FLAGS` maps each field to the flag that sets it, so the error handler can say
``--audit-manifest`` instead (:func:`spell`).
"""

from __future__ import annotations

from contextlib import nullcontext
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from hephaestus.cli.progress import progress_for

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import typer
    from pydantic import BaseModel

    from hephaestus.cli.environment import Environment
    from hephaestus.core.progress import Progress

T = TypeVar("T")
GLOBAL_FLAGS = {
    "format": "--format",
    "log_level": "--log-level",
    "log_format": "--log-format",
    "run_id": "--run-id",
    "color": "--color",
}
FLAGS: ContextVar[Mapping[str, str]] = ContextVar("hephaestus_flags", default=GLOBAL_FLAGS)
"""Request field → the flag (or argument) that sets it, for the command running now."""


def spell(field: str) -> str | None:
    """Return the flag of ``field`` in the running command, or ``None`` (then named as a field)."""
    return FLAGS.get().get(field)


def flags_of(command: Any, extra: Mapping[str, str] | None = None) -> dict[str, str]:  # noqa: ANN401
    """Map each parameter of a click command to its long flag (an argument: its metavar)."""
    flags = dict(GLOBAL_FLAGS)
    for param in command.params:
        if not param.name:
            continue
        if param.param_type_name == "argument":
            # What click's ``human_readable_name`` gives; typer 0.29's own arguments lack it.
            flags[param.name] = param.metavar or param.name.upper()
        else:
            longs = [o for o in param.opts if o.startswith("--")]
            flags[param.name] = (longs or list(param.opts))[0]
    flags.update(extra or {})
    return flags


def default_note(model: type[BaseModel], field: str) -> str:
    """``  [default: X]`` for help text, read from the model (never typed twice)."""
    value = model.model_fields[field].default
    shown = ", ".join(str(v) for v in value) if isinstance(value, (tuple, list)) else value
    if isinstance(shown, float) and shown.is_integer():
        shown = int(shown)
    return f"  [default: {shown}]"


def invoke(
    ctx: typer.Context,
    name: str,
    fields: Mapping[str, Any],
    result: type[T],
    *,
    label: str | None = None,
    confirm: Callable[[str], bool] | None = None,
    flags: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> T:
    """Call operation ``name`` with ``fields``; progress on stderr under ``label``.

    ``result`` is the result model expected (one of the operation's). ``flags`` adds
    spellings for fields no single flag sets (e.g. categories). ``progress`` replaces the
    default display with the command's own (guard-rails' live table).
    """
    from hephaestus.invoke import call  # noqa: PLC0415  # pydantic: only when a command runs

    env: Environment = ctx.obj
    FLAGS.set(flags_of(ctx.command, flags))
    display = (
        progress_for(env, label or name.replace("_", " "))
        if progress is None
        else nullcontext(progress)
    )
    with display as sink:
        answer = call(
            name,
            fields,
            cwd=Path.cwd(),
            run_id=env.run_id,
            progress=sink,
            confirm=confirm or _refuse,
            configuration=env.load_config,
        )
    if not isinstance(answer, result):  # pragma: no cover  # the registry names the models
        msg = f"{name} returned a {type(answer).__name__}, not a {result.__name__}"
        raise TypeError(msg)
    return answer


def _refuse(question: str) -> bool:  # noqa: ARG001  # no confirmation asked for
    return False
