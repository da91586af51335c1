"""Call a registered operation the way every face does: fields → request → context → result."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from hephaestus.core.context import Context
from hephaestus.core.progress import NO_PROGRESS, Progress
from hephaestus.core.request import Request, build_request
from hephaestus.registry import Operation, operation

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from pydantic import BaseModel

    from hephaestus.core.process_groups import Cancellation


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
