"""Typed results of the team analytics: who knows the code, how old it is, what changes with it.

Every figure comes from the cached history pass (authors mailmapped, renames followed, large
commits and bots left out); a file without a change in the window has no owner and no age.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from hephaestus.analytics.models import MissingData, Window  # noqa: TC001  # pydantic reads them


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


class AuthorShare(_Frozen):
    """One author's part of a file's (or a directory's) changes in the window."""

    author: str = Field(description="Author name, as .mailmap maps it (git's %aN).")
    lines: int = Field(ge=0, description="Lines added + deleted by this author.")
    commits: int = Field(ge=0, description="Commits of this author that changed it.")
    share: float = Field(ge=0, le=1, description="lines / all authors' lines.")


class Ownership(_Frozen):
    """Who changed a file or a directory, and how fragmented its development is."""

    path: str = Field(description="File, or directory ('.': the whole repository).")
    lines: int = Field(ge=0, description="Lines added + deleted in the window.")
    commits: int = Field(ge=0, description="Commits that changed it.")
    main_developer: str = Field(description="The author with the most changed lines.")
    main_share: float = Field(ge=0, le=1, description="The main developer's share of lines.")
    fragmentation: float = Field(
        ge=0, le=1, description="code-maat's fractal value: 1 - sum(author commits / commits)^2."
    )
    authors: tuple[AuthorShare, ...] = Field(description="Every author, largest share first.")


class OwnershipReport(_Frozen):
    """``tools team ownership``."""

    window: Window
    files: tuple[Ownership, ...]
    directories: tuple[Ownership, ...]
    missing: tuple[MissingData, ...] = ()


class AtRisk(_Frozen):
    """A file or directory whose main developer has not committed for a while."""

    path: str
    main_developer: str
    main_share: float = Field(ge=0, le=1)
    last_commit: str = Field(description="The main developer's latest commit, ISO 8601 UTC.")
    inactive_months: int = Field(ge=0, description="Whole 30-day months since then.")


class TruckFactor(_Frozen):
    """The fewest authors whose leaving would orphan more than half of a directory's files."""

    directory: str = Field(description="Directory ('.': the whole repository).")
    files: int = Field(ge=0, description="Files with a main developer (changed in the window).")
    truck_factor: int = Field(ge=0)
    authors: tuple[str, ...] = Field(description="The authors removed, in the order removed.")


class KnowledgeRiskReport(_Frozen):
    """``tools team knowledge-risk``."""

    window: Window
    inactive_months: int
    cutoff: str = Field(description="An author with no commit since then is inactive.")
    files: tuple[AtRisk, ...]
    directories: tuple[AtRisk, ...]
    truck_factors: tuple[TruckFactor, ...]
    missing: tuple[MissingData, ...] = ()


class FileAge(_Frozen):
    """How long ago a file last changed."""

    path: str
    last_change: str | None = Field(
        description="ISO 8601 UTC (null: no change counted; bots and large commits are not)."
    )
    months: int | None = Field(ge=0, description="Whole 30-day months since the last change.")


class AgeBucket(_Frozen):
    """How many files last changed between ``low`` and ``high`` months ago."""

    label: str
    low: int | None = Field(description="Months, inclusive (null: files with no change counted).")
    high: int | None = Field(description="Months, exclusive (null: no upper bound).")
    files: int = Field(ge=0)


class CodeAgeReport(_Frozen):
    """``tools team code-age``."""

    window: Window
    now: str = Field(description="The moment ages are measured from, ISO 8601 UTC.")
    files: tuple[FileAge, ...] = Field(description="Oldest first; unchanged files last.")
    buckets: tuple[AgeBucket, ...]
    missing: tuple[MissingData, ...] = ()


class SocRow(_Frozen):
    """A file's sum of coupling (code-maat's ``soc``)."""

    path: str
    soc: int = Field(ge=0, description="Sum over its commits of the other files they changed.")
    commits: int = Field(ge=0, description="Its commits counted (changesets not too large).")


class SocReport(_Frozen):
    """``tools refactor soc``."""

    window: Window
    max_changeset: int
    rows: tuple[SocRow, ...]
    missing: tuple[MissingData, ...] = ()
