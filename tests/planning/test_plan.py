"""The rollout plan from the known repository and a guard-rails report, and --simulate."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from tests.analytics.conftest import SECTION

from hephaestus.analytics import AnalysisOptions
from hephaestus.core.errors import UsageError
from hephaestus.core.request import build_request
from hephaestus.planning import build_plan
from hephaestus.planning.operation import PlanRequest

if TYPE_CHECKING:
    from pathlib import Path

REPORT = {
    "root": ".",
    "duration": 1.0,
    "jobs": 2,
    "results": [
        {"name": "ruff-check", "status": "failed", "required": True, "duration": 0.1,
         "findings": [
             {"gate": "ruff-check", "rule": "F401", "severity": "error", "message": "unused",
              "path": "pkg/core.py", "line": 1},
             {"gate": "ruff-check", "rule": "E501", "severity": "error", "message": "long",
              "path": "pkg/core.py", "line": 2},
         ]},
        {"name": "mypy", "status": "passed", "required": True, "duration": 0.1},
    ],
}  # fmt: skip
OPTIONS = AnalysisOptions(store=False)


def _report(tmp_path: Path) -> Path:
    path = tmp_path / "guard-rails.json"
    path.write_text(json.dumps(REPORT), encoding="utf-8")
    return path


def test_plan_orders_work_by_priority(known_history: Path, tmp_path: Path) -> None:
    """Gates, coverage, functions, modules to do; drift unknown (no --drift in the report)."""
    plan = build_plan(
        known_history, section=SECTION, options=OPTIONS, guard_rails=_report(tmp_path)
    )
    steps = [
        (s.order, s.id, s.status.value, s.files, s.effort and s.effort.value) for s in plan.steps
    ]
    assert steps == [
        (1, "gates", "todo", ("pkg/core.py",), "small"),
        (2, "coverage", "todo", ("pkg/core.py", "pkg/moved.py"), "small"),
        (3, "split-functions", "todo", ("pkg/core.py",), "small"),
        (4, "split-modules", "todo", ("pkg/core.py",), "small"),
        (5, "drift", "unknown", (), None),
    ]
    assert plan.steps[0].rationale == "guard-rails: ruff-check failed (2 findings)"
    assert plan.steps[1].rationale == (
        "2 files under 80% (total 38.1%), 13 uncovered lines; ordered by risk"
    )
    assert plan.simulation is None


def test_simulated_coverage_goal_changes_the_plan(known_history: Path) -> None:
    """coverage=0.3: only moved.py falls short, so the coverage step drops core.py."""
    plan = build_plan(known_history, section=SECTION, options=OPTIONS, simulate={"coverage": 0.3})
    assert plan.simulation is not None
    assert plan.simulation.falls_short == ("pkg/moved.py",)
    assert [(c.step, c.detail) for c in plan.simulation.changes] == [
        ("coverage", "drops pkg/core.py")
    ]
    assert plan.coverage_goal == 0.3
    assert plan.steps[0].id == "coverage"  # no guard-rails report: gates are unknown
    assert plan.steps[0].files == ("pkg/moved.py",)


def test_simulated_thresholds(known_history: Path) -> None:
    """complex-function=5 leaves no function to split; large-module=20 no module."""
    plan = build_plan(known_history, section=SECTION, options=OPTIONS,
                      simulate={"complex-function": 5, "large-module": 20})  # fmt: skip
    assert plan.simulation is not None
    assert [(c.step, c.detail) for c in plan.simulation.changes] == [
        ("split-functions", "status todo -> done; drops pkg/core.py"),
        ("split-modules", "status todo -> done; drops pkg/core.py"),
    ]


def test_missing_coverage_is_unknown_not_invented(repo: Path) -> None:
    """Without coverage data the coverage step is unknown and says how to get data."""
    for name in (".coverage", "coverage.xml", "coverage.json"):
        (repo / name).unlink()
    plan = build_plan(repo, section=SECTION, options=OPTIONS)
    coverage = next(s for s in plan.steps if s.id == "coverage")
    assert coverage.status.value == "unknown"
    assert "run pytest --cov first" in coverage.rationale


@pytest.mark.parametrize(
    ("simulate", "message"),
    [
        ({"speed": 3}, "Input should be 'coverage', 'complex-function' or 'large-module'"),
        ({"coverage": "high"}, "Input should be a valid number"),
        ({"coverage": 1.5}, "coverage is a fraction from 0 to 1, not 1.5"),
        ({"large-module": 0}, "large-module is a whole number from 1, not 0"),
    ],
)
def test_bad_simulations_are_usage_errors(simulate: dict[str, object], message: str) -> None:
    """Unknown or out-of-range settings exit 2 naming the field and the problem.

    (``KEY=VALUE`` syntax is the CLI's: tests/cli/test_plan.py checks its parsing.)
    """
    with pytest.raises(UsageError, match=f"^`simulate`: {message}") as caught:
        build_request(PlanRequest, {"simulate": simulate})
    assert caught.value.exit_code == 2


def test_a_bad_guard_rails_report_is_a_usage_error(known_history: Path, tmp_path: Path) -> None:
    """A file that is not a guard-rails report is refused with the hint to save one."""
    bad = tmp_path / "x.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(UsageError, match="not a guard-rails JSON report"):
        build_plan(known_history, section=SECTION, options=OPTIONS, guard_rails=bad)


def test_the_kept_guard_rails_report_is_used_by_default(repo: Path) -> None:
    """Without --guard-rails, the report the last guard-rails run kept is the gates' source."""
    kept = repo / ".hephaestus" / "guard-rails" / "latest.json"
    kept.parent.mkdir(parents=True)
    kept.write_text(json.dumps(REPORT), encoding="utf-8")
    plan = build_plan(repo, section=SECTION, options=OPTIONS)
    assert plan.steps[0].rationale == "guard-rails: ruff-check failed (2 findings)"


@pytest.mark.parametrize("content", [None, "{not json", '{"results": []}'])
def test_no_readable_kept_report_leaves_the_gates_step_unknown(
    repo: Path, content: str | None
) -> None:
    """No kept report, or one from another version, is no report: the step says how to get one."""
    if content is not None:
        kept = repo / ".hephaestus" / "guard-rails" / "latest.json"
        kept.parent.mkdir(parents=True)
        kept.write_text(content, encoding="utf-8")
    plan = build_plan(repo, section=SECTION, options=OPTIONS)
    gates = next(s for s in plan.steps if s.id == "gates")
    assert gates.status.value == "unknown"
    assert "run `hephaestus guard-rails`" in gates.rationale
