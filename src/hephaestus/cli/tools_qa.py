"""``hephaestus tools qa``: coverage gaps by risk, named QA profiles."""

from __future__ import annotations

from typing import Annotated

import typer

from hephaestus.analytics.models import CoverageGapReport
from hephaestus.analytics.profiles import ProfileList, QAProfile
from hephaestus.cli.environment import Environment
from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.render import emit
from hephaestus.cli.tools_options import CoverageFile, NoStore, Paths, Since, prepare
from hephaestus.cli.tools_text import coverage_text, profile_text

app = command_app()


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
            help="Coverage goal as a fraction.  [default: coverage-threshold, 0.8]",
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
    from hephaestus.analytics.reports import find_coverage_gaps  # noqa: PLC0415  # lazy

    env: Environment = ctx.obj
    root, section, options = prepare(
        env, since=since, paths=path, coverage=coverage, store=not no_store
    )
    report = find_coverage_gaps(root, section=section, options=options, target=target)
    emit(env, report, coverage_text)


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
    from pathlib import Path  # noqa: PLC0415

    from hephaestus.analytics.profiles import list_profiles, resolve_profile  # noqa: PLC0415
    from hephaestus.core.config import find_repository_root  # noqa: PLC0415

    env: Environment = ctx.obj
    section = env.load_config(find_repository_root(Path.cwd())).analytics
    result = resolve_profile(section, name) if name is not None else list_profiles(section)
    emit(env, result, profile_text)
