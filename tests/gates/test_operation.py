"""The guard-rails operations: resolve's precedence, calls through the registry, neutral errors."""

from __future__ import annotations

import json
import os
import re
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError
from tests.gitrepo import git

from hephaestus.analytics.settings import AnalyticsSection, QAProfileSection
from hephaestus.core.errors import ConfigError, ExitCode, HephaestusError, UsageError
from hephaestus.core.process_groups import Cancellation
from hephaestus.gates.execution import CANCELLED
from hephaestus.gates.models import GateStatus, GuardRailsReport
from hephaestus.gates.operation import GuardRailsRequest, resolve
from hephaestus.gates.runner import ProfileOptions
from hephaestus.gates.settings import GuardRailsSection, Strictness
from hephaestus.invoke import call
from hephaestus.registry import Safety, operation

if TYPE_CHECKING:
    from pathlib import Path

    from hephaestus.gates.models import GateResult

NO_PROFILES = AnalyticsSection()
FLAG = re.compile(r"(?<![\w-])--[a-z]")


def _profiles(**tables: QAProfileSection) -> AnalyticsSection:
    return AnalyticsSection(profiles=tables)


def test_request_wins_over_configuration() -> None:
    """Every value the request gives beats the section's."""
    section = GuardRailsSection(jobs=2, cache=True, environment="configured", timeout=60)
    request = GuardRailsRequest(jobs=3, cache=False, python="given", timeout=5)
    options = resolve(request, section, NO_PROFILES)
    assert (options.jobs, options.cache, options.python, options.timeout) == (3, False, "given", 5)


def test_configuration_fills_what_the_request_leaves_out() -> None:
    """A field left at ``None`` takes the section's value; timeouts stay per gate."""
    section = GuardRailsSection(jobs=2, cache=False, environment="configured", timeout=60)
    options = resolve(GuardRailsRequest(), section, NO_PROFILES)
    assert (options.jobs, options.cache, options.python) == (2, False, "configured")
    assert options.timeout is None  # the gate's table, else the section's, when planned


def test_an_empty_gates_list_is_refused_not_read_as_every_gate() -> None:
    """``gates = []`` says no gate: refused (remove the key for every gate), never all of them."""
    with pytest.raises(ValidationError, match="at least 1 item"):
        GuardRailsSection(gates=())


def test_defaults_without_request_or_configuration() -> None:
    """No request value and no configuration: CPU cores, the cache, nothing else asked."""
    options = resolve(GuardRailsRequest(), GuardRailsSection(), NO_PROFILES)
    assert options.jobs == (os.cpu_count() or 1)
    assert options.cache is True
    assert (options.gates, options.skip, options.python, options.profile) == ((), (), None, None)
    flags = (options.fix, options.drift, options.auto_remediate, options.fail_fast)
    assert flags == (False, False, False, False)


def test_auto_remediation_implies_drift_and_fix_is_the_operations() -> None:
    """``auto_remediate`` checks drift too; only the fix operation sets ``fix``."""
    request = GuardRailsRequest(auto_remediate=True)
    checked = resolve(request, GuardRailsSection(), NO_PROFILES)
    fixed = resolve(request, GuardRailsSection(), NO_PROFILES, fix=True)
    assert (checked.drift, checked.auto_remediate, checked.fix) == (True, True, False)
    assert fixed.fix is True


@pytest.mark.parametrize(
    ("strictness", "lenient", "strict"),
    [
        (Strictness.lenient, True, False),
        (Strictness.standard, False, False),
        (Strictness.strict, False, True),
    ],
)
def test_profile_is_translated_for_the_run(
    strictness: Strictness, *, lenient: bool, strict: bool
) -> None:
    """A QA profile becomes required gates, a coverage threshold in percent and a strictness."""
    analytics = _profiles(
        release=QAProfileSection(coverage_goal=0.95, gates=("mypy",), strictness=strictness)
    )
    options = resolve(GuardRailsRequest(profile="release"), GuardRailsSection(), analytics)
    assert options.profile == ProfileOptions(
        name="release", gates=("mypy",), coverage_threshold=95.0, lenient=lenient, strict=strict
    )


def test_unknown_profile_is_a_usage_error() -> None:
    """A profile that is not configured is refused before anything runs, listing the known."""
    analytics = _profiles(ci=QAProfileSection())
    with pytest.raises(UsageError, match=r"unknown QA profile 'nope' \(known: ci\)") as caught:
        resolve(GuardRailsRequest(profile="nope"), GuardRailsSection(), analytics)
    assert caught.value.code == "unknown-profile"


def test_the_registry_rows() -> None:
    """guard_rails runs code, writes state and may reach a service; its fix twin is destructive."""
    check, fix = operation("guard_rails"), operation("guard_rails_fix")
    expected = {Safety.runs_project_code, Safety.writes_state, Safety.network}
    assert check.safety == expected
    assert fix.safety == {*expected, Safety.destructive}
    assert (check.command, fix.command, fix.twin) == ("guard-rails", "guard-rails", "guard_rails")
    assert check.load().request is fix.load().request is GuardRailsRequest
    assert check.load().results == fix.load().results == (GuardRailsReport,)


@pytest.fixture(autouse=True)
def _no_activated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever venv runs the suite, the checked repository has none (ruff needs none)."""
    for name in ("VIRTUAL_ENV", "CONDA_PREFIX", "UV_PROJECT_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository configuring ruff, with an unused import for ruff-check to find."""
    root = tmp_path / "repo"
    (root / "sub").mkdir(parents=True)
    git(root, "init", "-q")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0"\n[tool.ruff.lint]\nselect = ["F"]\n'
    )
    (root / "m.py").write_text("import os\n")
    return root


def _call(name: str, fields: dict[str, Any], cwd: Path, **kw: Any) -> GuardRailsReport:  # noqa: ANN401
    report = call(name, fields, cwd=cwd, **kw)
    assert isinstance(report, GuardRailsReport)
    return report


def _result(report: GuardRailsReport, name: str) -> GateResult:
    return next(r for r in report.results if r.name == name)


class Recorder:
    """A plain progress sink: records what it is told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def start(self, total: int | None) -> None:
        """Record the start of a phase."""
        self.events.append(("start", total))

    def advance(self, n: int = 1) -> None:
        """Record progress."""
        self.events.append(("advance", n))

    def note(self, message: str) -> None:
        """Record a note."""
        self.events.append(("note", message))


class GateRecorder(Recorder):
    """A sink that also takes the typed gate events, as the CLI's live table does."""

    def started(self, name: str) -> None:
        """Record a gate's start."""
        self.events.append(("started", name))

    def finished(self, result: GateResult) -> None:
        """Record a gate's result."""
        self.events.append(("finished", result.status.value))


def test_check_through_the_registry_reports_and_writes_nothing(repo: Path) -> None:
    """guard_rails finds the problem, changes no file, and reports progress plainly."""
    progress = Recorder()
    report = _call("guard_rails", {"gates": ["ruff-check"]}, repo, progress=progress)
    result = _result(report, "ruff-check")
    assert result.status is GateStatus.failed
    assert [(f.rule, f.path, f.line) for f in result.findings] == [("F401", "m.py", 1)]
    assert report.exit_code == ExitCode.FINDINGS
    assert report.root == str(repo)
    assert (repo / "m.py").read_text() == "import os\n"
    assert progress.events == [
        ("start", 1),
        ("note", "ruff-check: running"),
        ("note", "ruff-check: failed"),
        ("advance", 1),
    ]


def test_fix_through_the_registry_applies_fixes(repo: Path) -> None:
    """guard_rails_fix lets ruff fix the file, then the gate passes; typed events arrive too."""
    progress = GateRecorder()
    report = _call("guard_rails_fix", {"gates": ["ruff-check"]}, repo, progress=progress)
    assert _result(report, "ruff-check").status is GateStatus.passed
    assert report.exit_code == ExitCode.OK
    assert (repo / "m.py").read_text() == ""
    assert ("started", "ruff-check") in progress.events
    assert progress.events[-1] == ("finished", "passed")


def test_report_files_are_written_relative_to_the_working_directory(repo: Path) -> None:
    """``sarif`` and ``junit`` name files from the caller's directory, the root from git."""
    fields = {"gates": ["ruff-check"], "sarif": "out.sarif", "junit": "out.xml"}
    report = _call("guard_rails", fields, repo / "sub")
    assert report.root == str(repo)
    sarif = json.loads((repo / "sub" / "out.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert (repo / "sub" / "out.xml").read_text().startswith("<?xml")


def test_a_cancelled_call_stops_before_any_gate_runs(repo: Path) -> None:
    """A cancelled token: every gate is stopped unstarted, the partial report exits 130."""
    token = Cancellation()
    token.cancel()
    report = _call("guard_rails", {"gates": ["ruff-check"]}, repo, cancellation=token)
    result = _result(report, "ruff-check")
    assert (result.status, result.reason) == (GateStatus.skipped, CANCELLED)
    assert report.interrupted == CANCELLED
    assert report.exit_code == ExitCode.INTERRUPTED


def test_results_name_fields_not_flags(repo: Path) -> None:
    """Reasons and hints in the report name request fields (`` `gates` ``), never a flag."""
    report = _call("guard_rails", {"skip": ["pip-audit"]}, repo)
    mypy = _result(report, "mypy")
    assert mypy.status is GateStatus.skipped
    assert mypy.hint == "to run it anyway, name mypy in `gates`"
    assert _result(report, "pip-audit").reason == "skipped by `skip`"
    texts = [t for r in report.results for t in (r.reason, r.hint) if t]
    assert not [t for t in texts if FLAG.search(t)]


@pytest.mark.parametrize(
    ("fields", "kind", "field"),
    [
        ({"gates": ["nope"]}, UsageError, "gates"),
        ({"skip": ["nope"]}, UsageError, "skip"),
        ({"sarif": "missing/out.sarif"}, UsageError, "sarif"),
        ({"junit": "missing/out.xml"}, UsageError, "junit"),
        ({"python": "no-such-python"}, ConfigError, "python"),
        ({"jobs": 0}, UsageError, "jobs"),
        ({"fix": True}, UsageError, "fix"),  # fixing is its own operation, not a field
    ],
)
def test_errors_name_fields_not_flags(
    repo: Path, fields: dict[str, Any], kind: type[HephaestusError], field: str
) -> None:
    """Bad input is refused before any gate runs, naming the field for each face to spell."""
    with pytest.raises(kind) as caught:
        call("guard_rails", fields, cwd=repo)
    error = caught.value
    assert f"`{field}`" in error.message
    assert not FLAG.search(error.message)
    assert not FLAG.search(error.hint or "")
    assert not (repo / ".hephaestus").exists()


def test_an_unwritable_report_names_its_field(repo: Path) -> None:
    """A report file that cannot be written after the run is a usage error naming the field."""
    with pytest.raises(UsageError, match=r"`sarif` /proc/out\.sarif: cannot write it") as caught:
        call("guard_rails", {"gates": ["ruff-check"], "sarif": "/proc/out.sarif"}, cwd=repo)
    assert not FLAG.search(caught.value.hint or "")
