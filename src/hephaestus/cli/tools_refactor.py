"""``hephaestus tools refactor``: hotspots, rankings, opportunities, coupling."""

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
from hephaestus.cli.environment import Environment
from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.progress import progress_for
from hephaestus.cli.render import emit
from hephaestus.cli.tools_options import CoverageFile, Limit, NoStore, Paths, Since, prepare
from hephaestus.cli.tools_text import (
    coupling_text,
    hotspots_text,
    opportunities_text,
    rankings_text,
)

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
        bool, typer.Option("--trend", help="Show each score's change since the last snapshot.")
    ] = False,
    no_store: NoStore = False,
) -> None:
    """Files that change often and are complex: normalised revisions * normalised complexity.

    Revisions come from one git log pass (renames followed, large commits left out), complexity
    from the current tree. Each run is saved as a snapshot unless --no-store.
    """
    from hephaestus.analytics.reports import find_hotspots  # noqa: PLC0415  # lazy

    env: Environment = ctx.obj
    root, section, options = prepare(env, since=since, paths=path, store=not no_store)
    with progress_for(env, "hotspots") as progress:
        report = find_hotspots(
            root, section=section, options=options, limit=limit, trend=trend, progress=progress
        )
    emit(env, report, hotspots_text)


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
        RankingStrategy, typer.Option("--strategy", help="How the factors are weighed.")
    ] = RankingStrategy.risk_weighted,
    limit: Limit = None,
    since: Since = None,
    path: Paths = None,
    coverage: CoverageFile = None,
    no_store: NoStore = False,
) -> None:
    """Rank files by coverage gap, uncovered lines, line churn and complexity.

    The formulas are in the reference (docs/reference/analytics.md). Each row says which
    factors contributed; without coverage data the coverage factors are named as missing.
    """
    from hephaestus.analytics.reports import rank_files  # noqa: PLC0415

    env: Environment = ctx.obj
    root, section, options = prepare(
        env, since=since, paths=path, coverage=coverage, store=not no_store
    )
    with progress_for(env, "rankings") as progress:
        report = rank_files(
            root, section=section, options=options, strategy=strategy, limit=limit,
            progress=progress,
        )  # fmt: skip
    emit(env, report, rankings_text)


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

    Split complex, often-changed functions; add tests to often-changed, poorly covered files;
    split oversized modules. Thresholds are in [tool.hephaestus.analytics].
    """
    from hephaestus.analytics.reports import find_opportunities  # noqa: PLC0415

    env: Environment = ctx.obj
    root, section, options = prepare(
        env, since=since, paths=path, coverage=coverage, store=not no_store
    )
    with progress_for(env, "opportunities") as progress:
        report = find_opportunities(root, section=section, options=options, progress=progress)
    emit(env, report, opportunities_text)


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
            help="Revisions each file needs.  [default: 5]",
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
            help="Lowest coupling degree in percent.  [default: 30]",
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
    from hephaestus.analytics.reports import find_coupling  # noqa: PLC0415

    env: Environment = ctx.obj
    root, section, options = prepare(env, since=since, paths=path, store=not no_store)
    with progress_for(env, "coupling") as progress:
        report = find_coupling(
            root, section=section, options=options, min_revs=min_revs, min_degree=min_degree,
            progress=progress,
        )  # fmt: skip
    emit(env, report, coupling_text)
