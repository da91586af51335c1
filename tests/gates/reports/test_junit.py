from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

import pytest
from tests.gates.reports import samples

from hephaestus.gates.models import (
    Finding,
    GateResult,
    GateStatus,
    Severity,
    TestCase,
    TestOutcome,
)
from hephaestus.gates.reports.junit import to_junit, write_junit

if TYPE_CHECKING:
    from pathlib import Path


def _parse(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))  # noqa: S314  # our own output, not untrusted input


def _suites() -> dict[str, ET.Element]:
    root = _parse(to_junit(samples.full_report()))
    return {suite.get("name", ""): suite for suite in root.iter("testsuite")}


def _counts(element: ET.Element) -> tuple[str | None, ...]:
    return tuple(element.get(k) for k in ("tests", "failures", "errors", "skipped"))


def _outcome(case: ET.Element) -> str:
    return next((c.tag for c in case if c.tag in {"failure", "error", "skipped"}), "passed")


def test_output_is_declared_utf8_and_parses() -> None:
    """The text starts with an XML declaration for UTF-8 and is well-formed."""
    text = to_junit(samples.full_report())
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')
    assert _parse(text).tag == "testsuites"


def test_totals_add_up_over_all_suites() -> None:
    """<testsuites> counts are the sums of its suites' cases and carry the run's wall time."""
    root = _parse(to_junit(samples.full_report()))
    assert _counts(root) == ("13", "4", "2", "2")
    assert (root.get("name"), root.get("time")) == ("hephaestus", "4.250")
    assert [s.get("name") for s in root] == [
        "ruff-check", "pytest", "mypy", "ruff-format", "yamllint", "pip-audit",
    ]  # fmt: skip


def test_findings_become_cases_named_by_place_and_rule() -> None:
    """A gate without tests has one case per finding: errors fail, warnings and notes pass."""
    suite = _suites()["ruff-check"]
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [
        f"{samples.HOSTILE_PATH}:3:8 F401",
        "src/app.py:9 F401",
        "docs/ünïcode.py:3 E501",
        "src/app.py I001",
        "ruff-check",
    ]
    assert [_outcome(c) for c in cases] == ["failure", "failure", "passed", "passed", "failure"]
    assert {c.get("classname") for c in cases} == {"ruff-check"}
    assert _counts(suite) == ("5", "3", "0", "0")
    assert suite.get("time") == "0.500"


def test_failure_carries_message_and_full_description() -> None:
    """A failure's message is the finding's (CR and LF kept); its text says where and links help."""
    failure = _suites()["ruff-check"].findall("testcase")[1].find("failure")
    assert failure is not None
    assert failure.get("message") == samples.MULTILINE
    assert failure.get("type") == "F401"
    assert (failure.text or "").startswith("src/app.py:9: error: F401: first line\n")
    assert (failure.text or "").endswith("https://docs.astral.sh/ruff/rules/unused-import")


def test_warnings_and_notes_pass_with_their_message_in_system_out() -> None:
    """A warning or a note is a passing case whose <system-out> holds the description."""
    cases = _suites()["ruff-check"].findall("testcase")
    assert (
        cases[2].findtext("system-out")
        == "docs/ünïcode.py:3: warning: E501: `os` imported but unused"
    )
    assert cases[3].findtext("system-out") == "src/app.py: note: I001: bell and escape[31m red"


def test_tests_become_cases_with_their_outcomes() -> None:
    """A test gate has one case per test, with failure, error or skipped as its outcome says."""
    suite = _suites()["pytest"]
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name"), _outcome(c)) for c in cases] == [
        ("tests.test_a", "test_ok", "passed"),
        ("tests.test_a", "test_bad[ab]", "failure"),
        ("tests.test_b", "test_boom", "error"),
        ("tests.test_b", "test_later", "skipped"),
    ]
    assert [c.get("time") for c in cases] == ["0.100", "0.200", "0.000", "0.000"]
    assert _counts(suite) == ("4", "1", "1", "1")
    failure = cases[1].find("failure")
    assert failure is not None
    assert failure.get("message") == failure.text == "assert 1 == 2\n  where 1 = f()"
    skipped = cases[3].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "needs network"


def test_findings_of_a_test_gate_are_listed_not_counted() -> None:
    """A test gate's findings appear in the suite's <system-out>, not as extra cases."""
    out = _suites()["pytest"].findtext("system-out") or ""
    assert out.splitlines() == [
        "tests/test_a.py:12: error: test-failed: `os` imported but unused",
        "src/x.py:3:8: warning: coverage: `os` imported but unused",
    ]


def test_could_not_run_gate_is_one_error_with_reason_and_hint() -> None:
    """A gate that could not run is one <error> case with the reason and, in its text, the hint."""
    suite = _suites()["mypy"]
    [case] = suite.findall("testcase")
    error = case.find("error")
    assert error is not None
    assert (case.get("name"), case.get("classname")) == ("mypy", "mypy")
    assert (error.get("message"), error.get("type")) == ("mypy is not installed", "could-not-run")
    assert error.text == "mypy is not installed\nhint: uv add --dev mypy"
    assert _counts(suite) == ("1", "0", "1", "0")


def test_skipped_cached_and_passed_gates_get_one_case_each() -> None:
    """Skipped: a <skipped> case; cached: a pass saying so; passed: a plain pass named after it."""
    suites = _suites()
    [skipped] = suites["yamllint"].findall("testcase")
    assert skipped.find("skipped") is not None
    assert skipped.find("skipped").get("message") == "no YAML files"  # type: ignore[union-attr]
    [cached] = suites["ruff-format"].findall("testcase")
    assert _outcome(cached) == "passed"
    assert "cached" in (cached.findtext("system-out") or "")
    [passed] = suites["pip-audit"].findall("testcase")
    assert (passed.get("name"), _outcome(passed), list(passed)) == ("pip-audit", "passed", [])
    assert passed.get("time") == "1.500"


def test_suites_carry_the_gate_facts_as_properties() -> None:
    """Each suite lists status, required, tool and tool version (when known) as properties."""
    props = {p.get("name"): p.get("value") for p in _suites()["ruff-check"].iter("property")}
    assert props == {
        "status": "failed",
        "required": "true",
        "tool": "ruff",
        "tool-version": "0.8.4",
    }
    assert {p.get("name") for p in _suites()["yamllint"].iter("property")} == {"status", "required"}


@pytest.mark.parametrize(
    ("findings", "message"),
    [
        (
            (samples.finding("pytest", rule="coverage", message="total 80% is below 85%"),),
            "total 80% is below 85%",
        ),
        ((), "the gate failed"),
    ],
)
def test_failed_gate_without_a_failing_case_gets_one(
    findings: tuple[Finding, ...], message: str
) -> None:
    """A failed gate whose tests all passed (coverage) still fails its suite, saying why."""
    gate = GateResult(
        name="pytest",
        status=GateStatus.failed,
        required=True,
        duration=1,
        tests=(TestCase(name="t", classname="c", outcome=TestOutcome.passed, duration=0),),
        findings=findings,
    )
    suite = _parse(to_junit(samples.report(gate))).find("testsuite")
    assert suite is not None
    assert _counts(suite) == ("2", "1", "0", "0")
    failure = suite.findall("testcase")[-1].find("failure")
    assert failure is not None
    assert failure.get("message") == message


def test_characters_xml_cannot_hold_are_removed() -> None:
    """NUL, other C0 controls, lone surrogates and U+FFFE vanish; tab, newline and the rest stay."""
    text = "a\x00b\x01c\x1fd\tE\nF\udce9G\ufffeH€😀"
    gate = GateResult(
        name="g\x00",
        status=GateStatus.could_not_run,
        required=True,
        duration=0,
        reason=text,
        findings=(samples.finding("g", severity=Severity.error, message=text, path=text),),
    )
    root = _parse(to_junit(samples.report(gate)))
    error = root.find("testsuite/testcase/error")
    failure = root.find("testsuite/testcase/failure")
    assert error is not None
    assert failure is not None
    assert error.get("message") == failure.get("message") == "abcd\tE\nFGH€😀"
    assert root.find("testsuite").get("name") == "g"  # type: ignore[union-attr]


def test_write_junit_writes_atomically(tmp_path: Path) -> None:
    """write_junit creates parent folders, writes to_junit's text as UTF-8, leaves no temp file."""
    target = tmp_path / "reports" / "deep" / "junit.xml"
    write_junit(samples.full_report(), target)
    assert target.read_bytes().decode("utf-8") == to_junit(samples.full_report())
    assert [p.name for p in target.parent.iterdir()] == ["junit.xml"]


def test_write_junit_leaves_no_temp_file_when_the_rename_fails(tmp_path: Path) -> None:
    """A failed write raises OSError and removes its temporary file."""
    target = tmp_path / "out" / "taken"
    (target / "inside").mkdir(parents=True)
    with pytest.raises(OSError, match="taken"):
        write_junit(samples.full_report(), target)
    assert [p.name for p in target.parent.iterdir()] == ["taken"]
