"""The guard-rails operations: the request, how configuration applies, the check and the fix.

``check`` runs every selected gate and writes nothing in the repository but hephaestus' own
state (cache, latest report) and the SARIF and JUnit files asked for; ``fix`` first lets the
gates that can fix (ruff's fixes and formatting) rewrite the project's files, then checks.
Both return the same :class:`~hephaestus.gates.models.GuardRailsReport`; an interrupted or
cancelled run returns its partial report (``interrupted`` set), report files included.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path  # noqa: TC003  # pydantic reads it
from typing import TYPE_CHECKING

from pydantic import Field

from hephaestus.analytics.settings import AnalyticsSection
from hephaestus.core.errors import UsageError, field_ref
from hephaestus.core.request import Request
from hephaestus.gates.baseline import DEFAULT_FILE as DEFAULT_BASELINE
from hephaestus.gates.baseline import BaselineOptions, write_recorded
from hephaestus.gates.changes import changed_since, named_files
from hephaestus.gates.runner import GuardRailsOptions, ProfileOptions, run_guard_rails
from hephaestus.gates.settings import GuardRailsSection, Strictness

if TYPE_CHECKING:
    from hephaestus.core.context import Context
    from hephaestus.gates.models import GuardRailsReport


class GuardRailsRequest(Request):
    """Which gates run, how, and which reports are written; ``None`` is the configuration's."""

    gates: tuple[str, ...] = Field(
        default=(),
        description="Run only these gates, even where the repository does not use their tool "
        "(default: the configured gates, each where the repository uses it).",
    )
    skip: tuple[str, ...] = Field(
        default=(), description="Gates not run, on top of the configured skip list."
    )
    jobs: int | None = Field(
        default=None,
        ge=1,
        description="Gates run at once (default: the configured jobs, else the CPU cores).",
    )
    cache: bool | None = Field(
        default=None,
        description="Reuse a gate's cached pass when nothing it reads changed; false runs every "
        "gate (default: the configured cache, true).",
    )
    fail_fast: bool = Field(
        default=False, description="Start no more gates once a required gate fails."
    )
    timeout: float | None = Field(
        default=None,
        gt=0,
        description="Seconds each gate may run (default: the gate's own timeout, else the "
        f"configured timeout, {GuardRailsSection.model_fields['timeout'].default:g}).",
    )
    sarif: Path | None = Field(
        default=None,
        description="Write a SARIF 2.1.0 report to this file, relative to the working "
        "directory (default: none).",
    )
    junit: Path | None = Field(
        default=None,
        description="Write a JUnit XML report to this file, relative to the working directory "
        "(default: none).",
    )
    drift: bool = Field(
        default=False,
        description="Also compare the installed tool versions with the declared ones.",
    )
    auto_remediate: bool = Field(
        default=False,
        description="Run the drift remediation commands (implies drift), then check again.",
    )
    python: str | None = Field(
        default=None,
        description="The project's interpreter or virtual environment, where its tests, mypy "
        "and pip-audit run (default: the configured environment, else the active venv, .venv "
        "or the project manager's).",
    )
    profile: str | None = Field(
        default=None,
        description="A QA profile of [tool.hephaestus.analytics.profiles]: its gates must pass, "
        "its coverage goal is the pytest threshold, its strictness judges findings "
        "(default: none).",
    )
    baseline: Path | None = Field(
        default=None,
        description="Report and fail only on findings not in this baseline file, relative to "
        "the working directory; its entries whose finding is gone are reported as fixed "
        "(default: the configured baseline, relative to the root, else none).",
    )
    write_baseline: bool = Field(
        default=False,
        description="Record every finding of the gates that ran in the baseline file "
        f"(baseline, else the configured one, else {DEFAULT_BASELINE} in the root), pruning "
        "fixed ones, and pass unless a gate could not run; no other file is written.",
    )
    changed_since: str | None = Field(
        default=None,
        description="Check only the files changed since the merge-base of this git ref and "
        "HEAD: committed, staged, unstaged and untracked-but-not-ignored changes. File-level "
        "gates (ruff, yamllint) get only those files; the others check the whole project "
        "(default: the whole project).",
    )
    files: tuple[str, ...] | None = Field(
        default=None,
        description="Check only these files (relative to the working directory; a directory "
        "stands for its files; each must exist), as a hook manager passes the files to "
        "commit; like changed_since otherwise (default: the whole project).",
    )


def _profile(analytics: AnalyticsSection, name: str | None) -> ProfileOptions | None:
    """Translate the QA profile ``name`` into what the run applies.

    Raises:
        UsageError: no such profile (``unknown-profile``, exit 2).

    """
    if name is None:
        return None
    from hephaestus.analytics.profiles import resolve_profile  # noqa: PLC0415  # with a profile

    profile = resolve_profile(analytics, name)
    return ProfileOptions(
        name=profile.name,
        gates=profile.gates,
        coverage_threshold=round(profile.coverage_goal * 100, 6),
        lenient=profile.strictness is Strictness.lenient,
        strict=profile.strictness is Strictness.strict,
    )


def resolve(
    request: GuardRailsRequest,
    section: GuardRailsSection,
    analytics: AnalyticsSection,
    *,
    fix: bool = False,
) -> GuardRailsOptions:
    """Apply ``[tool.hephaestus.guard-rails]`` and the QA profiles to ``request``.

    A request's value wins over the section's, which wins over the default. Timeouts stay
    per gate: ``request.timeout`` overrides every gate's, else each gate's table or the
    section's applies when the gate is planned.

    Raises:
        UsageError: the request names an unknown QA profile (exit 2).

    """
    return GuardRailsOptions(
        gates=request.gates,
        skip=request.skip,
        fix=fix,
        jobs=request.jobs or section.jobs or os.cpu_count() or 1,
        cache=section.cache if request.cache is None else request.cache,
        fail_fast=request.fail_fast,
        timeout=request.timeout,
        drift=request.drift or request.auto_remediate,
        auto_remediate=request.auto_remediate,
        profile=_profile(analytics, request.profile),
        python=request.python or section.environment,
        python_configured=request.python is None and section.environment is not None,
    )


def _changed(request: GuardRailsRequest, context: Context) -> frozenset[str] | None:
    """Return the changed files the request limits the run to (``None``: the whole project).

    Raises:
        UsageError: both ``changed_since`` and ``files`` are given, a ref names no commit, or a
            file is outside the repository or does not exist (exit 2).

    """
    if request.changed_since is None and request.files is None:
        return None
    if request.changed_since is not None and request.files is not None:
        raise UsageError(
            f"{field_ref('changed_since')} and {field_ref('files')} cannot be combined",
            hint="name the files, or the ref they changed since",
        )
    if request.changed_since is not None:
        return changed_since(context.root, request.changed_since)
    named = named_files(context.root, context.cwd, request.files or ())
    for path in request.files or ():
        if not os.path.lexists(os.path.join(context.cwd, path)):  # noqa: PTH118  # as named
            raise UsageError(
                f"{field_ref('files')} {path}: no such file or directory",
                hint="name files that exist: a deleted or mistyped file has nothing to check",
            )
    return named


def _baseline(
    request: GuardRailsRequest, section: GuardRailsSection, context: Context, *, fix: bool
) -> BaselineOptions | None:
    """Return the baseline the run applies or writes (``None``: none).

    Raises:
        UsageError: ``write_baseline`` with a fix or a changed-files run, or a baseline to be
            written whose directory does not exist (exit 2).

    """
    if request.baseline is not None:
        path = context.cwd / request.baseline
    elif section.baseline is not None:
        path = context.root / section.baseline
    elif request.write_baseline:
        path = context.root / DEFAULT_BASELINE
    else:
        return None
    if not request.write_baseline:
        return BaselineOptions(path=path)
    if fix or request.changed_since is not None or request.files is not None:
        raise UsageError(
            f"{field_ref('write_baseline')} records the whole project as it is: it cannot be "
            "combined with a fix or a changed-files run",
            hint="fix first, then record the baseline in a run of its own",
        )
    return BaselineOptions(path=_writable(context.cwd, path, "baseline") or path, write=True)


def _writable(cwd: Path, given: Path | None, field: str) -> Path | None:
    """Return where a report file goes, refused before any gate runs if its directory is missing.

    Raises:
        UsageError: the file's directory does not exist (exit 2).

    """
    if given is None:
        return None
    path = cwd / given
    if not path.parent.is_dir():
        raise UsageError(
            f"{field_ref(field)} {path}: directory {path.parent} does not exist",
            hint="create the directory or choose another path",
        )
    return path


def _write_reports(report: GuardRailsReport, targets: dict[str, Path | None]) -> None:
    """Write the SARIF and JUnit files asked for.

    Raises:
        UsageError: a file cannot be written (exit 2), naming its field.

    """
    for field, path in targets.items():
        if path is None:
            continue
        try:
            if field == "sarif":
                from hephaestus.core.metadata import package_version  # noqa: PLC0415
                from hephaestus.gates.reports.sarif import write_sarif  # noqa: PLC0415  # asked

                write_sarif(report, path, version=package_version())
            else:
                from hephaestus.gates.reports.junit import write_junit  # noqa: PLC0415  # asked

                write_junit(report, path)
        except OSError as exc:
            raise UsageError(
                f"{field_ref(field)} {path}: cannot write it: {exc.strerror or exc}",
                hint="choose a writable path",
            ) from exc


def _run(request: GuardRailsRequest, context: Context, *, fix: bool) -> GuardRailsReport:
    options = resolve(
        request,
        section := context.section("guard_rails", GuardRailsSection),
        context.section("analytics", AnalyticsSection),
        fix=fix,
    )
    targets = {
        "sarif": _writable(context.cwd, request.sarif, "sarif"),
        "junit": _writable(context.cwd, request.junit, "junit"),
    }
    if (changed := _changed(request, context)) is not None:
        options = replace(options, changed=changed)
    if (baseline := _baseline(request, section, context, fix=fix)) is not None:
        options = replace(options, baseline=baseline)
    report = run_guard_rails(
        context.root,
        options=options,
        section=section,
        progress=context.progress,
        cancellation=context.cancellation,
    )
    if baseline is not None and baseline.write:
        report = write_recorded(report, baseline.path, root=context.root)
    _write_reports(report, targets)
    return report


def check(request: GuardRailsRequest, context: Context) -> GuardRailsReport:
    """Run the selected gates on ``context.root``; no project file is written.

    Gates' findings are results (see ``GuardRailsReport.exit_code``), not exceptions.

    Raises:
        UsageError: an unknown gate or QA profile, or a report file that cannot be written.
        ConfigError: invalid configuration, or ``python`` names nothing usable.
        PluginError: a gate plugin failed to load.

    """
    return _run(request, context, fix=False)


def fix(request: GuardRailsRequest, context: Context) -> GuardRailsReport:
    """Apply the fixing gates' fixes to ``context.root`` (ruff's), then run every selected gate.

    Raises:
        UsageError: an unknown gate or QA profile, or a report file that cannot be written.
        ConfigError: invalid configuration, or ``python`` names nothing usable.
        PluginError: a gate plugin failed to load.

    """
    return _run(request, context, fix=True)
