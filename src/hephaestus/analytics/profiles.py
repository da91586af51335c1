"""Named QA profiles from ``[tool.hephaestus.analytics.profiles]``, for tools qa and guard-rails."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from hephaestus.core.errors import UsageError
from hephaestus.gates.settings import Strictness  # noqa: TC001  # pydantic reads it

if TYPE_CHECKING:
    from hephaestus.analytics.settings import AnalyticsSection


class QAProfile(BaseModel):
    """One named QA profile: the coverage goal, the gates that must pass, the strictness."""

    model_config = ConfigDict(frozen=True)

    name: str
    coverage_goal: float = Field(ge=0, le=1, description="Line coverage asked for, a fraction.")
    gates: tuple[str, ...] = Field(description="Gates that must pass (empty: the default set).")
    strictness: Strictness


class ProfileList(BaseModel):
    """``tools qa profile`` without a name: every configured profile."""

    model_config = ConfigDict(frozen=True)

    profiles: tuple[QAProfile, ...]


def _profiles(section: AnalyticsSection) -> dict[str, QAProfile]:
    # Table keys arrive snake_cased by the configuration loader; profiles are named kebab-case.
    return {
        name.replace("_", "-"): QAProfile(
            name=name.replace("_", "-"),
            coverage_goal=table.coverage_goal,
            gates=table.gates,
            strictness=table.strictness,
        )
        for name, table in sorted(section.profiles.items())
    }


def list_profiles(section: AnalyticsSection) -> ProfileList:
    """Every profile of ``[tool.hephaestus.analytics.profiles]``, by name."""
    return ProfileList(profiles=tuple(_profiles(section).values()))


def resolve_profile(section: AnalyticsSection, name: str) -> QAProfile:
    """Return the profile called ``name``.

    Raises:
        UsageError: no such profile (exit 2, code ``unknown-profile``); the message lists the
            known names.

    """
    profiles = _profiles(section)
    if name in profiles:
        return profiles[name]
    known = ", ".join(profiles) or "none configured"
    raise UsageError(
        f"unknown QA profile {name!r} (known: {known})",
        hint="define it in [tool.hephaestus.analytics.profiles.<name>] of pyproject.toml",
        code="unknown-profile",
    )
