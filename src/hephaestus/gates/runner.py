"""Run the selected gates in parallel, reuse cached passes, and collect one report.

Gates run in the project's own environment (``environment.py``), only where the project uses
their tool unless asked for by name (``selection.py``), longest first by the durations of the
last run, each tool in its own process group. A pass is cached only if nothing the gate could
read changed while it ran (``fingerprint.py``). Ctrl-C or SIGTERM stops every gate's processes
and the run returns the partial report, marked interrupted; so does a cancelled
:class:`~hephaestus.core.proc.Cancellation` handed in by the caller.

With ``fix``, the gates that write (ruff's fixes and formatting) run first, one after another, so
no two tools write the same file at once and the read-only gates then see the fixed files; in a
fixed order (fixes, then formatting), never by the durations, so that what is written is always
the same.
"""

from __future__ import annotations

import contextvars
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger
from hephaestus.core.progress import NO_PROGRESS
from hephaestus.gates.changes import ChangedFiles, project_gates
from hephaestus.gates.environment import find_environment
from hephaestus.gates.execution import GateRun
from hephaestus.gates.inputs import repository_files
from hephaestus.gates.latest import load_durations, save_latest_report
from hephaestus.gates.models import GateResult, GateStatus, GuardRailsReport
from hephaestus.gates.observation import record_results
from hephaestus.gates.progress import GateEvents
from hephaestus.gates.registry import discover_gates
from hephaestus.gates.selection import deselect, plan

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

    from hephaestus.core.proc import Cancellation
    from hephaestus.core.progress import Progress
    from hephaestus.gates.baseline import BaselineOptions
    from hephaestus.gates.models import DriftReport
    from hephaestus.gates.selection import Planned
    from hephaestus.gates.settings import GuardRailsSection
    from hephaestus.gates.spec import Gate

_log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ProfileOptions:
    """A QA profile applied to one run (the request's ``profile``, translated)."""

    name: str
    gates: tuple[str, ...] = ()
    """Gates that must pass: they run, required, whatever the configuration selects or skips."""
    coverage_threshold: float | None = None
    """The pytest gate's coverage threshold, in percent, replacing the configured one."""
    lenient: bool = False
    """Only the profile's gates are required; the others' failures are reported, not fatal."""
    strict: bool = False
    """Warnings fail a gate too (notes never do)."""


@dataclass(frozen=True, slots=True)
class GuardRailsOptions:
    """What one run is asked for (see ``operation.resolve``); the section fills in the rest.

    ``None`` and empty values fall back on the section: a caller may hand in bare options.
    """

    gates: tuple[str, ...] = ()
    """Run only these; empty means the configured gates."""
    skip: tuple[str, ...] = ()
    fix: bool = False
    """Let the gates that can fix (ruff's) write their fixes."""
    jobs: int | None = None
    cache: bool = True
    fail_fast: bool = False
    timeout: float | None = None
    """Seconds each gate may run, over every gate's table and the section."""
    drift: bool = False
    auto_remediate: bool = False
    profile: ProfileOptions | None = None
    python: str | None = None
    """The project's interpreter or venv; default: found (see environment.py)."""
    python_configured: bool = False
    """``python`` is the configured ``environment``, not the request's (messages say which)."""
    changed: frozenset[str] | None = None
    """A changed-files run: the changed paths, root-relative (see changes.py); ``None``: the
    whole project."""
    baseline: BaselineOptions | None = None
    """The baseline applied, or written (see baseline.py); ``None``: every finding counts."""


def _longest_first(planned: list[Planned], durations: Mapping[str, float]) -> list[Planned]:
    """Order gates by their last run's duration, longest (and never measured) first.

    A tie keeps the registration order (a stable sort).
    """
    return sorted(planned, key=lambda p: -durations.get(p.gate.name, float("inf")))


def _signal_name(exc: BaseException) -> str:
    return "SIGTERM" if type(exc).__name__ == "Terminated" else "SIGINT"


def _run_all(
    state: GateRun, planned: list[Planned], jobs: int, record: Callable[[GateResult], None]
) -> None:
    """Run the writers one by one, then the readers in parallel; stop all on a signal."""
    writers = sorted(  # the name breaks a tie: never the durations
        (p for p in planned if state.options.fix and p.gate.writes_with_fix),
        key=lambda p: (p.gate.fix_order, p.gate.name),
    )
    readers = [p for p in planned if p not in writers]
    done: set[str] = set()

    def keep(result: GateResult) -> None:
        done.add(result.name)
        record(result)

    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="gate")
    futures = []
    try:
        for item in writers:  # one at a time: they write the same files
            keep(state.execute(item))
        if writers:
            state.files = repository_files(state.root)  # what the fixes left behind
        # Each worker runs in a copy of this context: the gates' spans hang under the command's.
        futures = [
            pool.submit(contextvars.copy_context().run, state.execute, item) for item in readers
        ]
        for future in as_completed(futures):
            keep(future.result())
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM turned into one by the CLI
        state.interrupt(f"interrupted by {_signal_name(exc)}")
        pool.shutdown(wait=True, cancel_futures=True)  # running tools are being stopped
        ran = [f.result() for f in futures if f.done() and not f.cancelled()]
        stopped = [state.execute(p) for p in planned]  # "stopped", without starting anything
        for result in (*ran, *stopped):
            if result.name not in done:
                keep(result)
    finally:
        pool.shutdown(wait=True)


def run_guard_rails(  # noqa: PLR0913  # keyword-only, each with a default but the section
    root: Path,
    *,
    options: GuardRailsOptions,
    section: GuardRailsSection,
    on_result: Callable[[GateResult], None] | None = None,
    on_start: Callable[[str], None] | None = None,
    gates: Mapping[str, Gate[Any]] | None = None,
    progress: Progress | None = None,
    cancellation: Cancellation | None = None,
) -> GuardRailsReport:
    """Run the selected gates on the repository at ``root`` and return the report.

    ``gates`` defaults to every installed gate (:func:`discover_gates`); ``on_start`` is called
    (from a worker thread) when a gate's tool starts, ``on_result`` in the calling thread as
    each gate finishes; ``progress`` receives both as described in :mod:`.progress`. Gates'
    failures are results, not exceptions. Interrupted (Ctrl-C, or SIGTERM as the CLI delivers
    it) or ``cancellation`` cancelled, it stops every tool and returns what it has, marked
    ``interrupted``.

    Raises:
        UsageError: an unknown gate name in the options or the configuration.
        ConfigError: a gate's configuration table is invalid, the ``python`` option names
            nothing usable, or ``changed-only-project-gates`` names a gate that cannot check
            only some files.
        PluginError: a gate plugin failed to load.

    """
    started = time.perf_counter()
    available = discover_gates() if gates is None else gates
    deselected = deselect(available, options, section)
    planned = [p for p in plan(available, options, section, root) if p.gate.name not in deselected]
    state = GateRun(
        root,
        options,
        section,
        cancellation=cancellation,
        changes=_changes(options, section, available),
    )
    events = GateEvents(progress or NO_PROGRESS)

    def starting(name: str) -> None:
        events.started(name)
        if on_start is not None:
            on_start(name)

    state.on_start = starting
    jobs = options.jobs or section.jobs or os.cpu_count() or 1
    finished: dict[str, GateResult] = {}

    def record(result: GateResult) -> None:
        finished[result.name] = result
        events.finished(result)
        if on_result is not None:
            on_result(result)

    events.planned(len(planned))
    _run_all(state, _longest_first(planned, load_durations(root)), jobs, record)
    state.fingerprint.save()
    state.versions.save()
    if state.cache is not None and (pruned := state.cache.prune()):
        _log.info(Event.CACHE_PRUNED, entries=pruned)
    for name, why in deselected.items():
        finished[name] = GateResult(
            name=name, status=GateStatus.skipped, required=False, duration=0, reason=why
        )
    drift = None
    if options.drift and state.interrupted is None:
        used = [p for p in planned if p.gate.name not in state.unused]
        drift = _drift(root, state, used, options, section)
    report = GuardRailsReport(
        root=str(root),
        results=tuple(finished[name] for name in available),
        duration=time.perf_counter() - started,
        jobs=jobs,
        drift=drift,
        profile=options.profile.name if options.profile is not None else None,
        environment=state.search.environment.origin if state.search.environment else None,
        interrupted=state.interrupted,
        changed_files=None if options.changed is None else tuple(sorted(options.changed)),
        baseline=None if state.baseline is None else state.baseline.summary(),
    )
    if report.changed_files is None:  # a changed-files run says nothing of the whole project
        save_latest_report(root, report)  # for `hephaestus plan` and the next run's order
    record_results(report.results)
    return report


def _changes(
    options: GuardRailsOptions, section: GuardRailsSection, gates: Mapping[str, Gate[Any]]
) -> ChangedFiles | None:
    """Return what a changed-files run is limited to, or ``None`` for a whole-project run.

    Raises:
        ConfigError: ``changed-only-project-gates`` names an unknown gate or one that cannot
            check only some files.

    """
    if options.changed is None:
        return None
    key = "[tool.hephaestus.guard-rails] changed-only-project-gates"
    opted = project_gates(section.changed_only_project_gates, gates, key=key)
    return ChangedFiles(options.changed, opted)


def _drift(
    root: Path,
    state: GateRun,
    planned: Sequence[Planned],
    options: GuardRailsOptions,
    section: GuardRailsSection,
) -> DriftReport:
    from hephaestus.gates.drift import check_drift, remediate_drift  # noqa: PLC0415  # only with drift

    tools = {p.gate.tool: p.gate.precommit_repos for p in planned if p.gate.tool is not None}
    drift = check_drift(root, environment=state.environment, tools=tools)
    if options.auto_remediate and drift.drifted:
        done = remediate_drift(drift, root=root, timeout=options.timeout or section.timeout)
        fresh = (
            find_environment(  # versions changed
                root,
                python=options.python or section.environment,
                configured=options.python_configured or options.python is None,
                pyproject=state.pyproject,
            ).environment
            or state.environment
        )
        drift = check_drift(root, environment=fresh, tools=tools)
        drift = drift.model_copy(update={"remediations": done})
    return drift
