"""One gate's run within guard-rails: skip, environment, cache, process, parse, store.

:class:`GateRun` holds what every gate of one run shares (the project environment, its files,
the fingerprint and the cache, the cancellation token) and runs one gate at a time on a worker
thread; :mod:`hephaestus.gates.runner` orders and collects them.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import tomllib
import traceback
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hephaestus.core import telemetry
from hephaestus.core.errors import ConfigError, HephaestusError, field_ref
from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger
from hephaestus.core.proc import Cancellation, run
from hephaestus.core.state import state_directory
from hephaestus.gates.baseline import open_judge
from hephaestus.gates.cache import ResultCache, cache_key
from hephaestus.gates.changes import NO_CHANGED_FILES, Scope, ToolVersions
from hephaestus.gates.drift import judge_version
from hephaestus.gates.environment import (
    NO_ENVIRONMENT_HINT,
    ToolEnvironment,
    find_environment,
    is_own_environment,
)
from hephaestus.gates.fingerprint import Fingerprint
from hephaestus.gates.inputs import repository_files
from hephaestus.gates.models import DriftVerdict, GateResult, GateStatus, Severity
from hephaestus.gates.observation import gate_attributes
from hephaestus.gates.project import ProjectTools
from hephaestus.gates.spec import Gate, GateContext, GateError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from hephaestus.gates.changes import ChangedFiles
    from hephaestus.gates.runner import GuardRailsOptions
    from hephaestus.gates.selection import Planned
    from hephaestus.gates.settings import GuardRailsSection

_log = get_logger(__name__)
CANCELLED = "cancelled by the caller"
"""Why a run stopped when the caller cancelled its :class:`Cancellation` (exit 130)."""
_SCRUBBED = ("COV_CORE_SOURCE", "COV_CORE_CONFIG", "COV_CORE_DATAFILE", "PYTEST_CURRENT_TEST")
"""Set by a surrounding pytest run; a gate's own pytest must not inherit them."""


def _environment_of_process(environment: ToolEnvironment, *, exists: bool) -> dict[str, str | None]:
    """Return the variables every gate's process gets.

    The project environment is active and first on PATH; hephaestus' own ``bin`` is off PATH
    unless it is the project's.
    """
    own = ToolEnvironment.running().bin_dir.resolve()
    entries = [
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if entry
        and ((exists and is_own_environment(environment.prefix)) or Path(entry).resolve() != own)
    ]
    if exists:
        entries.insert(0, str(environment.bin_dir))
    return {
        "PATH": os.pathsep.join(entries),
        "VIRTUAL_ENV": str(environment.prefix) if exists else None,
        **dict.fromkeys(_SCRUBBED),
    }


class GateRun:
    """One guard-rails run: shared state for the gates' workers."""

    def __init__(
        self,
        root: Path,
        options: GuardRailsOptions,
        section: GuardRailsSection,
        *,
        cancellation: Cancellation | None = None,
        changes: ChangedFiles | None = None,
    ) -> None:
        self.root = root
        self.options = options
        self.changes = changes
        """A changed-files run: what each gate is given (``None``: the whole project)."""
        self.pyproject = _read_pyproject(root)
        self.search = find_environment(
            root,
            python=options.python or section.environment,
            configured=options.python_configured or options.python is None,
            pyproject=self.pyproject,
        )
        self.environment = self.search.environment or ToolEnvironment.absent(root)
        self.project = ProjectTools.read(root, self.pyproject)
        self.files = repository_files(root)
        self.state = _state_directory(root)
        self.fingerprint = Fingerprint(root, state=self.state)
        self.versions = ToolVersions(self.state)
        """Tool versions of the last whole-project runs: a changed one re-checks every file."""
        self.cache = (
            ResultCache.for_repository(root, max_bytes=section.cache_max_mb << 20)
            if options.cache and section.cache
            else None
        )
        self.stop = threading.Event()
        self.interrupted: str | None = None
        self.cancellation = cancellation or Cancellation()
        """Stops every gate's tool: on an interruption, or when the caller cancels it."""
        self.strict = options.profile is not None and options.profile.strict
        self.baseline = open_judge(root, options.baseline, failing=_FAILING_SEVERITIES[self.strict])
        """Applies the baseline to each result, after caching (``None``: no baseline)."""
        self.process_env = _environment_of_process(
            self.environment, exists=self.search.environment is not None
        )
        self.on_start: Callable[[str], None] = lambda _name: None
        self.unused: set[str] = set()
        """Gates whose tool the repository does not use (not drift-checked either)."""

    def interrupt(self, why: str) -> None:
        """Stop every gate: no new one starts, running tools' process groups are stopped."""
        self.interrupted = why
        self.stop.set()
        self.cancellation.cancel()

    def _tool_cache(self, gate: Gate[Any]) -> Path | None:
        if self.state is None:
            return None
        directory = self.state / "tools" / gate.name
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        return directory

    def execute(self, planned: Planned) -> GateResult:
        """Run one gate (or reuse its cached pass); never raises for the gate's own failures.

        When tracing, the gate is a span of its own (``gate <name>``): its tool's processes are
        its children, and its attributes say what happened (:mod:`.observation`).
        """
        name = planned.gate.name
        with telemetry.span(f"gate {name}", attributes={"hephaestus.gate.name": name}) as span:
            result = self._execute(planned)
            span.set_attributes(gate_attributes(result))
            if result.status in _FAILING:
                span.fail(error_type=result.status.value, description=result.reason)
        return result

    def _execute(self, planned: Planned) -> GateResult:
        gate, config = planned.gate, planned.config
        base: dict[str, Any] = {"name": gate.name, "required": config.required, "tool": gate.tool}
        if self.cancellation.cancelled and self.interrupted is None:
            self.interrupt(CANCELLED)
        if self.stop.is_set():
            why = self.interrupted or f"stopped by {field_ref('fail_fast')}"
            return GateResult(**base, status=GateStatus.skipped, duration=0, reason=why)
        started = time.perf_counter()
        scope = (
            Scope(targets=None) if self.changes is None else self.changes.scope(gate, self.files)
        )
        with tempfile.TemporaryDirectory(prefix=f"hephaestus-{gate.name}-") as scratch:
            context = GateContext(
                root=self.root,
                config=config,
                environment=self.environment,
                files=self.files,
                fix=self.options.fix,
                scratch=Path(scratch),
                pyproject=self.pyproject,
                project=self.project,
                tool_cache=self._tool_cache(gate),
                has_environment=self.search.environment is not None,
                targets=scope.targets,
            )
            try:
                result = self._attempt(planned, context, base, started, skip=scope.skip)
            except HephaestusError as exc:
                reason, hint = exc.message, exc.hint
                if self.cancellation.cancelled and self.interrupted is None:
                    self.interrupt(CANCELLED)
                if self.interrupted is not None:
                    reason, hint = f"stopped: {self.interrupted}", None
                result = GateResult(
                    **base,
                    status=GateStatus.could_not_run,
                    duration=time.perf_counter() - started,
                    reason=reason,
                    hint=hint,
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
        if self.baseline is not None:  # after the cache: it keeps the tool's own verdict
            result = self.baseline.judge(result)
        if self.options.fail_fast and result.required and result.status in _FAILING:
            self.stop.set()
        return result

    def _skip(
        self, planned: Planned, context: GateContext[Any], *, unchanged: bool
    ) -> tuple[str, str | None] | None:
        """Why the gate does not run here (and a hint), or ``None`` if it does."""
        gate = planned.gate
        if not planned.forced and (reason := gate.configured(context)) is not None:
            self.unused.add(gate.name)
            return reason, f"to run it anyway, name {gate.name} in {field_ref('gates')}"
        if unchanged:
            return NO_CHANGED_FILES, None
        reason = gate.applies(context)
        return None if reason is None else (reason, None)

    def _attempt(
        self,
        planned: Planned,
        context: GateContext[Any],
        base: dict[str, Any],
        started: float,
        *,
        skip: bool = False,
    ) -> GateResult:
        gate = planned.gate
        skipped = self._skip(planned, context, unchanged=skip)
        if skipped is not None:
            reason, hint = skipped
            return GateResult(
                **base, status=GateStatus.skipped, duration=0, reason=reason, hint=hint
            )
        if gate.imports_project and self.search.environment is None:
            raise GateError(self.search.missing(), hint=NO_ENVIRONMENT_HINT, code="no-environment")
        version = gate.version(context)
        base["tool_version"] = version
        if context.targets is not None and self.versions.differs(gate.name, version):
            context = replace(context, targets=None)  # a new tool may judge any file anew
        if context.targets is not None:
            context = replace(context, targets=tuple(gate.select_targets(context, context.targets)))
            if not context.targets:  # none is a file of the tool's: as if none changed
                return GateResult(
                    **base, status=GateStatus.skipped, duration=0, reason=NO_CHANGED_FILES
                )
            base["files"] = context.targets
        argv = base["command"] = tuple(gate.command(context))
        base["tool_origin"] = self._origin(argv[0])
        if not gate.imports_project and gate.tool is not None:
            self._check_foreign_version(gate, version, base["tool_origin"])
        parts = self._key_parts(gate, context, version, argv)
        environ = {**self.process_env, **gate.process_environment(context)}
        seen = _without_scratch(environ, context.scratch)  # a new scratch path every run
        before = self.fingerprint.digest(gate, environ=seen) if parts is not None else ""
        key = cache_key({**parts, "inputs": before}) if parts is not None else None
        whole = context.targets is None
        if key is not None and self.cache is not None:
            cached = self.cache.get(gate.name, key)
            if cached is not None:
                self.versions.record(gate.name, version, whole=whole)
                return cached.model_copy(
                    update={**base, "status": GateStatus.cached, "duration": 0.0}
                )
        self.on_start(gate.name)
        _log.info(Event.GATE_STARTED, gate=gate.name, argv=list(argv))
        process = run(
            argv,
            cwd=self.root,
            timeout=planned.timeout,
            env=environ,
            cancellation=self.cancellation,
        )
        outcome = gate.parse(context, process)
        self.versions.record(gate.name, version, whole=whole)
        failing = _FAILING_SEVERITIES[self.strict]
        failed = any(f.severity in failing for f in outcome.findings)
        result = GateResult(
            **base,
            status=GateStatus.failed if failed else GateStatus.passed,
            duration=time.perf_counter() - started,
            findings=outcome.findings,
            tests=outcome.tests,
        )
        if (
            key is not None
            and self.cache is not None
            and result.status is GateStatus.passed
            and self.fingerprint.digest(gate, fresh=True, environ=seen) == before  # unchanged
        ):
            self.cache.put(result, key)
        return result

    def _check_foreign_version(self, gate: Gate[Any], version: str, origin: str) -> None:
        """Refuse a standalone tool from outside the project whose version the project rules out.

        Another ruff formats differently: its verdict would not be the project's.

        Raises:
            GateError: ``tool-version-mismatch``, naming both versions.

        """
        if origin.startswith("project environment") or version == "unknown":
            return
        try:
            entry = judge_version(
                self.root, tool=str(gate.tool), repos=gate.precommit_repos, installed=version
            )
        except ConfigError:
            return  # malformed declarations are drift's to report; nothing is ruled out
        if entry.verdict in {DriftVerdict.drift, DriftVerdict.pin_mismatch}:
            raise GateError(
                f"{gate.tool} {version} (from {origin}) is not the version the project "
                f"uses: {entry.message}",
                hint="create the project's environment (uv sync) so that its own "
                f"{gate.tool} runs, or name it as {field_ref('python')}",
                code="tool-version-mismatch",
            )

    def _origin(self, program: str) -> str:
        """Say where the tool that runs came from: the project environment, PATH, or ours."""
        path = Path(program)
        if self.search.environment is not None and path.parent == self.environment.bin_dir:
            return f"project environment ({self.environment.origin})"
        if path.parent == ToolEnvironment.running().bin_dir:
            return "hephaestus' environment"
        return "PATH"

    def _key_parts(
        self, gate: Gate[Any], context: GateContext[Any], version: str, argv: tuple[str, ...]
    ) -> dict[str, Any] | None:
        """Return what a pass depends on besides the files; ``None`` when it is not cached."""
        if not gate.cacheable or (self.options.fix and gate.writes_with_fix):
            return None
        if self.cache is None:
            return None
        # A pass on some files is never the whole project's: the files are part of its key.
        files = {} if context.targets is None else {"targets": list(context.targets)}
        return {
            **files,
            "gate": gate.name,
            "spec": gate.spec_version,
            "tool": gate.tool,
            "tool_version": version,
            "argv": [a.replace(str(context.scratch), "<scratch>") for a in argv],
            "program": _stat(argv[0]),
            "config": context.config.model_dump(mode="json"),
            "fix": self.options.fix,
            "strict": self.strict,
            "environment": self.environment.fingerprint,
        }


def _without_scratch(environ: Mapping[str, str | None], scratch: Path) -> dict[str, str | None]:
    return {
        k: None if v is None else v.replace(str(scratch), "<scratch>") for k, v in environ.items()
    }


def _stat(program: str) -> list[int]:
    """Size and modification time of the tool's executable (a replaced binary is a new tool)."""
    try:
        found = os.stat(program)  # noqa: PTH116  # a str path
    except OSError:
        return []
    return [found.st_size, found.st_mtime_ns]


def _state_directory(root: Path) -> Path | None:
    try:
        return state_directory(root)
    except OSError:
        return None


_FAILING = frozenset({GateStatus.failed, GateStatus.could_not_run})
_FAILING_SEVERITIES = {
    False: frozenset({Severity.error}),
    True: frozenset({Severity.error, Severity.warning}),  # a strict profile
}


def _read_pyproject(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}", hint="fix the file") from exc
