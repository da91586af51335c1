"""``hephaestus plan``: a prioritised rollout plan from the repository's own data."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Final

import typer

from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.operation import invoke
from hephaestus.cli.render import Block, Line, Table, emit
from hephaestus.cli.tools_options import CoverageFile, Since
from hephaestus.cli.tools_text import escaping, missing_lines, spelt, spelt_hint
from hephaestus.core.errors import UsageError
from hephaestus.planning.models import Plan
from hephaestus.planning.operation import SIMULATED, check_simulated

SHOWN = 10
NUMBER: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")
"""A plain decimal: no sign, no exponent, no spaces, no ``nan``, ASCII digits only."""

app = command_app()


def parse_simulate(pairs: list[str]) -> dict[str, float]:
    """Parse ``--simulate KEY=VALUE`` strictly: exact keys, plain decimals, each key once.

    Raises:
        UsageError: a pair is malformed, names an unknown key twice or has a bad value (exit 2).

    """
    keys = f"keys: {', '.join(SIMULATED)}"
    settings: dict[str, float] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise UsageError(f"--simulate {pair!r}: expected KEY=VALUE", hint=keys)
        if key not in SIMULATED:
            raise UsageError(f"--simulate {pair!r}: unknown key {key!r}", hint=keys)
        if key in settings:
            raise UsageError(f"--simulate {pair!r}: {key} given twice", hint="give each key once")
        if not NUMBER.fullmatch(raw):
            raise UsageError(f"--simulate {pair!r}: {raw!r} is not a number", hint=SIMULATED[key])
        try:
            check_simulated(key, float(raw))
        except ValueError as exc:
            raise UsageError(f"--simulate {pair!r}: {exc}", hint=SIMULATED[key]) from None
        settings[key] = float(raw)
    return settings


def _spelt(plan: Plan) -> Plan:
    """Spell the request fields of step rationales and hints as this command's flags."""
    steps = tuple(s.model_copy(update={"rationale": spelt_hint(s.rationale)}) for s in plan.steps)
    return spelt(plan.model_copy(update={"steps": steps}))


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
    fields = {
        "simulate": parse_simulate(simulate or []),
        "guard_rails": guard_rails,
        "coverage": coverage,
        "since": since,
    }
    result = invoke(ctx, "plan", fields, Plan, label="plan")
    emit(ctx.obj, _spelt(result), _text)
