"""``hephaestus tools refactor functions``: function hotspots (registered by tools_refactor)."""

from __future__ import annotations

from typing import Annotated

import typer

from hephaestus.analytics.function_models import FunctionHotspotReport
from hephaestus.analytics.functions_operation import DEFAULT_TOP
from hephaestus.cli.meta import describe
from hephaestus.cli.render import Block, Line, Table
from hephaestus.cli.tools_options import NoStore, Paths, Since
from hephaestus.cli.tools_team_text import window_line
from hephaestus.cli.tools_text import escaping, missing_lines, show


@escaping
def functions_text(report: FunctionHotspotReport) -> list[Block]:
    """Render the changed functions of the top hotspot files, highest score first."""
    rows = [
        [str(f.score), str(f.commits), str(f.file_commits), str(f.complexity),
         f"{f.path}:{f.line}", f.function]
        for f in report.functions
    ]  # fmt: skip
    head = Line(f"functions of the top {len(report.files)} hotspot file(s)", style="dim")
    body: list[Block] = (
        [Table(["score", "commits", "file commits", "complexity", "where", "function"], rows)]
        if rows
        else [Line("no changed functions")]
    )
    return [window_line(report.window), head, *body, *missing_lines(report.missing)]


@describe(
    output=FunctionHotspotReport,
    examples=["hephaestus tools refactor functions", "hephaestus tools refactor functions --top 3"],
)
def functions_command(
    ctx: typer.Context,
    top: Annotated[
        int | None,
        typer.Option(
            "--top",
            min=1,
            metavar="N",
            help=f"Top hotspot files read.  [default: {DEFAULT_TOP}]",
            show_default=False,
        ),
    ] = None,
    since: Since = None,
    path: Paths = None,
    no_store: NoStore = False,
) -> None:
    """Functions of the top hotspot files: commits that changed each * its complexity.

    One extra git log, limited to those files, names each hunk's enclosing def with git's
    Python hunk headers; approximate (see docs/reference/analytics.md).
    """
    fields = {"top": top, "since": since, "paths": path, "no_store": no_store}
    show(
        ctx,
        "tools_refactor_functions",
        fields,
        FunctionHotspotReport,
        functions_text,
        label="functions",
    )
