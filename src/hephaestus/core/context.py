"""What every operation is called with besides its request: the face's side of the call.

A face (the CLI, the MCP server, later REST and gRPC) builds one :class:`Context` per call: the
repository root the request resolved to, the run id, where progress goes, the token that stops
the call's subprocesses, and how to ask a person to confirm. Operations read it and never ask
which face called them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from hephaestus.core.progress import NO_PROGRESS, Progress

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from pydantic import BaseModel

    from hephaestus.core.process_groups import Cancellation

S = TypeVar("S")


def _never(question: str) -> bool:  # noqa: ARG001  # a face without a person to ask
    return False


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """The face's side of one operation call."""

    root: Path
    """The repository (or directory) the request resolved to; its configuration applies."""
    cwd: Path
    """Where relative paths of the request are resolved (the CLI: the working directory)."""
    run_id: str = "-"
    """Bound to every log event, report and audit manifest of the call."""
    progress: Progress = NO_PROGRESS
    """Receives the progress of long phases."""
    cancellation: Cancellation | None = None
    """Stops every subprocess of the call when cancelled (the MCP face cancels it)."""
    confirm: Callable[[str], bool] = field(default=_never)
    """Asks a person a yes/no question; faces without one answer no (the operation refuses)."""
    configuration: Callable[[Path], BaseModel]
    """Loads the whole configuration of a root (the face applies its own overrides)."""

    def section(self, name: str, kind: type[S]) -> S:
        """Return the ``[tool.hephaestus.<name>]`` section of :attr:`root`'s configuration.

        Raises:
            ConfigError: the configuration is invalid (exit 2).

        """
        value = getattr(self.configuration(self.root), name)
        if not isinstance(value, kind):  # pragma: no cover  # the table is assembled from kinds
            msg = f"configuration section {name!r} is not a {kind.__name__}"
            raise TypeError(msg)
        return value
