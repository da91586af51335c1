"""The base of every operation's request model, and how faces name its fields.

A request holds what a caller gives an operation (keyword fields, documented defaults; ``None``
means "from the configuration"). Every face builds the same request: the CLI from flags, MCP and
REST from JSON arguments. Errors about a request name its *field* with :func:`field_ref`
(`` `name` ``); each face renders that its own way (the CLI as ``--name``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from hephaestus.core.errors import UsageError, field_ref

if TYPE_CHECKING:
    from collections.abc import Mapping

R = TypeVar("R", bound="Request")


class Request(BaseModel):
    """Base of request models: frozen, keyword fields, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def config_root(self, cwd: Path) -> Path:
        """Return the directory whose configuration applies: the repository holding ``cwd``."""
        from hephaestus.core.config import find_repository_root  # noqa: PLC0415  # runs git

        return find_repository_root(cwd)


def directory_root(given: Path | str | None, cwd: Path) -> Path:
    """Resolve a ``root`` field: relative to ``cwd``; ``None`` is the repository of ``cwd``."""
    from hephaestus.core.config import find_repository_root  # noqa: PLC0415  # runs git

    if given is None:
        return find_repository_root(cwd)
    path = (cwd / Path(given).expanduser()).resolve()
    if not path.is_dir():
        raise UsageError(
            f"{path} is not a directory", hint=f"name an existing directory as {field_ref('root')}"
        )
    return path


def build_request(model: type[R], fields: Mapping[str, Any]) -> R:
    """Validate ``fields`` into ``model``; a bad value is a usage error naming its field.

    ``None`` values are dropped, so that an unset field keeps its documented default.

    Raises:
        UsageError: a field is unknown or a value does not fit its type (exit 2).

    """
    given = {key: value for key, value in fields.items() if value is not None}
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else "request"
        problem = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise UsageError(
            f"{field_ref(name)}: {problem}{more}",
            hint="see the operation's request schema (hephaestus schema OPERATION)",
            code="invalid-request",
        ) from exc
