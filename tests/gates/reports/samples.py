"""Guard-rails reports built by hand for the renderer tests: hostile text, every gate status."""

from __future__ import annotations

from hephaestus.gates.models import (
    Finding,
    GateResult,
    GateStatus,
    GuardRailsReport,
    Severity,
    TestCase,
    TestOutcome,
)

ROOT = "/work/my repo#1"

# Paths with spaces, commas, colons, '%', '#', '?' and non-ASCII; messages with newlines, CRs,
# percent signs, control characters that XML cannot hold, and non-ASCII text.
HOSTILE_PATH = "src/dir with space/a,b:c%d#e?f ü.py"
MULTILINE = "first line\nsecond line\r\nthird: 100% done, ok"
CONTROL = "bell\x07 and escape\x1b[31m red"


def finding(
    gate: str = "ruff-check",
    *,
    rule: str | None = "F401",
    severity: Severity = Severity.error,
    message: str = "`os` imported but unused",
    path: str | None = "src/app.py",
    line: int | None = 3,
    column: int | None = 8,
    help_url: str | None = None,
) -> Finding:
    """Return a finding with sensible defaults, each overridable."""
    return Finding(
        gate=gate,
        rule=rule,
        severity=severity,
        message=message,
        path=path,
        line=line,
        column=column,
        help_url=help_url,
    )


def report(*results: GateResult, root: str = ROOT) -> GuardRailsReport:
    """Wrap ``results`` in a report."""
    return GuardRailsReport(root=root, results=results, duration=4.25, jobs=4)


def ruff() -> GateResult:
    """A failed linter gate: errors, a warning and a note, hostile paths and messages."""
    url = "https://docs.astral.sh/ruff/rules/unused-import"
    return GateResult(
        name="ruff-check",
        status=GateStatus.failed,
        required=True,
        duration=0.5,
        tool="ruff",
        tool_version="0.8.4",
        command=("ruff", "check", "--output-format=json", "src dir"),
        findings=(
            finding(path=HOSTILE_PATH, help_url=url),
            finding(line=9, column=None, message=MULTILINE, help_url=url),
            finding(rule="E501", severity=Severity.warning, path="docs/ünïcode.py", column=None),
            finding(rule="I001", severity=Severity.note, message=CONTROL, line=None, column=None),
            finding(rule=None, message="no path, no rule", path=None, line=None, column=None),
        ),
    )


def pytest_gate() -> GateResult:
    """A failed test gate: passed, failed, erroring and skipped tests, plus findings."""
    tests = (
        TestCase(
            name="test_ok", classname="tests.test_a", outcome=TestOutcome.passed, duration=0.1
        ),
        TestCase(
            name="test_bad[a\x00b]",
            classname="tests.test_a",
            outcome=TestOutcome.failed,
            duration=0.2,
            message="assert 1 == 2\n  where 1 = f()",
        ),
        TestCase(
            name="test_boom",
            classname="tests.test_b",
            outcome=TestOutcome.error,
            duration=0.0,
            message="fixture 'db' not found",
        ),
        TestCase(
            name="test_later",
            classname="tests.test_b",
            outcome=TestOutcome.skipped,
            duration=0.0,
            message="needs network",
        ),
    )
    return GateResult(
        name="pytest",
        status=GateStatus.failed,
        required=True,
        duration=3.0,
        tool="pytest",
        tool_version="8.3.4",
        tests=tests,
        findings=(
            finding("pytest", rule="test-failed", path="tests/test_a.py", line=12, column=None),
            finding("pytest", rule="coverage", severity=Severity.warning, path="src/x.py"),
        ),
    )


def could_not_run() -> GateResult:
    """A required gate whose tool is missing."""
    return GateResult(
        name="mypy",
        status=GateStatus.could_not_run,
        required=True,
        duration=0.01,
        tool="mypy",
        reason="mypy is not installed",
        hint="uv add --dev mypy",
    )


def cached() -> GateResult:
    """A pass reused from the cache."""
    return GateResult(
        name="ruff-format",
        status=GateStatus.cached,
        required=True,
        duration=0,
        tool="ruff",
        tool_version="0.8.4",
    )


def skipped() -> GateResult:
    """A gate that does not apply to this repository."""
    return GateResult(
        name="yamllint",
        status=GateStatus.skipped,
        required=False,
        duration=0,
        reason="no YAML files",
    )


def passed() -> GateResult:
    """A clean pass with nothing to report."""
    return GateResult(
        name="pip-audit", status=GateStatus.passed, required=True, duration=1.5, tool="pip-audit"
    )


def full_report() -> GuardRailsReport:
    """One report with every gate above, in a fixed order."""
    return report(ruff(), pytest_gate(), could_not_run(), cached(), skipped(), passed())
