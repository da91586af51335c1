"""Typed results of ``hephaestus plan``: ordered steps, and what a simulation would change."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from hephaestus.analytics.models import Effort, MissingData, Window  # noqa: TC001  # pydantic


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class StepStatus(StrEnum):
    """Where a step stands."""

    todo = "todo"
    """The data shows work to do."""
    done = "done"
    """Checked: nothing to do."""
    unknown = "unknown"
    """The data the step needs is missing (its rationale says which and how to get it)."""


class PlanStep(_Frozen):
    """One step of the rollout plan."""

    id: str = Field(description="Stable identifier: gates, drift, coverage, split-functions, …")
    order: int = Field(ge=1, description="Position in the plan: work first, by priority.")
    title: str
    rationale: str = Field(description="The evidence behind the step.")
    files: tuple[str, ...] = Field(description="Files the step touches, most urgent first.")
    effort: Effort | None = Field(description="Rough effort (null when there is nothing to do).")
    status: StepStatus


class StepChange(_Frozen):
    """How one step differs between the current plan and the simulated one."""

    step: str
    detail: str


class Simulation(_Frozen):
    """What simulating other settings (a request's ``simulate``) changed."""

    settings: dict[str, float] = Field(description="The simulated values, by key.")
    falls_short: tuple[str, ...] = Field(
        description="Files under the simulated coverage goal, most at risk first."
    )
    changes: tuple[StepChange, ...] = Field(description="Differences from the current plan.")


class Plan(_Frozen):
    """``hephaestus plan``: a prioritised rollout plan from the repository's own data."""

    window: Window
    coverage_goal: float
    coverage_source: str | None
    guard_rails_source: str | None = Field(description="The guard-rails JSON report read.")
    steps: tuple[PlanStep, ...] = Field(description="Under the simulated settings, if any.")
    simulation: Simulation | None = None
    missing: tuple[MissingData, ...] = ()
