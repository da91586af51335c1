"""The wheelhouse operations: verify, and sanitize as a plan and as the run that carries it out.

``plan`` (read-only) lists the OS cruft and returns its ``plan_id``; ``sanitize`` looks again,
refuses when a ``plan_id`` was given and the cruft changed since, and removes it. None of them
reads configuration: the directory is the request's, relative to the caller's working directory.
"""

from __future__ import annotations

from pathlib import Path  # noqa: TC003  # pydantic reads it
from typing import TYPE_CHECKING

from pydantic import Field

from hephaestus.core.request import Request
from hephaestus.release.wheelhouse import sanitize as sanitize_directory
from hephaestus.release.wheelhouse import verify_wheelhouse

if TYPE_CHECKING:
    from hephaestus.core.context import Context
    from hephaestus.release.models import SanitizeReport, WheelhouseReport


class WheelhouseRequest(Request):
    """A wheelhouse directory."""

    directory: Path = Field(description="The wheelhouse directory.")

    def config_root(self, cwd: Path) -> Path:
        """Return the working directory: wheelhouse operations read no configuration (no git)."""
        return cwd


class SanitizeRequest(WheelhouseRequest):
    """A wheelhouse whose OS cruft (.DS_Store, __MACOSX/, ._*, Thumbs.db…) is to be listed."""


class SanitizeRunRequest(SanitizeRequest):
    """A wheelhouse whose OS cruft is to be removed, and the plan it must match."""

    plan_id: str | None = Field(
        default=None,
        description="plan_id of the wheelhouse_sanitize_plan to carry out; refused if the "
        "cruft changed since (default: no check).",
    )


def verify(request: WheelhouseRequest, context: Context) -> WheelhouseReport:
    """Report OS cruft and check every wheel's RECORD hashes and sizes.

    Raises:
        UsageError: ``directory`` is not a directory (exit 2).

    """
    return verify_wheelhouse(context.cwd / request.directory)


def plan(request: SanitizeRequest, context: Context) -> SanitizeReport:
    """List the OS cruft of a wheelhouse, with the ``plan_id`` of removing it; remove nothing.

    Raises:
        UsageError: ``directory`` is not a directory (exit 2).
        SafetyError: the directory is one cleanup refuses (the filesystem root, home, a system
            directory) (exit 3).

    """
    return sanitize_directory(context.cwd / request.directory, dry_run=True)


def sanitize(request: SanitizeRunRequest, context: Context) -> SanitizeReport:
    """Remove the OS cruft of a wheelhouse; symlinks are removed, never followed.

    Raises:
        UsageError: ``directory`` is not a directory (exit 2).
        SafetyError: the directory is refused, or the cruft changed since the plan ``plan_id``
            (``stale-plan``); nothing was removed (exit 3).
        ExternalError: a cruft path could not be removed (exit 5).

    """
    return sanitize_directory(context.cwd / request.directory, plan_id=request.plan_id)
