"""Typed result of ``tools refactor trends``: the repository's and files' stored measurements."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from hephaestus.analytics.models import MissingData  # noqa: TC001  # pydantic reads it


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


class RepositoryPoint(_Frozen):
    """The repository at one analysed commit: the totals of its latest snapshot there."""

    head: str | None = Field(description="The commit analysed (null: no commits yet).")
    created: str = Field(description="When the latest of its snapshots was taken (UTC).")
    files: int = Field(ge=0, description="Python files analysed.")
    functions: int = Field(ge=0, description="Their functions and methods.")
    complexity: int = Field(ge=0, description="Their summed cyclomatic complexity.")
    commits: int = Field(ge=0, description="Commits in the window.")
    coverage: float | None = Field(
        description="Covered over all statements (null: no snapshot of this commit read coverage)."
    )


class FilePoint(_Frozen):
    """One file at one analysed commit."""

    head: str | None
    created: str
    score: float | None = Field(description="Hotspot score (null: no hotspots snapshot).")
    complexity: int | None = Field(description="Summed cyclomatic complexity.")
    coverage: float | None = Field(description="Fraction covered (null: not measured).")


class FileTrend(_Frozen):
    """A file's measurements, oldest first."""

    path: str
    points: tuple[FilePoint, ...]


class TrendReport(_Frozen):
    """``tools refactor trends``."""

    since: str = Field(description="Start of the window the snapshots cover (ISO 8601 UTC).")
    snapshots: int = Field(ge=0, description="Snapshots of this window read.")
    repository: tuple[RepositoryPoint, ...] = Field(
        description="One point per analysed commit, oldest first (snapshots without totals or "
        "of narrowed runs left out)."
    )
    files: tuple[FileTrend, ...] = Field(
        description="The files matching paths (default: the newest hotspots snapshot's), the "
        "highest score there first."
    )
    missing: tuple[MissingData, ...] = ()
