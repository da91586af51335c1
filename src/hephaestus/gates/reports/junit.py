"""JUnit XML: one ``<testsuite>`` per gate, for CI test-report viewers.

Mapping, per gate:

- a gate that ran tests (pytest) has one case per test, with ``<failure>``, ``<error>`` or
  ``<skipped>`` as its outcome says; its findings (which repeat failed tests, or add coverage
  problems) are listed in the suite's ``<system-out>`` so nothing is counted twice;
- any other gate has one case per finding, named ``path:line:col rule``: an error is a
  ``<failure>``; a warning or note does not fail the gate, so it is a passing case whose
  ``<system-out>`` carries the message (viewers show it without counting a failure);
- then one case named after the gate says what happened to it: ``<error>`` if it could not run
  (reason and hint), ``<skipped>`` if skipped, a pass whose ``<system-out>`` says "cached" if its
  pass was reused, a ``<failure>`` if it failed but no case above failed, a plain pass if it
  passed and nothing above stands for it. So a suite fails exactly when its gate did.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from hephaestus.core.fs import write_atomic
from hephaestus.gates.models import GateStatus, Severity, TestOutcome

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from hephaestus.gates.models import Finding, GateResult, GuardRailsReport, TestCase

# Everything XML 1.0 cannot hold: C0 controls but tab, newline and CR; lone surrogates; FFFE/FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_OUTCOME_TAG = {
    TestOutcome.failed: "failure",
    TestOutcome.error: "error",
    TestOutcome.skipped: "skipped",
}
_COUNTED = {"failure": "failures", "error": "errors", "skipped": "skipped"}


def to_junit(report: GuardRailsReport) -> str:
    """Return ``report`` as JUnit XML text with a UTF-8 declaration; it always parses.

    Characters XML 1.0 cannot hold are removed from every text and attribute.
    """
    suites = [_suite(gate) for gate in report.results]
    root = ET.Element("testsuites", _attributes(name="hephaestus", time=f"{report.duration:.3f}"))
    root.attrib |= _counts(case for suite in suites for case in suite.iter("testcase"))
    root.extend(suites)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(report: GuardRailsReport, path: Path) -> None:
    """Write :func:`to_junit` to ``path`` atomically (temp file, then rename).

    Parent directories are created. Raises ``OSError`` if the file cannot be written; a reader
    then sees the old file or none, never a part.
    """
    text = to_junit(report)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)


def _suite(gate: GateResult) -> ET.Element:
    if gate.tests:
        cases = [_test(gate, test) for test in gate.tests]
    else:
        cases = [_finding(gate, finding) for finding in gate.findings]
    closing = _gate_case(gate, cases)
    cases += [closing] if closing is not None else []
    suite = ET.Element("testsuite", _attributes(name=gate.name, time=f"{gate.duration:.3f}"))
    suite.attrib |= _counts(cases)
    properties = ET.SubElement(suite, "properties")
    facts = {"status": gate.status.value, "required": str(gate.required).lower()}
    for name, value in (facts | {"tool": gate.tool, "tool-version": gate.tool_version}).items():
        if value:
            ET.SubElement(properties, "property", _attributes(name=name, value=value))
    suite.extend(cases)
    if gate.tests and gate.findings:
        _child(suite, "system-out", "\n".join(_describe(f) for f in gate.findings))
    return suite


def _test(gate: GateResult, test: TestCase) -> ET.Element:
    case = _case(test.classname or gate.name, test.name, test.duration)
    tag = _OUTCOME_TAG.get(test.outcome)
    if tag is not None:
        _child(case, tag, None if tag == "skipped" else test.message, message=test.message)
    return case


def _finding(gate: GateResult, finding: Finding) -> ET.Element:
    case = _case(gate.name, " ".join(filter(None, (_place(finding), finding.rule))) or gate.name)
    if finding.severity is Severity.error:
        _child(case, "failure", _describe(finding), message=finding.message, type=finding.rule)
    else:
        _child(case, "system-out", _describe(finding))
    return case


def _gate_case(gate: GateResult, cases: list[ET.Element]) -> ET.Element | None:
    """Say what happened to the gate, unless the cases already do (see the module docstring)."""
    case = _case(gate.name, gate.name, gate.duration)
    reason = gate.reason or "no reason given"
    if gate.status is GateStatus.could_not_run:
        hint = f"\nhint: {gate.hint}" if gate.hint else ""
        _child(case, "error", reason + hint, message=reason, type="could-not-run")
    elif gate.status is GateStatus.skipped:
        _child(case, "skipped", None, message=reason)
    elif gate.status is GateStatus.cached:
        _child(case, "system-out", "cached: a pass reused, nothing the gate reads has changed")
    elif gate.status is GateStatus.baselined:
        _child(case, "system-out", f"baselined: {reason}")
    elif gate.status is GateStatus.failed:
        if any(c.find("failure") is not None or c.find("error") is not None for c in cases):
            return None
        errors = [f for f in gate.findings if f.severity is Severity.error]
        message = gate.reason or (errors[0].message if errors else "the gate failed")
        _child(case, "failure", "\n".join(map(_describe, errors)) or message, message=message)
    elif cases:
        return None
    return case


def _place(finding: Finding) -> str:
    return ":".join(str(p) for p in (finding.path, finding.line, finding.column) if p is not None)


def _describe(finding: Finding) -> str:
    parts = (_place(finding), finding.severity.value, finding.rule, finding.message)
    head = ": ".join(filter(None, parts))
    return f"{head}\n{finding.help_url}" if finding.help_url else head


def _case(classname: str, name: str, seconds: float = 0) -> ET.Element:
    return ET.Element(
        "testcase", _attributes(classname=classname, name=name, time=f"{seconds:.3f}")
    )


def _child(parent: ET.Element, tag: str, text: str | None, **attributes: str | None) -> None:
    child = ET.SubElement(parent, tag, _attributes(**attributes))
    if text:
        child.text = _clean(text)


def _counts(cases: Iterable[ET.Element]) -> dict[str, str]:
    """Count ``cases`` into the tests/failures/errors/skipped attributes of a suite."""
    listed = list(cases)
    counts = {"tests": str(len(listed))}
    for tag, attribute in _COUNTED.items():
        counts[attribute] = str(sum(case.find(tag) is not None for case in listed))
    return counts


def _attributes(**values: str | None) -> dict[str, str]:
    return {name: _clean(value) for name, value in values.items() if value is not None}


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)
