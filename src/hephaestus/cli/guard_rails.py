"""``hephaestus guard-rails``: run every quality gate at once, cached, and report for CI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from hephaestus.cli.environment import Environment, OutputFormat
from hephaestus.cli.guard_rails_text import report_text
from hephaestus.cli.handler import Reported
from hephaestus.cli.live import live_results
from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.render import emit
from hephaestus.configuration import HephaestusConfig
from hephaestus.core.config import find_repository_root
from hephaestus.core.errors import ExitCode, UsageError
from hephaestus.gates.models import GuardRailsReport
from hephaestus.gates.runner import GuardRailsOptions, ProfileOptions, run_guard_rails
from hephaestus.gates.settings import Strictness

app = command_app()


def _profile(config: HephaestusConfig, name: str | None) -> ProfileOptions | None:
    """Resolve ``--profile NAME`` from [tool.hephaestus.analytics.profiles] (exit 2 if unknown)."""
    if name is None:
        return None
    from hephaestus.analytics.profiles import resolve_profile  # noqa: PLC0415  # only with --profile

    profile = resolve_profile(config.analytics, name)
    return ProfileOptions(
        name=profile.name,
        gates=profile.gates,
        coverage_threshold=round(profile.coverage_goal * 100, 6),
        lenient=profile.strictness is Strictness.lenient,
        strict=profile.strictness is Strictness.strict,
    )


def _writable(path: Path | None, option: str) -> None:
    if path is not None and not path.parent.is_dir():
        raise UsageError(
            f"{option} {path}: directory {path.parent} does not exist",
            hint="create the directory or choose another path",
        )


def _write_reports(
    env: Environment,
    report: GuardRailsReport,
    sarif: Path | None,
    junit: Path | None,
    annotate: bool,
) -> None:
    from hephaestus.core.metadata import package_version  # noqa: PLC0415

    try:
        if sarif is not None:
            from hephaestus.gates.reports.sarif import write_sarif  # noqa: PLC0415  # when asked

            option, path = "--sarif", sarif
            write_sarif(report, sarif, version=package_version())
        if junit is not None:
            from hephaestus.gates.reports.junit import write_junit  # noqa: PLC0415

            option, path = "--junit", junit
            write_junit(report, junit)
    except OSError as exc:
        raise UsageError(
            f"{option} {path}: cannot write it: {exc.strerror}", hint="choose a writable path"
        ) from exc
    if annotate:
        from hephaestus.gates.reports.annotations import to_annotations  # noqa: PLC0415

        # GitHub reads workflow commands from either stream; stdout stays one JSON document.
        stream = env.stderr if env.format is OutputFormat.json else env.stdout
        stream.write("".join(line + "\n" for line in to_annotations(report)))
        stream.flush()


@app.command("guard-rails")
@describe(
    output=GuardRailsReport,
    examples=[
        "hephaestus guard-rails",
        "hephaestus guard-rails --gate ruff-check --gate mypy --fix",
        "hephaestus guard-rails --sarif guard-rails.sarif --junit guard-rails.xml",
        "hephaestus --format json guard-rails --drift",
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
            help="Seconds each gate may run.  [default: 900]",
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
    unreachable service), 130/143 when interrupted (the partial report is still written).
    """
    env: Environment = ctx.obj
    root = find_repository_root(Path.cwd())
    config = env.load_config(root)
    _writable(sarif, "--sarif")
    _writable(junit, "--junit")
    options = GuardRailsOptions(
        gates=tuple(gate or ()),
        skip=tuple(skip or ()),
        fix=fix,
        jobs=jobs,
        cache=not no_cache,
        fail_fast=fail_fast,
        timeout=timeout,
        drift=drift or auto_remediate,
        auto_remediate=auto_remediate,
        profile=_profile(config, profile),
        python=python,
    )
    with live_results(env) as watch:
        report = run_guard_rails(
            root,
            options=options,
            section=config.guard_rails,
            on_start=watch.started,
            on_result=watch.finished,
        )
    annotate = github_annotations
    if annotate is None:
        annotate = os.environ.get("GITHUB_ACTIONS") == "true"
    _write_reports(env, report, sarif, junit, annotate)
    emit(env, report, report_text)
    if report.interrupted is not None:
        raise Reported(report.exit_code)  # the partial report is the output: no error line
    if report.exit_code != ExitCode.OK:
        raise typer.Exit(report.exit_code)
