"""The plan operation: its request (a checked ``simulate``), resolve() and calls."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from tests.analytics.conftest import SECTION
from tests.planning.test_plan import REPORT

from hephaestus.analytics.settings import AnalyticsSection
from hephaestus.core.errors import UsageError
from hephaestus.core.request import build_request
from hephaestus.invoke import call
from hephaestus.planning.models import Plan
from hephaestus.planning.operation import SIMULATED, PlanRequest, resolve
from hephaestus.registry import Safety, operation

if TYPE_CHECKING:
    from pathlib import Path

KEYS = list(SIMULATED)
VALUES = (
    st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(-(10**6), 10**6)
    | st.booleans()
    | st.text(max_size=8)
    | st.none()
    | st.sampled_from([" 0.9", "0.9", "nan", "1e3"])
)
GARBAGE_KEYS = st.text(max_size=20).filter(lambda k: k not in SIMULATED) | st.sampled_from(
    [" coverage", "coverage ", "Coverage", "complex_function", "large-module\n", ""]
)


def _acceptable(key: str, value: object) -> bool:
    """The documented contract of ``simulate``, written out independently of the model."""
    if key not in SIMULATED or isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if not math.isfinite(value):
        return False
    if key == "coverage":
        return 0 <= value <= 1
    return value >= 1 and float(value).is_integer()


def _configure(root: Path) -> None:
    values = SECTION.model_dump(exclude_defaults=True)
    lines = [f"{key.replace('_', '-')} = {json.dumps(value)}" for key, value in values.items()]
    text = "[tool.hephaestus.analytics]\n" + "\n".join(lines) + "\n"
    (root / "pyproject.toml").write_text(text, encoding="utf-8")


def test_plan_is_a_read_only_operation() -> None:
    """Plan reads a guard-rails report, never runs gates: read-only."""
    plan = operation("plan")
    assert plan.safety == {Safety.read_only}
    assert plan.load().results == (Plan,)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS) | GARBAGE_KEYS, VALUES, max_size=4))
def test_simulate_accepts_exactly_the_documented_settings(simulate: dict[str, Any]) -> None:
    """Known keys with finite, in-range numbers pass; anything else is a usage error on it."""
    if all(_acceptable(k, v) for k, v in simulate.items()):
        request = build_request(PlanRequest, {"simulate": simulate})
        assert request.simulate == {k: float(v) for k, v in simulate.items()}
        return
    with pytest.raises(UsageError) as caught:
        build_request(PlanRequest, {"simulate": simulate})
    assert caught.value.exit_code == 2
    assert caught.value.message.startswith("`simulate`: ")


@settings(max_examples=100, deadline=None)
@given(
    coverage=st.floats(0, 1),
    complex_function=st.integers(1, 10**9),
    large_module=st.integers(1, 10**9).map(float),
)
def test_every_valid_simulation_is_kept(
    coverage: float, complex_function: int, large_module: float
) -> None:
    """Valid values (ints or whole floats for the thresholds) are kept as given, as numbers."""
    simulate = {
        "coverage": coverage, "complex-function": complex_function, "large-module": large_module,
    }  # fmt: skip
    assert build_request(PlanRequest, {"simulate": simulate}).simulate == simulate


@pytest.mark.parametrize(
    ("simulate", "message"),
    [
        ({"coverage": 2}, "coverage is a fraction from 0 to 1, not 2"),
        ({"complex-function": 2.5}, "complex-function is a whole number from 1, not 2.5"),
        ({"large-module": float("inf")}, "finite number"),
        ({" coverage": 0.5}, "Input should be 'coverage'"),
        ({"coverage": " 0.9"}, "valid number"),
    ],
)
def test_a_refused_simulation_says_why(simulate: dict[str, Any], message: str) -> None:
    """The message names the field, then the key and its range."""
    with pytest.raises(UsageError, match=f"^`simulate`: .*{message}"):
        build_request(PlanRequest, {"simulate": simulate})


def test_resolve_precedence(tmp_path: Path) -> None:
    """since: request > configuration > default; the coverage file passes through."""
    configured = AnalyticsSection(since="2000-01-01")
    assert resolve(PlanRequest(), AnalyticsSection()).since == "12 months"
    assert resolve(PlanRequest(), configured).since == "2000-01-01"
    given = resolve(PlanRequest(since="3 weeks", coverage=tmp_path / "c.xml"), configured)
    assert (given.since, given.coverage, given.store) == ("3 weeks", tmp_path / "c.xml", True)
    with pytest.raises(UsageError, match=r"^`since` 'later': not a date"):
        resolve(PlanRequest(since="later"), configured)
    with pytest.raises(ValidationError, match="the window 'later': not a date"):
        AnalyticsSection(since="later")  # refused when the configuration loads


def test_plan_through_call_simulates(repo: Path) -> None:
    """A call reads the configuration and simulates: coverage=0.3 leaves moved.py short."""
    _configure(repo)
    plan = call("plan", {"simulate": {"coverage": 0.3}}, cwd=repo)
    assert isinstance(plan, Plan)
    assert plan.coverage_goal == 0.3
    assert plan.simulation is not None
    assert plan.simulation.settings == {"coverage": 0.3}
    assert plan.simulation.falls_short == ("pkg/moved.py",)
    gates = next(s for s in plan.steps if s.id == "gates")
    assert gates.rationale.endswith("pass `guard_rails` FILE")


def test_a_guard_rails_report_is_read_from_the_working_directory(repo: Path) -> None:
    """A relative guard_rails is the caller's cwd's, and named in the plan as given."""
    _configure(repo)
    (repo / "pkg" / "report.json").write_text(json.dumps(REPORT), encoding="utf-8")
    plan = call("plan", {"guard_rails": "report.json"}, cwd=repo / "pkg")
    assert isinstance(plan, Plan)
    assert plan.guard_rails_source == "report.json"
    assert plan.steps[0].rationale == "guard-rails: ruff-check failed (2 findings)"
    with pytest.raises(UsageError, match=r"^`guard_rails` nope\.json: ") as caught:
        call("plan", {"guard_rails": "nope.json"}, cwd=repo)
    assert "--" not in caught.value.message
    assert "--" not in (caught.value.hint or "")


def test_plan_errors_name_fields(repo: Path) -> None:
    """A bad window or coverage file names its field."""
    with pytest.raises(UsageError, match=r"^`since` 'soon': not a date"):
        call("plan", {"since": "soon"}, cwd=repo)
    with pytest.raises(UsageError, match=r"^`coverage` .*: no such file"):
        call("plan", {"coverage": "none.xml"}, cwd=repo)
    with pytest.raises(UsageError, match=r"^`simulate`: "):
        call("plan", {"simulate": {"coverage": -0.1}}, cwd=repo)
