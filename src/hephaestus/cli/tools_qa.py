"""``hephaestus tools qa``: coverage gaps by risk, named QA profiles."""

from __future__ import annotations

from typing import Annotated

import typer

from hephaestus.analytics.models import CoverageGapReport
from hephaestus.analytics.profiles import ProfileList, QAProfile
from hephaestus.analytics.settings import AnalyticsSection
from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.operation import invoke
from hephaestus.cli.render import emit
from hephaestus.cli.tools_options import CoverageFile, NoStore, Paths, Since
from hephaestus.cli.tools_text import coverage_text, profile_text, show

app = command_app()
THRESHOLD = AnalyticsSection.model_fields["coverage_threshold"].default


@app.command("coverage")
@describe(
    output=CoverageGapReport,
    examples=["hephaestus tools qa coverage", "hephaestus tools qa coverage --target 0.9"],
)
def coverage_command(
    ctx: typer.Context,
    target: Annotated[
        float | None,
        typer.Option(
            "--target",
            min=0,
            max=1,
            metavar="X",
            help=f"Coverage goal as a fraction.  [default: coverage-threshold, {THRESHOLD}]",
            show_default=False,
        ),
    ] = None,
    coverage: CoverageFile = None,
    since: Since = None,
    path: Paths = None,
    no_store: NoStore = False,
) -> None:
    """Files under the coverage target, ordered by risk.

    risk = (target - coverage) * uncovered lines * (1 + revisions in the window). Without
    coverage data it says so, with how to get some.
    """
    fields = {
        "target": target, "coverage": coverage, "since": since, "paths": path,
        "no_store": no_store,
    }  # fmt: skip
    show(ctx, "tools_qa_coverage", fields, CoverageGapReport, coverage_text, label="coverage")


@app.command("profile")
@describe(
    output=(QAProfile, ProfileList),
    examples=["hephaestus tools qa profile"],
)
def profile(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="NAME", help="Profile to show.  [default: list them all]", show_default=False
        ),
    ] = None,
) -> None:
    """Show a named QA profile from [tool.hephaestus.analytics.profiles].

    A profile sets a coverage goal, the gates that must pass and the strictness. An unknown
    name exits 2 listing the known ones; without a name, every profile is listed.
    """
    if name is None:
        listing = invoke(ctx, "tools_qa_profile", {}, ProfileList, label="profiles")
        emit(ctx.obj, listing, profile_text)
        return
    one = invoke(ctx, "tools_qa_profile", {"name": name}, QAProfile, label="profile")
    emit(ctx.obj, one, profile_text)
