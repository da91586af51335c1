"""Run the selected gates in parallel, reuse cached passes, and collect one report.

With --fix, the gates that write (ruff's fixes and formatting) run first, one after another, so
no two tools write the same file at once and the read-only gates then see the fixed files.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import tomllib
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hephaestus.core.errors import ConfigError, HephaestusError, UsageError
from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger
from hephaestus.core.proc import run
from hephaestus.gates.cache import ResultCache, cache_key
from hephaestus.gates.environment import ToolEnvironment
from hephaestus.gates.inputs import InputHasher, repository_files, select
from hephaestus.gates.latest import save_latest_report
from hephaestus.gates.models import GateResult, GateStatus, GuardRailsReport, Severity
from hephaestus.gates.registry import configure_gate, discover_gates
from hephaestus.gates.spec import Gate, GateConfig, GateContext

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from hephaestus.core.config import GuardRailsSection

_log = get_logger(__name__)
_SCRUBBED = ("COV_CORE_SOURCE", "COV_CORE_CONFIG", "COV_CORE_DATAFILE", "PYTEST_CURRENT_TEST")
"""Set by a surrounding pytest run; a gate's own pytest must not inherit them."""


@dataclass(frozen=True, slots=True)
class ProfileOptions:
    """A QA profile applied to one run (``guard-rails --profile NAME``)."""

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
    """What the command line asks for; configuration fills in the rest."""

    gates: tuple[str, ...] = ()
    """Run only these (--gate); empty means the configured gates."""
    skip: tuple[str, ...] = ()
    fix: bool = False
    jobs: int | None = None
    cache: bool = True
    fail_fast: bool = False
    timeout: float | None = None
    drift: bool = False
    auto_remediate: bool = False
    profile: ProfileOptions | None = None


@dataclass(frozen=True, slots=True)
class _Planned:
    gate: Gate[Any]
    config: GateConfig
    timeout: float


def _check_names(names: Sequence[str], known: Mapping[str, object], where: str) -> None:
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(
            f"{where}: unknown gate {unknown[0]!r}",
            hint=f"installed gates: {', '.join(known)}",
            code="unknown-gate",
        )


def _select(
    gates: Mapping[str, Gate[Any]], options: GuardRailsOptions, section: GuardRailsSection
) -> dict[str, str]:
    """Return why each deselected gate does not run (selected gates are absent)."""
    tables = [name.replace("_", "-") for name in section.gate]
    _check_names(options.gates, gates, "--gate")
    _check_names(options.skip, gates, "--skip")
    _check_names(section.gates or (), gates, "[tool.hephaestus.guard-rails] gates")
    _check_names(section.skip, gates, "[tool.hephaestus.guard-rails] skip")
    _check_names(tables, gates, "[tool.hephaestus.guard-rails.gate]")
    profiled = options.profile.gates if options.profile is not None else ()
    if options.profile is not None:
        _check_names(profiled, gates, f"QA profile {options.profile.name!r}")
    wanted = (
        set(options.gates)
        if options.gates
        else (set(section.gates or gates) - set(section.skip)) | set(profiled)
    )
    return {
        name: "skipped with --skip" if name in options.skip else "not selected"
        for name in gates
        if name not in wanted or name in options.skip
    }


def _environment_of_process(environment: ToolEnvironment) -> dict[str, str | None]:
    path = os.pathsep.join([str(environment.bin_dir), os.environ.get("PATH", "")])
    return {
        "PATH": path,
        "VIRTUAL_ENV": str(environment.prefix),
        **dict.fromkeys(_SCRUBBED),
    }


class _Run:
    """One guard-rails run: shared state for the gates' workers."""

    def __init__(self, root: Path, options: GuardRailsOptions, section: GuardRailsSection) -> None:
        self.root = root
        self.options = options
        self.environment = ToolEnvironment.for_repository(root, section.environment)
        self.pyproject = _read_pyproject(root)
        self.files = repository_files(root)
        self.hasher = InputHasher(root)
        self._inputs: dict[tuple[str, ...], str] = {}  # gates often share their input patterns
        self.cache = (
            ResultCache.for_repository(root, max_bytes=section.cache_max_mb << 20)
            if options.cache and section.cache
            else None
        )
        self.stop = threading.Event()
        self.strict = options.profile is not None and options.profile.strict
        self.process_env = _environment_of_process(self.environment)

    def execute(self, planned: _Planned) -> GateResult:
        """Run one gate (or reuse its cached pass); never raises for the gate's own failures."""
        gate, config = planned.gate, planned.config
        base: dict[str, Any] = {"name": gate.name, "required": config.required, "tool": gate.tool}
        if self.stop.is_set():
            return GateResult(
                **base, status=GateStatus.skipped, duration=0, reason="stopped by --fail-fast"
            )
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"hephaestus-{gate.name}-") as scratch:
            context = GateContext(
                root=self.root,
                config=config,
                environment=self.environment,
                files=self.files,
                fix=self.options.fix,
                scratch=Path(scratch),
                pyproject=self.pyproject,
            )
            try:
                result = self._attempt(gate, context, planned.timeout, base, started)
            except HephaestusError as exc:
                result = GateResult(
                    **base,
                    status=GateStatus.could_not_run,
                    duration=time.perf_counter() - started,
                    reason=exc.message,
                    hint=exc.hint,
                )
            except Exception as exc:  # noqa: BLE001  # a gate's own bug (a plugin's) must not sink the run
                _log.error(Event.GATE_CRASHED, gate=gate.name, error=repr(exc))
                _log.debug(Event.GATE_CRASHED, gate=gate.name, traceback=traceback.format_exc())
                result = GateResult(
                    **base,
                    status=GateStatus.could_not_run,
                    duration=time.perf_counter() - started,
                    reason=f"the gate crashed: {type(exc).__name__}: {exc}",
                    hint="report it to the gate's authors (log level debug shows the traceback)",
                )
        if self.options.fail_fast and result.required and result.status in _FAILING:
            self.stop.set()
        return result

    def _attempt(
        self,
        gate: Gate[Any],
        context: GateContext[Any],
        timeout: float,
        base: dict[str, Any],
        started: float,
    ) -> GateResult:
        reason = gate.applies(context)
        if reason is not None:
            return GateResult(**base, status=GateStatus.skipped, duration=0, reason=reason)
        version = gate.version(context)
        base["tool_version"] = version
        key = self._key(gate, context, version)
        if key is not None and self.cache is not None:
            cached = self.cache.get(gate.name, key)
            if cached is not None:
                return cached.model_copy(
                    update={**base, "status": GateStatus.cached, "duration": 0.0}
                )
        argv = tuple(gate.command(context))
        _log.info(Event.GATE_STARTED, gate=gate.name, argv=list(argv))
        process = run(argv, cwd=self.root, timeout=timeout, env=self.process_env)
        outcome = gate.parse(context, process)
        failing = _FAILING_SEVERITIES[self.strict]
        failed = any(f.severity in failing for f in outcome.findings)
        result = GateResult(
            **base,
            status=GateStatus.failed if failed else GateStatus.passed,
            duration=time.perf_counter() - started,
            findings=outcome.findings,
            tests=outcome.tests,
            command=argv,
        )
        if key is not None and self.cache is not None and result.status is GateStatus.passed:
            self.cache.put(result, key)
        return result

    def _key(self, gate: Gate[Any], context: GateContext[Any], version: str) -> str | None:
        if not gate.cacheable or (self.options.fix and gate.writes_with_fix):
            return None
        if self.cache is None:
            return None
        return cache_key(
            {
                "gate": gate.name,
                "spec": gate.spec_version,
                "tool": gate.tool,
                "tool_version": version,
                "config": context.config.model_dump(mode="json"),
                "fix": self.options.fix,
                "strict": self.strict,
                "environment": self.environment.fingerprint,
                "inputs": self._inputs_digest(tuple(gate.inputs)),
            }
        )

    def _inputs_digest(self, patterns: tuple[str, ...]) -> str:
        # Two workers may both compute a missing digest: the same value, so no lock is needed.
        known = self._inputs.get(patterns)
        if known is None:
            known = self._inputs[patterns] = self.hasher.combined(select(self.files, patterns))
        return known


_FAILING = frozenset({GateStatus.failed, GateStatus.could_not_run})
_FAILING_SEVERITIES = {
    False: frozenset({Severity.error}),
    True: frozenset({Severity.error, Severity.warning}),  # a strict profile
}


def _profiled_table(name: str, table: Mapping[str, Any], profile: ProfileOptions) -> dict[str, Any]:
    """Return a gate's table with the profile's demands: required or not, coverage threshold."""
    changed = dict(table)
    if name in profile.gates:
        changed["required"] = True
    elif profile.lenient and profile.gates:
        changed["required"] = False
    if name == "pytest" and profile.coverage_threshold is not None:
        changed["coverage_threshold"] = profile.coverage_threshold
    return changed


def _read_pyproject(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}", hint="fix the file") from exc


def _plan(
    gates: Mapping[str, Gate[Any]],
    selected: Sequence[str],
    options: GuardRailsOptions,
    section: GuardRailsSection,
    root: Path,
) -> list[_Planned]:
    tables = {name.replace("_", "-"): table for name, table in section.gate.items()}
    pyproject = root / "pyproject.toml"
    planned = []
    for name in selected:
        gate = gates[name]
        table = tables.get(name, {})
        if options.profile is not None:
            table = _profiled_table(name, table, options.profile)
        config = configure_gate(gate, table, pyproject if pyproject.is_file() else None)
        timeout = options.timeout or config.timeout or section.timeout
        planned.append(_Planned(gate, config, timeout))
    return planned


def run_guard_rails(
    root: Path,
    *,
    options: GuardRailsOptions,
    section: GuardRailsSection,
    on_result: Callable[[GateResult], None] | None = None,
    gates: Mapping[str, Gate[Any]] | None = None,
) -> GuardRailsReport:
    """Run the selected gates on the repository at ``root`` and return the report.

    ``gates`` defaults to every installed gate (:func:`discover_gates`); ``on_result`` is called
    in the calling thread as each gate finishes. Gates' failures are results, not exceptions.

    Raises:
        UsageError: an unknown gate name in the options or the configuration.
        ConfigError: a gate's configuration table is invalid.
        PluginError: a gate plugin failed to load.

    """
    started = time.perf_counter()
    available = discover_gates() if gates is None else gates
    deselected = _select(available, options, section)
    selected = [name for name in available if name not in deselected]
    planned = _plan(available, list(available), options, section, root)  # validates every table
    planned = [p for p in planned if p.gate.name in selected]
    state = _Run(root, options, section)
    jobs = options.jobs or section.jobs or os.cpu_count() or 1
    finished: dict[str, GateResult] = {}

    def record(result: GateResult) -> None:
        finished[result.name] = result
        if on_result is not None:
            on_result(result)

    writers = [p for p in planned if options.fix and p.gate.writes_with_fix]
    for item in writers:  # one at a time: they write the same files
        record(state.execute(item))
    if writers:
        state.files = repository_files(root)  # what the fixes left behind
    readers = [p for p in planned if p not in writers]
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="gate") as pool:
        futures = [pool.submit(state.execute, item) for item in readers]
        for future in as_completed(futures):
            record(future.result())
    if state.cache is not None and (pruned := state.cache.prune()):
        _log.info(Event.CACHE_PRUNED, entries=pruned)
    skipped = (
        GateResult(name=name, status=GateStatus.skipped, required=False, duration=0, reason=why)
        for name, why in deselected.items()
    )
    for result in skipped:
        finished[result.name] = result
    drift = None
    if options.drift:
        from hephaestus.gates.drift import check_drift, remediate_drift  # noqa: PLC0415  # only with --drift

        tools = {p.gate.tool: p.gate.precommit_repos for p in planned if p.gate.tool is not None}
        drift = check_drift(root, environment=state.environment, tools=tools)
        if options.auto_remediate and drift.drifted:
            done = remediate_drift(drift, root=root, timeout=options.timeout or section.timeout)
            fresh = ToolEnvironment.for_repository(root, section.environment)  # versions changed
            drift = check_drift(root, environment=fresh, tools=tools)
            drift = drift.model_copy(update={"remediations": done})
    report = GuardRailsReport(
        root=str(root),
        results=tuple(finished[name] for name in available),
        duration=time.perf_counter() - started,
        jobs=jobs,
        drift=drift,
        profile=options.profile.name if options.profile is not None else None,
    )
    save_latest_report(root, report)  # for `hephaestus plan`; best effort
    return report
