"""``hephaestus tools refactor report``: every refactor analysis, optionally as offline HTML."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from hephaestus.analytics.overview import RefactorOverview
from hephaestus.cli.meta import describe
from hephaestus.cli.operation import invoke
from hephaestus.cli.render import Block, Fields, Line, emit, human_bytes
from hephaestus.cli.tools_options import SPELLING, CoverageFile, NoStore, Paths, Since
from hephaestus.cli.tools_text import missing_lines, spelt
from hephaestus.core.errors import UsageError

HtmlFile = Annotated[
    Path | None,
    typer.Option(
        "--html",
        metavar="FILE",
        dir_okay=False,
        help="Write the report as one self-contained HTML file (needs the report extra).",
    ),
]


def write_report(report: RefactorOverview, target: Path) -> int:
    """Write ``report`` as HTML to ``target``; return its size in bytes.

    Raises:
        UsageError: the file cannot be written (exit 2).
        ExternalError: plotly is not installed (exit 5).

    """
    from hephaestus.cli.report_html import render_html  # noqa: PLC0415  # plotly: only here

    folder = target.resolve().parent
    base = os.path.relpath(report.root, folder).replace(os.sep, "/") + "/"
    title = f"Where to refactor: {Path(report.root).name}"
    data = render_html(report, title=title, base="" if base == "./" else base).encode()
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise UsageError(
            f"{target}: cannot write the report ({exc.strerror})",
            hint="name a file in a folder that exists and is writable",
        ) from exc
    return len(data)


def _text(report: RefactorOverview, written: str | None) -> list[Block]:
    """Say what the report holds, and where the HTML went."""
    fields = [
        ("files", str(len(report.files))),
        ("commits", str(report.window.commits)),
        ("coupled pairs", str(len(report.coupling))),
        ("owned directories", str(len(report.ownership))),
        ("snapshots", str(len(report.trends))),
        ("coverage html", report.coverage_index or "-"),
    ]
    blocks: list[Block] = [Fields(fields)]
    if written:
        blocks.append(Line(written))
    else:
        blocks.append(Line("give --html FILE to draw it as an offline HTML report", style="dim"))
    return [*blocks, *missing_lines(report.missing)]


@describe(
    output=RefactorOverview,
    examples=["hephaestus tools refactor report --html refactor-report.html"],
)
def report_command(
    ctx: typer.Context,
    html_file: HtmlFile = None,
    since: Since = None,
    path: Paths = None,
    coverage: CoverageFile = None,
    no_store: NoStore = False,
) -> None:
    """Hotspot map, revisions x complexity, functions, trends, coupling, owners in one overview.

    With --html FILE the overview is drawn as one self-contained HTML file (plotly inlined, no
    network needed to view it): click a file to see its functions; htmlcov/ is linked when
    present. Each run stores a hotspots snapshot (the trends) unless --no-store.
    """
    fields = {"since": since, "paths": path, "coverage": coverage, "no_store": no_store}
    report = spelt(
        invoke(
            ctx, "tools_refactor_report", fields, RefactorOverview, label="report", flags=SPELLING
        )
    )
    written = None
    if html_file is not None:
        size = write_report(report, html_file)
        written = f"wrote {html_file} ({human_bytes(size)})"
    emit(ctx.obj, report, lambda r: _text(r, written))
