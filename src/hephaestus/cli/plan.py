"""``hephaestus plan``: a prioritised rollout plan from the repository's own data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hephaestus.cli.environment import Environment
from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.render import Block, Line, Table, emit
from hephaestus.cli.tools_options import CoverageFile, Since, prepare
from hephaestus.cli.tools_text import escaping, missing_lines
from hephaestus.planning.models import Plan

SHOWN = 10

app = command_app()


@escaping
def _text(plan: Plan) -> list[Block]:
    rows = [
        [
            str(s.order),
            s.status.value,
            s.effort.value if s.effort else "-",
            s.title,
            s.rationale,
        ]
        for s in plan.steps
    ]
    blocks: list[Block] = [Table(["#", "status", "effort", "step", "why"], rows)]
    for step in plan.steps:
        if step.files:
            shown = ", ".join(step.files[:SHOWN]) + (" …" if len(step.files) > SHOWN else "")
            blocks.append(Line(f"{step.id}: {shown}", style="dim"))
    if plan.simulation is not None:
        settings = ", ".join(f"{k}={v:g}" for k, v in plan.simulation.settings.items())
        blocks.append(Line(f"simulated {settings}", style="bold"))
        short = ", ".join(plan.simulation.falls_short) or "none"
        blocks.append(Line(f"files that would fall short: {short}"))
        blocks += [Line(f"  {c.step}: {c.detail}") for c in plan.simulation.changes]
        if not plan.simulation.changes:
            blocks.append(Line("  the plan would not change"))
    return blocks + missing_lines(plan.missing)


@app.command("plan")
@describe(
    output=Plan,
    examples=["hephaestus plan", "hephaestus plan --simulate coverage=0.9"],
)
def plan(
    ctx: typer.Context,
    simulate: Annotated[
        list[str] | None,
        typer.Option(
            "--simulate",
            metavar="KEY=VALUE",
            help="Plan as if a setting were different: coverage, complex-function, large-module "
            "(repeatable).",
        ),
    ] = None,
    guard_rails: Annotated[
        Path | None,
        typer.Option(
            "--guard-rails",
            metavar="FILE",
            dir_okay=False,
            help="A report saved by `hephaestus --format json guard-rails` (gates and drift).  "
            "[default: the latest run's, kept in .hephaestus/guard-rails/latest.json]",
        ),
    ] = None,
    coverage: CoverageFile = None,
    since: Since = None,
) -> None:
    """Show a prioritised rollout plan from analytics and gates.

    Steps, by priority: gates, drift, coverage, then refactoring.
    Built from the current analysis and the latest guard-rails report: ordered steps, each
    with rationale, files, effort and status. --simulate coverage=0.9 shows which files would
    fall short and how the plan changes.
    """
    from hephaestus.planning import build_plan, parse_simulation  # noqa: PLC0415  # lazy

    env: Environment = ctx.obj
    settings = parse_simulation(simulate or [])
    root, section, options = prepare(env, since=since, coverage=coverage)
    result = build_plan(
        root, section=section, options=options, guard_rails=guard_rails, simulate=settings
    )
    emit(env, result, _text)
