"""``[tool.hephaestus.analytics]``: history window, file patterns, ranking caps, QA profiles."""

from __future__ import annotations

from pydantic import Field, field_validator

from hephaestus.core.config import Section
from hephaestus.core.patterns import Patterns  # noqa: TC001  # pydantic reads it
from hephaestus.gates.settings import Strictness  # pydantic reads it


class QAProfileSection(Section):
    """``[tool.hephaestus.analytics.profiles.<name>]``: one named QA profile."""

    coverage_goal: float = Field(default=0.8, ge=0, le=1)
    """Line coverage the profile asks for, as a fraction (0.9 = 90 %)."""
    gates: tuple[str, ...] = ()
    """Gates that must pass under this profile (empty: guard-rails' own selection)."""
    strictness: Strictness = Strictness.standard
    """How findings are judged: lenient, standard or strict."""


class AnalyticsSection(Section):
    """``[tool.hephaestus.analytics]``: refactor analytics, rankings, opportunities and plan."""

    since: str = "12 months"
    """History window: an ISO date (2025-01-31) or N days|weeks|months|years (a month is 30
    days, a year 365)."""

    @field_validator("since")
    @classmethod
    def _a_window(cls, value: str) -> str:
        """Refuse a window no analysis could read when the configuration is loaded."""
        from hephaestus.analytics.churn import parse_since  # noqa: PLC0415  # only when set
        from hephaestus.core.errors import UsageError  # noqa: PLC0415

        try:
            parse_since(value, name="the window")
        except UsageError as exc:
            raise ValueError(f"{exc.message} ({exc.hint})") from None
        return value

    include: Patterns = ("*.py",)
    """gitignore-style patterns of the files analysed."""
    exclude: Patterns = ()
    """gitignore-style patterns of files never analysed."""
    large_commit: int = Field(default=50, ge=1)
    """Commits changing more files than this (mass reformatting, vendoring) are left out."""
    coverage_threshold: float = Field(default=0.8, ge=0, le=1)
    """Coverage a file should reach, as a fraction: the 'threshold' of the ranking formulas."""
    uncovered_cap: int = Field(default=200, ge=1)
    """Uncovered lines at which the ranking factor u reaches 1."""
    churn_cap: int = Field(default=200, ge=1)
    """Changed lines (added + removed) at which the ranking factor c reaches 1."""
    limit: int = Field(default=20, ge=1)
    """Rows shown by the refactor commands when a request gives no ``limit``."""
    complex_function: int = Field(default=10, ge=1)
    """Cyclomatic complexity above which a function is worth splitting."""
    often_changed: int = Field(default=5, ge=1)
    """Revisions in the window from which a file counts as often changed."""
    large_module: int = Field(default=400, ge=1)
    """Lines of code above which a module is worth splitting."""
    coupling_min_revs: int = Field(default=5, ge=1)
    """Revisions both files of a coupled pair need at least."""
    coupling_min_degree: float = Field(default=30.0, ge=0, le=100)
    """Lowest coupling degree (percent) reported."""
    coupling_max_changeset: int = Field(default=30, ge=2)
    """Commits changing more files than this are left out of coupling."""
    inactive_months: int = Field(default=6, ge=1)
    """Months (of 30 days) without a commit after which an author counts as inactive."""
    profiles: dict[str, QAProfileSection] = Field(default_factory=dict)
    """Named QA profiles: ``[tool.hephaestus.analytics.profiles.<name>]``."""
