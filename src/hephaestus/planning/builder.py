"""Build the rollout plan from the latest analysis and, when given, a guard-rails report.

Steps, by priority: make the gates pass, remove tool drift, raise coverage to the goal, split
the complex functions that changed in often-changed files, split oversized modules. A step whose
data is missing is ``unknown`` and says how to get the data; nothing is assumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from pydantic import ValidationError

from hephaestus.analytics.coverage import MISSING_HINT
from hephaestus.analytics.functions import changed_functions
from hephaestus.analytics.models import Effort, OpportunityKind
from hephaestus.analytics.rank import (
    coverage_gaps,
    opportunities,
    split_candidates,
    total_coverage,
)
from hephaestus.analytics.reports import analyse
from hephaestus.core.errors import UsageError, field_ref
from hephaestus.core.progress import NO_PROGRESS, Progress
from hephaestus.gates.latest import latest_report_path
from hephaestus.gates.models import DriftVerdict, GateStatus, GuardRailsReport
from hephaestus.planning.models import Plan, PlanStep, Simulation, StepChange, StepStatus

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from hephaestus.analytics.analysis import AnalysisOptions, Inputs
    from hephaestus.analytics.settings import AnalyticsSection

REPORT_HINT: Final = (
    "run `hephaestus guard-rails` (it keeps its latest report in .hephaestus/guard-rails/), or "
    f"save its JSON report to a file and pass {field_ref('guard_rails')} FILE"
)
_GIVEN: Final = field_ref("guard_rails")


@dataclass(frozen=True, slots=True)
class Draft:
    """A step before ordering."""

    id: str
    title: str
    rationale: str
    files: tuple[str, ...]
    effort: Effort | None
    status: StepStatus


def read_guard_rails(path: Path, *, cwd: Path | None = None) -> GuardRailsReport:
    """Read a guard-rails report saved as JSON (its result model, :class:`GuardRailsReport`).

    A relative ``path`` is read from ``cwd`` (default: the process's working directory) and
    named in errors as given.

    Raises:
        UsageError: the file is missing or is not such a report (exit 2).

    """
    try:
        return GuardRailsReport.model_validate_json((cwd / path if cwd else path).read_bytes())
    except OSError as exc:
        raise UsageError(f"{_GIVEN} {path}: {exc.strerror}", hint=REPORT_HINT) from None
    except ValidationError:
        raise UsageError(
            f"{_GIVEN} {path}: not a guard-rails JSON report", hint=REPORT_HINT
        ) from None


def _kept_report(root: Path) -> GuardRailsReport | None:
    """Return the latest report guard-rails kept for ``root``, if there is a readable one."""
    try:
        return GuardRailsReport.model_validate_json(latest_report_path(root).read_bytes())
    except (OSError, ValidationError):  # none yet, or from another version: as if none
        return None


def _size(count: int, small: int, medium: int) -> Effort:
    if count <= small:
        return Effort.small
    return Effort.medium if count <= medium else Effort.large


def _gates(report: GuardRailsReport | None) -> Draft:
    if report is None:
        return Draft(
            "gates",
            "make the quality gates pass",
            f"no guard-rails result: {REPORT_HINT}",
            (),
            None,
            StepStatus.unknown,
        )
    bad = [
        r
        for r in report.results
        if r.required and r.status in {GateStatus.failed, GateStatus.could_not_run}
    ]
    if not bad:
        return Draft(
            "gates",
            "make the quality gates pass",
            "every required gate passed",
            (),
            None,
            StepStatus.done,
        )
    reasons = [
        f"{r.name} {r.status.value}" + (f" ({r.finding_count} findings)" if r.findings else "")
        for r in bad
    ]
    files = sorted({f.path for r in bad for f in r.findings if f.path})
    findings = sum(r.finding_count for r in bad)
    return Draft(
        "gates",
        "make the quality gates pass",
        "guard-rails: " + ", ".join(reasons),
        tuple(files),
        _size(findings, 10, 50),
        StepStatus.todo,
    )


def _drift(report: GuardRailsReport | None) -> Draft:
    title = "align tool versions with their declarations"
    if report is None or report.drift is None:
        return Draft(
            "drift",
            title,
            "no drift result: run guard-rails with its drift check",
            (),
            None,
            StepStatus.unknown,
        )
    drifted = [
        e
        for e in report.drift.entries
        if e.verdict not in {DriftVerdict.ok, DriftVerdict.undeclared}
    ]
    if not drifted:
        return Draft("drift", title, "no tool drifted", (), None, StepStatus.done)
    text = ", ".join(f"{e.tool} {e.verdict.value}" for e in drifted)
    return Draft(
        "drift", title, f"guard-rails drift check: {text}", (), Effort.small, StepStatus.todo
    )


def _coverage(inputs: Inputs, goal: float) -> Draft:
    title = f"raise coverage to {goal:.0%}"
    if inputs.coverage is None:
        return Draft(
            "coverage",
            title,
            f"no coverage data: {MISSING_HINT}",
            (),
            None,
            StepStatus.unknown,
        )
    gaps = coverage_gaps(inputs, target=goal)
    total = total_coverage(inputs)
    overall = f"total {total:.1%}" if total is not None else "no measured statements"
    if not gaps:
        return Draft(
            "coverage",
            title,
            f"every file reaches {goal:.0%} ({overall})",
            (),
            None,
            StepStatus.done,
        )
    uncovered = sum(g.uncovered for g in gaps)
    text = (
        f"{len(gaps)} files under {goal:.0%} ({overall}), {uncovered} uncovered lines; "
        "ordered by risk"
    )
    return Draft(
        "coverage",
        title,
        text,
        tuple(g.path for g in gaps),
        _size(uncovered, 50, 250),
        StepStatus.todo,
    )


_SHOWN = 5  # suggestions a refactoring step names; the rest are counted


def _unmeasured(inputs: Inputs, kind: OpportunityKind) -> str | None:
    """Why "nothing found" is no evidence for ``kind``, or ``None`` when it is."""
    factors = {"complexity"} | ({"history"} if kind is OpportunityKind.split_function else set())
    said = [m for m in inputs.missing if m.factor in factors]
    if not said:
        return None
    hints = "; ".join(dict.fromkeys(m.hint for m in said if m.hint))
    return f"not checked: {said[0].message}" + (f" ({hints})" if hints else "")


def _refactor(
    inputs: Inputs,
    goal: float,
    kind: OpportunityKind,
    title: str,
    changed: Mapping[tuple[str, str], int],
) -> Draft:
    found = [o for o in opportunities(inputs, threshold=goal, changed=changed) if o.kind is kind]
    if not found:
        why = _unmeasured(inputs, kind)
        if why is not None:  # a window without commits, a cut history: no evidence of "done"
            return Draft(kind.value + "s", title, why, (), None, StepStatus.unknown)
        return Draft(
            kind.value + "s", title, "nothing above the thresholds", (), None, StepStatus.done
        )
    effort = max((o.effort for o in found), key=list(Effort).index)
    files = tuple(dict.fromkeys(o.path for o in found))
    shown = found[:_SHOWN]
    text = "; ".join(o.title for o in shown) + (
        f"; and {len(found) - len(shown)} more" if len(found) > len(shown) else ""
    )
    return Draft(kind.value + "s", title, text, files, effort, StepStatus.todo)


def _drafts(inputs: Inputs, report: GuardRailsReport | None, goal: float) -> list[Draft]:
    changed = changed_functions(inputs, split_candidates(inputs))  # each function's own commits
    return [
        _gates(report),
        _drift(report),
        _coverage(inputs, goal),
        _refactor(
            inputs, goal, OpportunityKind.split_function,
            "split complex functions of often-changed files", changed,
        ),
        _refactor(inputs, goal, OpportunityKind.split_module, "split oversized modules", changed),
    ]  # fmt: skip


def _order(drafts: list[Draft]) -> tuple[PlanStep, ...]:
    rank = {StepStatus.todo: 0, StepStatus.unknown: 1, StepStatus.done: 2}
    ordered = sorted(enumerate(drafts), key=lambda item: (rank[item[1].status], item[0]))
    return tuple(
        PlanStep(
            order=i,
            id=d.id,
            title=d.title,
            rationale=d.rationale,
            files=d.files,
            effort=d.effort,
            status=d.status,
        )
        for i, (_, d) in enumerate(ordered, start=1)
    )


def _changes(before: list[Draft], after: list[Draft]) -> list[StepChange]:
    changes = []
    for old, new in zip(before, after, strict=True):
        parts = []
        if old.status is not new.status:
            parts.append(f"status {old.status.value} -> {new.status.value}")
        added = [f for f in new.files if f not in old.files]
        dropped = [f for f in old.files if f not in new.files]
        if added:
            parts.append("adds " + ", ".join(added))
        if dropped:
            parts.append("drops " + ", ".join(dropped))
        if parts:
            changes.append(StepChange(step=new.id, detail="; ".join(parts)))
    return changes


def build_plan(  # noqa: PLR0913  # keyword-only inputs, each with a default
    root: Path,
    *,
    section: AnalyticsSection,
    options: AnalysisOptions,
    guard_rails: Path | None = None,
    simulate: Mapping[str, float] | None = None,
    cwd: Path | None = None,
    progress: Progress = NO_PROGRESS,
) -> Plan:
    """Build the plan; with ``simulate``, the plan under those settings and what changes.

    ``simulate`` holds checked values (:class:`~hephaestus.planning.operation.PlanRequest`
    checks them). A relative ``guard_rails`` is read from ``cwd`` (default: the working
    directory of the process) and named in the plan as given.

    Raises:
        UsageError: not a git repository, a bad coverage file or guard-rails report (exit 2).

    """
    if guard_rails is not None:
        report: GuardRailsReport | None = read_guard_rails(guard_rails, cwd=cwd)
    else:
        report = _kept_report(root)
    inputs = analyse(root, section=section, options=options, progress=progress)
    goal = section.coverage_threshold
    current = _drafts(inputs, report, goal)
    simulation = None
    steps = current
    if simulate:
        updates = {k.replace("-", "_"): int(v) for k, v in simulate.items() if k != "coverage"}
        goal = simulate.get("coverage", goal)
        inputs.section = section.model_copy(update={**updates, "coverage_threshold": goal})
        steps = _drafts(inputs, report, goal)
        short = tuple(g.path for g in coverage_gaps(inputs, target=goal)) if inputs.coverage else ()
        simulation = Simulation(
            settings=dict(simulate), falls_short=short, changes=tuple(_changes(current, steps))
        )
    return Plan(
        window=inputs.window,
        coverage_goal=goal,
        coverage_source=inputs.coverage.source if inputs.coverage else None,
        guard_rails_source=str(guard_rails) if guard_rails else None,
        steps=_order(steps),
        simulation=simulation,
        missing=tuple(inputs.missing),
    )
