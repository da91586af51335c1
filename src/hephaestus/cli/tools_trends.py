"""``hephaestus tools refactor trends``: stored trends (registered by tools_refactor)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from hephaestus.analytics.trend_models import TrendReport
from hephaestus.cli.charts import scale, sparkline
from hephaestus.cli.meta import describe
from hephaestus.cli.render import Block, Line
from hephaestus.cli.tools_options import Limit, Since
from hephaestus.cli.tools_text import escaping, missing_lines, show, table

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


def _line(points: Sequence[float | None], shown: Callable[[float], str]) -> list[str]:
    """First, last, change and sparkline of the measured ``points`` (``-`` when none)."""
    values = [p for p in points if p is not None]
    if not values:
        return ["-", "-", "-", ""]
    change = values[-1] - values[0]
    sign = "+" if change > 0 else ""
    return [
        shown(values[0]),
        shown(values[-1]),
        sign + shown(change),
        sparkline(values, top=scale(values)),
    ]


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _share(value: float) -> str:
    return f"{value:.1%}"


@escaping
def trends_text(report: TrendReport) -> list[Block]:
    """Render the repository's measures and the chosen files', first to last, with sparklines."""
    points = report.repository
    head = Line(
        f"trends since {report.since}: {report.snapshots} snapshot(s), "
        f"{len(points)} analysed commit(s)",
        style="dim",
    )
    measures = [
        ["files", *_line([p.files for p in points], _count)],
        ["functions", *_line([p.functions for p in points], _count)],
        ["complexity", *_line([p.complexity for p in points], _count)],
        ["commits in window", *_line([p.commits for p in points], _count)],
        ["coverage", *_line([p.coverage for p in points], _share)],
    ]
    blocks: list[Block] = [head]
    if points:
        blocks.append(table(["repository", "first", "last", "change", ""], measures))
    rows = [
        [
            f.path,
            *_line([p.score for p in f.points], lambda v: f"{v:.3f}")[1:],
            *_line([p.complexity for p in f.points], _count)[1:],
            *_line([p.coverage for p in f.points], _share)[1:2],
        ]
        for f in report.files
    ]
    columns = ["path", "score", "Δ score", "", "complexity", "Δ complexity", "", "coverage"]
    if rows:
        blocks.append(table(columns, rows))
    return [*blocks, *missing_lines(report.missing)]


@describe(
    output=TrendReport,
    examples=[
        "hephaestus tools refactor trends",
        "hephaestus tools refactor trends --path 'src/pkg/core.py'",
    ],
)
def trends_command(
    ctx: typer.Context,
    since: Since = None,
    path: Annotated[
        list[str] | None,
        typer.Option(
            "--path",
            metavar="GLOB",
            help="Show these files' trends (repeatable; default: the latest hotspots' top files).",
        ),
    ] = None,
    limit: Limit = None,
) -> None:
    """How the repository and its top files moved, from the stored snapshots of this window.

    Reads only what hotspots and rankings stored (one point per analysed commit): complexity,
    functions and files, coverage when a rankings run read it, and each file's hotspot score.
    Measures nothing and writes nothing.
    """
    fields = {"since": since, "paths": path, "limit": limit}
    show(ctx, "tools_refactor_trends", fields, TrendReport, trends_text, label="trends")
