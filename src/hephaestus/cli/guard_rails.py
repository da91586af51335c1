"""``hephaestus guard-rails``: run every quality gate at once, cached, and report for CI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from hephaestus.cli.environment import Environment
from hephaestus.cli.guard_rails_text import report_text, write_annotations
from hephaestus.cli.handler import Reported
from hephaestus.cli.live import live_results
from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.operation import default_note, invoke
from hephaestus.cli.render import emit
from hephaestus.core.errors import ExitCode, UsageError
from hephaestus.gates.models import GuardRailsReport
from hephaestus.gates.settings import GuardRailsSection

app = command_app()


@app.command("guard-rails")
@describe(
    output=GuardRailsReport,
    examples=[
        "hephaestus guard-rails",
        "hephaestus guard-rails --gate ruff-check --gate mypy --fix",
        "hephaestus guard-rails --sarif guard-rails.sarif --junit guard-rails.xml",
        "hephaestus --format json guard-rails --drift",
        "hephaestus guard-rails --write-baseline",
    ],
)
def guard_rails(
    ctx: typer.Context,
    gate: Annotated[
        list[str] | None,
        typer.Option("--gate", metavar="NAME", help="Run only this gate (repeatable)."),
    ] = None,
    skip: Annotated[
        list[str] | None,
        typer.Option("--skip", metavar="NAME", help="Do not run this gate (repeatable)."),
    ] = None,
    fix: Annotated[
        bool,
        typer.Option(
            "--fix", help="Apply ruff's fixes and formatting (nothing is written without it)."
        ),
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", min=1, metavar="N", help="Gates run at once.  [default: CPU cores]"
        ),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Run every gate, ignoring cached passes.")
    ] = False,
    fail_fast: Annotated[
        bool,
        typer.Option("--fail-fast", help="Start no more gates once a required gate fails."),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=0.001,
            metavar="SECONDS",
            help="Seconds each gate may run." + default_note(GuardRailsSection, "timeout"),
        ),
    ] = None,
    sarif: Annotated[
        Path | None,
        typer.Option("--sarif", metavar="FILE", dir_okay=False, help="Write a SARIF 2.1.0 report."),
    ] = None,
    junit: Annotated[
        Path | None,
        typer.Option("--junit", metavar="FILE", dir_okay=False, help="Write a JUnit XML report."),
    ] = None,
    github_annotations: Annotated[
        bool | None,
        typer.Option(
            "--github-annotations/--no-github-annotations",
            help="Print GitHub workflow annotations.  [default: on when GITHUB_ACTIONS=true]",
            show_default=False,
        ),
    ] = None,
    drift: Annotated[
        bool,
        typer.Option(
            "--drift", help="Also compare installed tool versions with the declared ones."
        ),
    ] = False,
    auto_remediate: Annotated[
        bool,
        typer.Option(
            "--auto-remediate",
            help="Run the drift remediation commands (implies --drift), then check again.",
        ),
    ] = False,
    python: Annotated[
        str | None,
        typer.Option(
            "--python",
            metavar="PATH",
            help="The project's interpreter or virtual environment, where its tests, mypy and "
            "pip-audit run.  [default: the active venv, .venv, or the project manager's]",
            show_default=False,
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            metavar="NAME",
            help="Apply a QA profile from [tool.hephaestus.analytics.profiles]: its gates must "
            "pass, its coverage goal is the pytest threshold, its strictness judges findings.",
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            metavar="FILE",
            dir_okay=False,
            help="Report and fail only on findings not in this baseline (entries whose finding "
            "is gone are reported as fixed).  [default: the configured baseline, else none]",
            show_default=False,
        ),
    ] = None,
    write_baseline: Annotated[
        bool,
        typer.Option(
            "--write-baseline",
            help="Record today's findings in the baseline (--baseline FILE, the configured one, "
            "else .hephaestus-baseline.json in the root, to commit), pruning fixed ones; exits 0 "
            "unless a gate could not run.",
        ),
    ] = False,
    changed_since: Annotated[
        str | None,
        typer.Option(
            "--changed-since",
            metavar="REF",
            help="Check only the files changed since the merge-base of REF and HEAD (committed, "
            "staged, unstaged, untracked-not-ignored): file-level gates (ruff, yamllint) get only "
            "those; the others check the whole project.",
        ),
    ] = None,
    files: Annotated[
        bool,
        typer.Option(
            "--files",
            help="Check only the FILE arguments (as pre-commit and prek pass the files to "
            "commit), like --changed-since.",
        ),
    ] = False,
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="FILE",
            help="Files (or directories) to check, with --files.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run all quality gates in parallel, cached, with CI reports.

    Gates (ruff-check, ruff-format, mypy, pytest with coverage, pip-audit, yamllint and plugins)
    come from the hephaestus.gates entry points and are configured in
    [tool.hephaestus.guard-rails]. Each runs only where the repository uses its tool (declared,
    configured or in a pre-commit hook) unless named with --gate, with the repository's own
    configuration, in the repository's own environment (--python, the active venv, .venv…);
    nothing is written without --fix. A gate whose inputs are unchanged since its last pass is
    reported as cached. Exits 0 when every required gate passed, 1 on findings or drift, 5 when a
    required gate could not run (no project environment, missing tool, crash, timeout,
    unreachable service), 2 when every gate was skipped in a whole-project run (nothing was
    checked), 130/143 when interrupted (the partial report is still written).
    With a baseline (--baseline, --write-baseline) only findings not in it are reported and
    count; a gate that failed on accepted findings only is reported as baselined.
    """
    env: Environment = ctx.obj
    fields = {
        "gates": gate,
        "skip": skip,
        "jobs": jobs,
        "cache": False if no_cache else None,
        "fail_fast": fail_fast,
        "timeout": timeout,
        "sarif": sarif,
        "junit": junit,
        "drift": drift,
        "auto_remediate": auto_remediate,
        "python": python,
        "profile": profile,
        "baseline": baseline,
        "write_baseline": write_baseline,
        "changed_since": changed_since,
        "files": _files(given=files, paths=paths),
    }
    name = "guard_rails_fix" if fix else "guard_rails"
    with live_results(env) as watch:
        report = invoke(
            ctx, name, fields, GuardRailsReport, progress=watch, flags={"gates": "--gate"}
        )
    annotate = github_annotations
    if annotate is None:
        annotate = os.environ.get("GITHUB_ACTIONS") == "true"
    if annotate:
        write_annotations(env, report)
    emit(env, report, report_text)
    if report.interrupted is not None:
        raise Reported(report.exit_code)  # the partial report is the output: no error line
    if report.exit_code != ExitCode.OK:
        raise typer.Exit(report.exit_code)


def _files(*, given: bool, paths: list[str] | None) -> tuple[str, ...] | None:
    """Return the ``files`` field: the FILE arguments with --files (none at all: no file).

    Raises:
        UsageError: FILE arguments without --files (exit 2).

    """
    if given:
        return tuple(paths or ())
    if paths:
        raise UsageError(
            f"unexpected argument {paths[0]!r}: name files to check with --files",
            hint="hephaestus guard-rails --files FILE...",
        )
    return None
