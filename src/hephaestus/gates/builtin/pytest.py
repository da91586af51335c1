"""The ``pytest`` gate: run the tests (pytest's own ``testpaths``), read its JUnit XML report.

The tests import the project, so they run in the project's environment only. A check writes
nothing into the work tree: pytest's cache goes to hephaestus' state directory (or the cache
plugin is off), coverage data to a private scratch directory, bytecode under a private prefix.

Every test becomes a :class:`TestCase`; a failed or erroring one is also an error finding at
the failing line of its traceback. With ``coverage-threshold`` set, pytest-cov measures the
discovered packages (or coverage's configured ``source``) into a JSON report in ``scratch``.

Exit codes: 0 passed; 1 tests failed (or the project's own ``--cov-fail-under``); 2 interrupted,
a finding only when collection errors explain it; 3 internal error and 4 usage error: could not
run; 5 no tests collected: a finding.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, ClassVar, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hephaestus.gates.builtin.layout import (
    coverage_source_configured,
    is_test_file,
    python_packages,
)
from hephaestus.gates.models import Finding, Severity, TestCase, TestOutcome
from hephaestus.gates.spec import (
    Gate,
    GateConfig,
    GateContext,
    GateError,
    Outcome,
    could_not_run,
    executable,
    relative,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from hephaestus.core.proc import ProcessResult

HINT = "run pytest by hand to see its whole output"
PASSED, FAILED, INTERRUPTED, NO_TESTS = 0, 1, 2, 5
# "path/to/file.py:12: AssertionError" or "path/to/file.py:12: in helper" in a long traceback.
TRACEBACK_LINE: Final = re.compile(
    r"^(?P<path>[^\s:][^:\n]*\.py):(?P<line>\d+):(?: |$)", re.MULTILINE
)


class PytestConfig(GateConfig):
    """Settings of the pytest gate."""

    coverage_threshold: float | None = Field(default=None, ge=0, le=100)
    """Minimum total line coverage in percent (needs pytest-cov); ``None`` measures nothing."""


class Pytest(Gate[PytestConfig]):
    """Run the test suite with pytest, optionally enforcing a coverage threshold."""

    name: ClassVar[str] = "pytest"
    description: ClassVar[str] = "run the tests with pytest"
    tool: ClassVar[str | None] = "pytest"
    config_model: ClassVar[type[GateConfig]] = PytestConfig
    imports_project: ClassVar[bool] = True
    config_files: ClassVar[tuple[str, ...]] = (
        "pytest.ini",
        ".pytest.ini",
        "pyproject.toml",
        "tox.ini",
        "setup.cfg",
        "conftest.py",
        ".coveragerc",
    )
    environment_variables: ClassVar[tuple[str, ...]] = (
        "PYTEST_*",
        "COV_*",
        "COVERAGE_*",
        "HYPOTHESIS_*",
        "PY_COLORS",
        "NO_COLOR",
    )

    def applies(self, context: GateContext[PytestConfig]) -> str | None:
        """Apply when the repository has test modules (test_*.py or *_test.py)."""
        return None if any(map(is_test_file, context.files)) else "no test files"

    def configured(self, context: GateContext[PytestConfig]) -> str | None:
        """Say whether pytest is declared or configured (pyproject, pytest.ini, tox.ini…)."""
        used = context.project.uses(
            distribution="pytest",
            tables=(("tool", "pytest"),),
            files=("pytest.ini", ".pytest.ini"),
            sections={"tox.ini": ("pytest",), "setup.cfg": ("tool:pytest",)},
        )
        return None if used else "not configured: no pytest dependency or pytest configuration"

    def process_environment(self, context: GateContext[PytestConfig]) -> dict[str, str | None]:
        """Coverage data into scratch; bytecode under the tool cache (else not written)."""
        variables: dict[str, str | None] = {"COVERAGE_FILE": str(context.scratch / ".coverage")}
        if context.tool_cache is not None:
            variables["PYTHONPYCACHEPREFIX"] = str(context.tool_cache / "pycache")
        else:
            variables["PYTHONDONTWRITEBYTECODE"] = "1"
        return variables

    def command(self, context: GateContext[PytestConfig]) -> Sequence[str]:
        """``pytest --junitxml=<scratch> -o junit_family=xunit1 [--cov …] <args>``, no paths.

        Raises:
            GateError: pytest (or, with a threshold, pytest-cov) is not installed; or there is
                no package to measure and coverage's ``source`` is not configured.

        """
        pytest = executable(context.environment, "pytest", "pytest")
        junit = f"--junitxml={context.scratch / 'junit.xml'}"
        cache = (
            ["-o", f"cache_dir={context.tool_cache / 'pytest'}"]
            if context.tool_cache is not None
            else ["-p", "no:cacheprovider"]
        )
        argv = [pytest, junit, "-o", "junit_family=xunit1", "--color=no", *cache]
        if context.config.coverage_threshold is not None:
            argv += self._coverage_args(context)
        return [*argv, *context.config.args]

    def _coverage_args(self, context: GateContext[PytestConfig]) -> list[str]:
        if context.environment.version_of("pytest-cov") is None:
            raise GateError(
                f"coverage-threshold needs pytest-cov, which is not installed in "
                f"{context.environment.describe()}",
                hint="uv add --dev pytest-cov (or remove coverage-threshold)",
                code="tool-not-found",
            )
        report = f"--cov-report=json:{context.scratch / 'coverage.json'}"
        if coverage_source_configured(context.root, context.pyproject):
            return ["--cov", report]
        packages = python_packages(context.root, context.files, context.pyproject)
        if not packages:
            raise GateError(
                "cannot tell which code to measure: no package or module found",
                hint='add source = ["your_package"] to [tool.coverage.run] in pyproject.toml',
                code="no-targets",
            )
        # A directory is measured whole (never-imported files count as uncovered); a
        # top-level module can only be named.
        return [
            *(f"--cov={p.name if p.path.endswith('.py') else p.path}" for p in packages),
            report,
        ]

    def parse(self, context: GateContext[PytestConfig], process: ProcessResult) -> Outcome:
        """Test cases from the JUnit report; findings for failures, coverage and odd exits."""
        code = process.returncode
        if code == NO_TESTS:
            return Outcome(findings=(_error(self.name, "no-tests", "pytest collected no tests"),))
        junit = context.scratch / "junit.xml"
        if code not in {PASSED, FAILED, INTERRUPTED} or not junit.is_file():
            raise could_not_run("pytest", process, HINT)
        cases = [_case(self.name, context.root, element) for element in _testcases(junit)]
        tests = [test for test, _ in cases]
        findings = [finding for _, finding in cases if finding is not None]
        if code == INTERRUPTED and not any(t.outcome is TestOutcome.error for t in tests):
            raise could_not_run("pytest", process, HINT)
        threshold = context.config.coverage_threshold
        report = context.scratch / "coverage.json"
        if threshold is not None and (report.is_file() or code != INTERRUPTED):
            findings += _coverage(self.name, context.root, report, threshold)
        if code == FAILED and not any(f.severity is Severity.error for f in findings):
            summary = _summary(process.stdout)
            findings.append(_error(self.name, "pytest-failed", f"pytest failed: {summary}"))
        return Outcome(findings=tuple(findings), tests=tuple(tests))


def _error(
    gate: str, rule: str, message: str, path: str | None = None, line: int | None = None
) -> Finding:
    return Finding(
        gate=gate, rule=rule, severity=Severity.error, message=message, path=path, line=line
    )


def _testcases(junit: Path) -> list[ET.Element]:
    """Every <testcase> of the JUnit report.

    Raises:
        GateError: the report is not well-formed XML.

    """
    try:
        tree = ET.parse(junit)  # noqa: S314  # written by the pytest run we just started, into our private scratch dir
    except ET.ParseError as exc:
        raise GateError(f"pytest's JUnit report cannot be read: {exc}", hint=HINT) from exc
    return list(tree.getroot().iter("testcase"))


def _case(gate: str, root: Path, element: ET.Element) -> tuple[TestCase, Finding | None]:
    """Read one <testcase>: the test, and a finding if it failed or errored."""
    name, classname = element.get("name", ""), element.get("classname", "")
    duration = max(float(element.get("time") or 0), 0.0)
    failure, error, skipped = (element.find(tag) for tag in ("failure", "error", "skipped"))
    problem = failure if failure is not None else error
    outcome, message = TestOutcome.passed, None
    if problem is not None:
        outcome = TestOutcome.failed if problem is failure else TestOutcome.error
        message = (problem.get("message") or "").strip() or outcome.value
    elif skipped is not None:
        outcome, message = TestOutcome.skipped, skipped.get("message")
    test = TestCase(
        name=name, classname=classname, outcome=outcome, duration=duration, message=message
    )
    if problem is None or message is None:
        return test, None
    path, line = _location(root, element, problem.text or "")
    rule = "test-failed" if outcome is TestOutcome.failed else "test-error"
    headline = f"{classname}.{name}" if classname else name
    return test, _error(gate, rule, f"{headline}: {message.splitlines()[0]}", path, line)


def _location(root: Path, element: ET.Element, traceback: str) -> tuple[str | None, int | None]:
    """Locate the innermost traceback line inside the repository, else the test itself."""
    for match in reversed(list(TRACEBACK_LINE.finditer(traceback))):
        path = relative(root, match["path"])
        if not path.startswith(("/", "../")) and int(match["line"]) >= 1:
            return path, int(match["line"])
    file, line = element.get("file"), element.get("line")
    # The testcase's line attribute is 0-based (pytest's item location).
    return file, int(line) + 1 if line is not None and line.isdigit() else None


class _Summary(BaseModel):
    percent_covered: float


class _File(BaseModel):
    summary: _Summary
    missing_lines: list[int]


class _Coverage(BaseModel):
    """coverage.py's JSON report (only the fields used)."""

    model_config = ConfigDict(extra="ignore")

    files: dict[str, _File]
    totals: _Summary


def _coverage(gate: str, root: Path, report: Path, threshold: float) -> list[Finding]:
    """Report a total below ``threshold`` as an error, then each file below it as a warning.

    Raises:
        GateError: the JSON report is missing or is not coverage's JSON.

    """
    try:
        coverage = _Coverage.model_validate_json(report.read_bytes())
    except (OSError, ValidationError) as exc:
        raise GateError(f"the coverage report cannot be read: {exc}", hint=HINT) from exc
    total = coverage.totals.percent_covered
    if total >= threshold:
        return []
    limit = _percent(threshold)
    message = f"total coverage {_percent(total)} is below the threshold {limit}"
    findings = [_error(gate, "coverage", message)]
    for name, file in sorted(coverage.files.items()):
        if file.summary.percent_covered < threshold:
            missing = file.missing_lines
            lines = f"line{'s' if len(missing) > 1 else ''} {_ranges(missing)}"
            findings.append(
                Finding(
                    gate=gate,
                    rule="coverage",
                    severity=Severity.warning,
                    message=f"{_percent(file.summary.percent_covered)} covered; not covered: "
                    + (lines if missing else "some branches"),
                    path=relative(root, name),
                    line=min(missing, default=None),
                )
            )
    return findings


def _percent(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") + "%"


def _ranges(lines: list[int]) -> str:
    """Collapse ``[3, 4, 5, 9]`` into ``"3-5, 9"``."""
    spans: list[list[int]] = []
    for number in sorted(lines):
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _summary(stdout: str) -> str:
    """Quote pytest's verdict: a "Required test coverage" line if any, else its last line."""
    lines = [line.strip(" =") for line in stdout.splitlines() if line.strip(" =")]
    required = [line for line in lines if "Required test coverage" in line]
    return (required or lines or ["no output"])[-1]
