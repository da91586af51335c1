"""``hephaestus tools refactor``: hotspots, rankings, opportunities, coupling, soc, functions."""

from __future__ import annotations

from typing import Annotated

import typer

from hephaestus.analytics.models import (
    CouplingReport,
    HotspotReport,
    OpportunityReport,
    RankingReport,
    RankingStrategy,
)
from hephaestus.analytics.requests import RankingsRequest
from hephaestus.analytics.settings import AnalyticsSection
from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.operation import default_note
from hephaestus.cli.tools_functions import functions_command
from hephaestus.cli.tools_options import CoverageFile, Limit, NoStore, Paths, Since
from hephaestus.cli.tools_report import report_command
from hephaestus.cli.tools_soc import soc_command
from hephaestus.cli.tools_text import (
    coupling_text,
    hotspots_text,
    opportunities_text,
    rankings_text,
    show,
)
from hephaestus.cli.tools_trends import trends_command

app = command_app()


@app.command("hotspots")
@describe(
    output=HotspotReport,
    examples=["hephaestus tools refactor hotspots", "hephaestus tools refactor hotspots --trend"],
)
def hotspots(
    ctx: typer.Context,
    limit: Limit = None,
    since: Since = None,
    path: Paths = None,
    trend: Annotated[
        bool,
        typer.Option(
            "--trend", help="Show each score's change since the last snapshot of the same window."
        ),
    ] = False,
    no_store: NoStore = False,
) -> None:
    """Files that change often and are complex: normalised revisions * normalised complexity.

    Revisions come from one git log pass (renames followed, large commits left out), complexity
    from the current tree. Each run is saved as a snapshot unless --no-store; with stored
    snapshots of the same window the text output draws each file's score history as a sparkline.
    """
    fields = {"limit": limit, "since": since, "paths": path, "trend": trend, "no_store": no_store}
    show(ctx, "tools_refactor_hotspots", fields, HotspotReport, hotspots_text, label="hotspots")


@app.command("rankings")
@describe(
    output=RankingReport,
    examples=[
        "hephaestus tools refactor rankings",
        "hephaestus tools refactor rankings --strategy composite --limit 5",
    ],
)
def rankings(
    ctx: typer.Context,
    strategy: Annotated[
        RankingStrategy | None,
        typer.Option(
            "--strategy",
            help="How the factors are weighed." + default_note(RankingsRequest, "strategy"),
            show_default=False,
        ),
    ] = None,
    limit: Limit = None,
    since: Since = None,
    path: Paths = None,
    coverage: CoverageFile = None,
    no_store: NoStore = False,
) -> None:
    """Rank files by coverage gap, uncovered lines, line churn and complexity.

    The formulas are in the reference (docs/reference/analytics.md). Each row says which
    factors contributed; without coverage data the coverage factors are named as missing.
    Equal scores are ordered by changed lines, then commits (most first), then path.
    """
    fields = {
        "strategy": strategy, "limit": limit, "since": since, "paths": path,
        "coverage": coverage, "no_store": no_store,
    }  # fmt: skip
    show(ctx, "tools_refactor_rankings", fields, RankingReport, rankings_text, label="rankings")


@app.command("opportunities")
@describe(output=OpportunityReport, examples=["hephaestus tools refactor opportunities"])
def opportunities_command(
    ctx: typer.Context,
    since: Since = None,
    path: Paths = None,
    coverage: CoverageFile = None,
    no_store: NoStore = False,
) -> None:
    """Concrete suggestions with an effort estimate and their evidence.

    Split complex functions that changed in often-changed files; add tests to often-changed,
    poorly covered files; split oversized modules. Thresholds are in [tool.hephaestus.analytics].
    """
    fields = {"since": since, "paths": path, "coverage": coverage, "no_store": no_store}
    show(
        ctx,
        "tools_refactor_opportunities",
        fields,
        OpportunityReport,
        opportunities_text,
        label="opportunities",
    )


@app.command("coupling")
@describe(
    output=CouplingReport,
    examples=["hephaestus tools refactor coupling --min-revs 3 --min-degree 50"],
)
def coupling_command(
    ctx: typer.Context,
    min_revs: Annotated[
        int | None,
        typer.Option(
            "--min-revs",
            min=1,
            metavar="N",
            help="Revisions each file needs." + default_note(AnalyticsSection, "coupling_min_revs"),
            show_default=False,
        ),
    ] = None,
    min_degree: Annotated[
        float | None,
        typer.Option(
            "--min-degree",
            min=0,
            max=100,
            metavar="P",
            help="Lowest coupling degree in percent."
            + default_note(AnalyticsSection, "coupling_min_degree"),
            show_default=False,
        ),
    ] = None,
    since: Since = None,
    path: Paths = None,
    no_store: NoStore = False,
) -> None:
    """Files that change together: shared commits / mean revisions * 100 (code-maat's degree).

    Commits changing more files than coupling-max-changeset are left out.
    """
    fields = {
        "min_revs": min_revs, "min_degree": min_degree, "since": since, "paths": path,
        "no_store": no_store,
    }  # fmt: skip
    show(ctx, "tools_refactor_coupling", fields, CouplingReport, coupling_text, label="coupling")


app.command("report")(report_command)
app.command("soc")(soc_command)
app.command("functions")(functions_command)
app.command("trends")(trends_command)
