"""Typed result of ``tools refactor functions``: function-level hotspots of the top files."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from hephaestus.analytics.models import MissingData, Window  # noqa: TC001  # pydantic reads them


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


class FunctionHotspot(_Frozen):
    """One function of a top hotspot file that changed in the window."""

    path: str
    function: str = Field(description="Qualified name in the current tree, e.g. 'Box.size'.")
    line: int = Field(ge=1, description="Line of its 'def' in the current tree.")
    commits: int = Field(
        ge=1, description="Distinct commits with a hunk whose git header names it (approximate)."
    )
    complexity: int = Field(ge=1, description="Its current cyclomatic complexity.")
    score: int = Field(ge=1, description="commits * complexity.")
    file_commits: int = Field(ge=0, description="Commits that changed its file in the window.")


class FunctionHotspotReport(_Frozen):
    """``tools refactor functions``."""

    window: Window
    files: tuple[str, ...] = Field(
        description="The top hotspot files read, best first (the only files git was asked about)."
    )
    functions: tuple[FunctionHotspot, ...] = Field(
        description="Functions changed in the window, highest score first."
    )
    missing: tuple[MissingData, ...] = ()
