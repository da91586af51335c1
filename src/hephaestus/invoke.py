"""Call a registered operation the way every face does: fields → request → context → result."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from hephaestus.core.context import Context
from hephaestus.core.errors import SafetyError, UsageError, field_ref
from hephaestus.core.fs import is_inside, printable_path
from hephaestus.core.progress import NO_PROGRESS, Progress
from hephaestus.core.request import Request, build_request
from hephaestus.registry import Operation, operation

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from pydantic import BaseModel

    from hephaestus.core.process_groups import Cancellation


PATH_STRINGS: Final = frozenset({"python"})
"""Request fields typed ``str`` that name a path (an interpreter) and are confined like paths."""


def _refuse(question: str) -> bool:  # noqa: ARG001  # a caller with nobody to ask
    return False


def default_configuration() -> Callable[[Path], BaseModel]:
    """Return a loader of ``[tool.hephaestus]`` without overrides, each root read once."""
    from hephaestus.configuration import load_config  # noqa: PLC0415  # pydantic-settings: lazy

    return cache(load_config)


def request_for(op: Operation | str, fields: Mapping[str, Any] | Request) -> Request:
    """Validate ``fields`` into the request model of ``op`` (a request is checked for its type).

    Raises:
        UsageError: a field is unknown or a value is invalid (exit 2), naming the field.

    """
    chosen = operation(op) if isinstance(op, str) else op
    model = chosen.load().request
    if isinstance(fields, Request):
        if not isinstance(fields, model):
            msg = f"{chosen.name} takes a {model.__name__}, not a {type(fields).__name__}"
            raise TypeError(msg)
        return fields
    return build_request(model, fields)


def call(  # noqa: PLR0913  # the face's side of a call, all keywords
    op: Operation | str,
    fields: Mapping[str, Any] | Request,
    *,
    cwd: Path,
    run_id: str = "-",
    progress: Progress = NO_PROGRESS,
    cancellation: Cancellation | None = None,
    confirm: Callable[[str], bool] = _refuse,
    configuration: Callable[[Path], BaseModel] | None = None,
) -> BaseModel:
    """Run the operation ``op`` on ``fields`` and return its result model.

    Raises:
        HephaestusError: whatever the operation raises (face-neutral, fields named).

    """
    chosen = operation(op) if isinstance(op, str) else op
    request = request_for(chosen, fields)
    context = Context(
        root=request.config_root(cwd),
        cwd=cwd,
        run_id=run_id,
        progress=progress,
        cancellation=cancellation,
        confirm=confirm,
        configuration=configuration or default_configuration(),
    )
    return chosen.load().function(request, context)


def confine(request: Request, root: Path) -> None:
    """Refuse a request that names a path outside ``root`` or asks to leave it.

    Servers (MCP, REST, gRPC) act only inside the roots they were started with. Relative paths
    are taken against ``root``, ``~`` is expanded (the server user's home: outside), and symbolic
    links are resolved before the comparison.

    Raises:
        SafetyError: ``allow_outside_root`` is set, or a path field (or an interpreter named by
            ``python``) resolves outside ``root`` (``outside-root``, exit 3).

    """
    if getattr(request, "allow_outside_root", False):
        raise SafetyError(
            f"{field_ref('allow_outside_root')} is refused: this server never leaves {root}",
            hint=f"leave {field_ref('allow_outside_root')} out, and name paths inside the root",
            code="outside-root",
        )
    for name in type(request).model_fields:
        for path in _paths(name, getattr(request, name)):
            if not is_inside(root / expand(path, name=name), root):
                raise SafetyError(
                    f"{field_ref(name)} {printable_path(path)} is outside the root {root}",
                    hint="name a path inside the root the server was started with",
                    code="outside-root",
                )


def expand(path: Path | str, *, name: str) -> Path:
    """Return ``path`` with a leading ``~`` expanded, checked for what no path may hold.

    Raises:
        UsageError: it holds a NUL character, or names the home of a user that does not exist
            (``invalid-request``, exit 2).

    """
    if "\0" in str(path):
        raise UsageError(
            f"{field_ref(name)}: a path cannot hold a NUL character",
            hint="name an existing path inside the root",
            code="invalid-request",
        )
    try:
        return Path(path).expanduser()
    except RuntimeError:  # "~someone" without such a user, or no home at all
        raise UsageError(
            f"{field_ref(name)}: {printable_path(Path(path))}: no such home directory",
            hint="name a path inside the root, without ~",
            code="invalid-request",
        ) from None


def _paths(name: str, value: object) -> list[Path]:
    if isinstance(value, Path):
        return [value]
    if isinstance(value, str) and name in PATH_STRINGS:
        return [Path(value)]
    if isinstance(value, (tuple, list, frozenset, set)):
        return [v for v in value if isinstance(v, Path)]
    return []
