"""Operations that exist only for tests: registered nowhere, described like any other."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hephaestus.registry import Operation, Safety

if TYPE_CHECKING:
    from hephaestus.core.context import Context
    from hephaestus.meta import VersionRequest
    from hephaestus.version import VersionInfo


def crash(request: VersionRequest, context: Context) -> VersionInfo:
    """Fail the way a bug does: with an exception that is no HephaestusError."""
    del request, context
    msg = "secret detail of a bug"
    raise RuntimeError(msg)


CRASH = Operation(
    name="crash",
    command="crash",
    summary="Crash.",
    safety=frozenset({Safety.read_only}),
    request="hephaestus.meta:VersionRequest",
    result=("hephaestus.version:VersionInfo",),
    function="tests.mcp.fakes:crash",
)
