"""The ``plan`` operation: its request, how configuration applies, and the call.

``simulate`` is a validated mapping: known keys only, each value a finite number in its range
(``coverage`` a fraction from 0 to 1, the two thresholds whole numbers from 1). Faces hand it
over as a mapping; the CLI parses its ``KEY=VALUE`` spelling strictly before that.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path  # noqa: TC003  # pydantic reads it
from typing import TYPE_CHECKING, Annotated, Final, Literal, get_args

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from hephaestus.analytics.analysis import AnalysisOptions
from hephaestus.analytics.requests import CoverageFile, Since, window_since
from hephaestus.analytics.settings import AnalyticsSection
from hephaestus.core.request import Request

if TYPE_CHECKING:
    from hephaestus.core.context import Context
    from hephaestus.planning.models import Plan

SimulatedKey = Literal["coverage", "complex-function", "large-module"]
SIMULATED: Final[dict[str, str]] = {
    "coverage": "coverage goal, a fraction from 0 to 1 (0.9 = 90 %)",
    "complex-function": "complexity above which a function is worth splitting, a whole number "
    "from 1",
    "large-module": "lines of code above which a module is worth splitting, a whole number from 1",
}
"""What each key of ``simulate`` sets, and its range."""
assert set(SIMULATED) == set(get_args(SimulatedKey))  # noqa: S101  # one list, two spellings

SimulatedValue = Annotated[float, Field(strict=True, allow_inf_nan=False)]


def check_simulated(key: str, value: float) -> None:
    """Check that ``value`` is in the range of the simulated setting ``key``.

    Raises:
        ValueError: it is not (the message names the key, the value and the range).

    """
    if key == "coverage":
        if not 0 <= value <= 1:
            msg = f"coverage is a fraction from 0 to 1, not {value:g}"
            raise ValueError(msg)
    elif not (math.isfinite(value) and value >= 1 and value.is_integer()):
        msg = f"{key} is a whole number from 1, not {value:g}"
        raise ValueError(msg)


class PlanRequest(Request):
    """``plan``: a prioritised rollout plan from the analytics and a guard-rails report."""

    since: Since = None
    coverage: CoverageFile = None
    guard_rails: Path | None = Field(
        default=None,
        description="A guard-rails JSON report (its result), relative to the working directory "
        "(default: the report the latest guard-rails run kept in .hephaestus/guard-rails/).",
    )
    simulate: dict[SimulatedKey, SimulatedValue] = Field(
        default_factory=dict,
        description="Plan as if settings were different: "
        + "; ".join(f"{key}: {what}" for key, what in SIMULATED.items())
        + ".",
    )

    @field_validator("simulate")
    @classmethod
    def _in_range(cls, value: dict[str, float]) -> dict[str, float]:
        for key, number in value.items():
            try:
                check_simulated(key, float(number))
            except ValueError as exc:
                raise PydanticCustomError("simulate_range", str(exc)) from None
        return value


def resolve(request: PlanRequest, section: AnalyticsSection) -> AnalysisOptions:
    """Apply ``section`` to ``request``: the analysis the plan reads (request first).

    The plan keeps the history cache in the store, like the analytics commands do.

    Raises:
        UsageError: the history window is neither a date nor a duration (exit 2).

    """
    return AnalysisOptions(
        since=window_since(request.since, section), coverage=request.coverage, store=True
    )


def plan(request: PlanRequest, context: Context) -> Plan:
    """Build the plan of ``context.root``; with ``simulate``, what those settings would change.

    Raises:
        UsageError: not a git repository, a bad `` `since` ``, coverage file or guard-rails
            report (exit 2).
        ExternalError: git failed (exit 5).

    """
    from hephaestus.planning.builder import build_plan  # noqa: PLC0415  # git, sqlite: lazy

    section = context.section("analytics", AnalyticsSection)
    options = resolve(request, section)
    coverage = options.coverage
    if coverage is not None:
        options = replace(options, coverage=(context.cwd / coverage.expanduser()).resolve())
    return build_plan(
        context.root,
        section=section,
        options=options,
        guard_rails=request.guard_rails,
        simulate={str(key): value for key, value in request.simulate.items()},
        cwd=context.cwd,
        progress=context.progress,
    )
