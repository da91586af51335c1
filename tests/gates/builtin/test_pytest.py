from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from tests.gates.builtin.conftest import snapshot
from tests.gates.seeded import CLEAN, build

from hephaestus.core.proc import ProcessResult
from hephaestus.gates.builtin.pytest import Pytest
from hephaestus.gates.environment import ToolEnvironment
from hephaestus.gates.models import Severity, TestOutcome
from hephaestus.gates.spec import GateError

if TYPE_CHECKING:
    from pathlib import Path

    from tests.gates.builtin.conftest import GateRunner

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.test_a" name="test_ok" file="tests/test_a.py" line="2" time="0.5"/>
<testcase classname="tests.test_a" name="test_skip" file="tests/test_a.py" line="5" time="0">
<skipped type="pytest.skip" message="not today">tests/test_a.py:6: not today</skipped></testcase>
<testcase classname="tests.test_a" name="test_lib" file="tests/test_a.py" line="9" time="0.1">
<failure message="ValueError: deep">/usr/lib/python3/json/__init__.py:346: ValueError</failure>
</testcase></testsuite></testsuites>
"""


def test_failures_and_coverage_shortfall(messy: Path, run_gate: GateRunner) -> None:
    """A failing test and uncovered code: findings at the failing line and per file."""
    before = snapshot(messy)
    outcome = run_gate(Pytest(), messy, config={"coverage_threshold": 90})
    tests = {t.name: t for t in outcome.tests}
    assert tests["test_passes"].outcome is TestOutcome.passed
    assert tests["test_greets"].outcome is TestOutcome.failed
    assert tests["test_greets"].classname == "tests.test_core"
    by_rule = {f.rule: f for f in outcome.findings if f.severity is Severity.error}
    failed = by_rule["test-failed"]
    assert (failed.path, failed.line) == ("tests/test_core.py", 11)
    assert failed.message.startswith("tests.test_core.test_greets: ")
    assert "assert 1 == 'hello x'" in failed.message
    assert by_rule["coverage"].message.endswith("is below the threshold 90%")
    assert by_rule["coverage"].message.startswith("total coverage ")
    extra = [f for f in outcome.findings if f.path == "src/demo/extra.py"]
    assert [(f.severity, f.line) for f in extra] == [(Severity.warning, 4)]
    assert extra[0].message == "0% covered; not covered: lines 4, 6-8"
    assert snapshot(messy) == before


def test_clean_repository_passes(clean: Path, run_gate: GateRunner) -> None:
    """All tests pass and coverage is above the threshold: no findings."""
    outcome = run_gate(Pytest(), clean, config={"coverage_threshold": 90})
    assert outcome.findings == ()
    assert [(t.name, t.outcome) for t in outcome.tests] == [("test_greets", TestOutcome.passed)]


def test_commands(clean: Path, tmp_path: Path, run_gate: GateRunner) -> None:
    """No paths; --cov per discovered package, or bare --cov when coverage's source is set."""
    gate = Pytest()
    context = run_gate.context(gate, clean, config={"coverage_threshold": 50, "args": ["-x"]})
    argv = list(gate.command(context))
    junit, report = (
        f"--junitxml={context.scratch}/junit.xml",
        f"--cov-report=json:{context.scratch}/coverage.json",
    )
    assert argv[1:] == [
        junit,
        "-o",
        "junit_family=xunit1",
        "--color=no",
        "-p",
        "no:cacheprovider",
        "--cov=src/demo",
        report,
        "-x",
    ]
    pyproject = CLEAN["pyproject.toml"] + '[tool.coverage.run]\nsource = ["demo"]\n'
    root = build(tmp_path / "repo", {**CLEAN, "pyproject.toml": pyproject})
    context = run_gate.context(gate, root, config={"coverage_threshold": 50})
    assert gate.command(context)[-2] == "--cov"
    assert "--cov" not in " ".join(gate.command(run_gate.context(gate, root)))


def test_no_tests_collected_is_a_finding(clean: Path, run_gate: GateRunner) -> None:
    """Exit 5 (nothing collected) fails the gate with a finding."""
    outcome = run_gate(Pytest(), clean, config={"args": ["-k", "no_such_test"]})
    assert [(f.rule, f.severity) for f in outcome.findings] == [("no-tests", Severity.error)]


def test_collection_error_is_a_finding(tmp_path: Path, run_gate: GateRunner) -> None:
    """A test module that cannot be imported (exit 2) is a test-error finding at its line."""
    broken = {**CLEAN, "tests/test_broken.py": '"""Broken."""\n\nimport no_such_module\n'}
    outcome = run_gate(Pytest(), build(tmp_path / "repo", broken))
    errors = [f for f in outcome.findings if f.rule == "test-error"]
    assert [(f.path, f.line) for f in errors] == [("tests/test_broken.py", 3)]


def test_projects_own_fail_under_is_a_finding(tmp_path: Path, run_gate: GateRunner) -> None:
    """Exit 1 with no failing test (the project's --cov-fail-under) quotes pytest's verdict."""
    files = {**CLEAN, "src/demo/extra.py": "def unused() -> int:\n    return 1\n"}
    root = build(tmp_path / "repo", files)
    args = ["--cov=src/demo", "--cov-report=", "--cov-fail-under=100"]
    outcome = run_gate(Pytest(), root, config={"args": args})
    assert [f.rule for f in outcome.findings] == ["pytest-failed"]
    assert "Required test coverage of 100% not reached" in outcome.findings[0].message


def test_usage_error_could_not_run(clean: Path, run_gate: GateRunner) -> None:
    """Exit 4 (an unknown option) raises GateError quoting pytest."""
    with pytest.raises(GateError, match="exited with code 4"):
        run_gate(Pytest(), clean, config={"args": ["--no-such-option"]})


def test_parse_junit_locations_and_outcomes(clean: Path, run_gate: GateRunner) -> None:
    """Skips keep their reason; a traceback outside the repo falls back to the test's place."""
    gate = Pytest()
    context = run_gate.context(gate, clean)
    (context.scratch / "junit.xml").write_text(JUNIT)
    outcome = gate.parse(context, ProcessResult(("pytest",), 1, "", "", 1.0))
    assert [(t.outcome, t.message) for t in outcome.tests] == [
        (TestOutcome.passed, None),
        (TestOutcome.skipped, "not today"),
        (TestOutcome.failed, "ValueError: deep"),
    ]
    (finding,) = outcome.findings
    assert (finding.rule, finding.path, finding.line) == ("test-failed", "tests/test_a.py", 10)


@pytest.mark.parametrize(
    ("returncode", "junit", "match"),
    [(3, JUNIT, "exited with code 3"), (1, None, "exited with code 1"),
     (2, JUNIT, "exited with code 2"), (1, "<testsuites>", "JUnit report cannot be read")],
)  # fmt: skip
def test_unexplained_results_could_not_run(
    clean: Path, run_gate: GateRunner, returncode: int, junit: str | None, match: str
) -> None:
    """Internal errors, a missing or broken report, an interruption without errors: never a pass."""
    gate = Pytest()
    context = run_gate.context(gate, clean)
    if junit is not None:
        (context.scratch / "junit.xml").write_text(junit)
    with pytest.raises(GateError, match=match):
        gate.parse(context, ProcessResult(("pytest",), returncode, "", "boom", 1.0))


def test_missing_coverage_report_could_not_run(clean: Path, run_gate: GateRunner) -> None:
    """With a threshold, a run that wrote no coverage report is not a pass."""
    gate = Pytest()
    context = run_gate.context(gate, clean, config={"coverage_threshold": 80})
    (context.scratch / "junit.xml").write_text(
        JUNIT.replace("<failure", "<skipped").replace("</failure", "</skipped")
    )
    with pytest.raises(GateError, match="coverage report cannot be read"):
        gate.parse(context, ProcessResult(("pytest",), 0, "", "", 1.0))


def test_threshold_needs_pytest_cov(clean: Path, tmp_path: Path, run_gate: GateRunner) -> None:
    """coverage-threshold without pytest-cov in the environment is tool-not-found."""
    running = ToolEnvironment.running()
    without = ToolEnvironment(running.prefix, running.bin_dir, (tmp_path / "empty",))
    gate = Pytest()
    context = run_gate.context(gate, clean, config={"coverage_threshold": 80}, environment=without)
    with pytest.raises(GateError, match="pytest-cov") as raised:
        gate.command(context)
    assert raised.value.code == "tool-not-found"


def test_applies_only_with_test_files(tmp_path: Path, run_gate: GateRunner) -> None:
    """Without test_*.py or *_test.py files the gate does not apply."""
    root = build(tmp_path / "repo", {"src/a.py": "", "tests/conftest.py": ""})
    assert Pytest().applies(run_gate.context(Pytest(), root)) == "no test files"
    assert (
        Pytest().applies(run_gate.context(Pytest(), build(tmp_path / "b", {"x_test.py": ""})))
        is None
    )


def test_threshold_without_code_to_measure(tmp_path: Path, run_gate: GateRunner) -> None:
    """A threshold with no package and no configured coverage source cannot be measured."""
    root = build(tmp_path / "repo", {"tests/test_a.py": "def test_a() -> None:\n    pass\n"})
    gate = Pytest()
    with pytest.raises(GateError, match="cannot tell which code to measure") as raised:
        gate.command(run_gate.context(gate, root, config={"coverage_threshold": 80}))
    assert raised.value.code == "no-targets"
