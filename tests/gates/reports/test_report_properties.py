"""Properties of the three renderers, on reports full of arbitrary text (hypothesis)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import unquote_to_bytes

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.gates.reports.sarif_schema import schema_errors, uri_errors
from tests.gates.reports.workflow_commands import parse
from tests.strategies import file_names

from hephaestus.gates.models import (
    Finding,
    GateResult,
    GateStatus,
    GuardRailsReport,
    Severity,
    TestCase,
    TestOutcome,
)
from hephaestus.gates.reports.annotations import to_annotations
from hephaestus.gates.reports.junit import to_junit
from hephaestus.gates.reports.sarif import to_sarif

# Any code point, lone surrogates and controls included, or decoded raw bytes.
TEXT = st.text(st.characters(exclude_categories=())) | file_names(max_size=20)
PATHS = st.lists(file_names(max_size=12), min_size=1, max_size=3).map("/".join)
URLS = st.none() | TEXT | st.builds("https://example.org/{}".format, TEXT)
POSITIVE = st.none() | st.integers(min_value=1, max_value=10**6)
SECONDS = st.floats(min_value=0, max_value=1e5)


@st.composite
def gates(draw: st.DrawFn) -> GateResult:
    """A gate with arbitrary status, text, findings and tests."""
    name = draw(st.text(st.characters(exclude_categories=()), min_size=1, max_size=10))
    findings = draw(
        st.lists(
            st.builds(
                Finding,
                gate=st.just(name),
                rule=st.none() | TEXT,
                severity=st.sampled_from(Severity),
                message=TEXT,
                path=st.none() | PATHS,
                line=POSITIVE,
                column=POSITIVE,
                help_url=URLS,
            ),
            max_size=4,
        )
    )
    tests = draw(
        st.lists(
            st.builds(
                TestCase,
                name=TEXT,
                classname=TEXT,
                outcome=st.sampled_from(TestOutcome),
                duration=SECONDS,
                message=st.none() | TEXT,
            ),
            max_size=3,
        )
    )
    return GateResult(
        name=name,
        status=draw(st.sampled_from(GateStatus)),
        required=draw(st.booleans()),
        duration=draw(SECONDS),
        tool=draw(st.none() | TEXT),
        tool_version=draw(st.none() | TEXT),
        findings=tuple(findings),
        tests=tuple(tests),
        reason=draw(st.none() | TEXT),
        hint=draw(st.none() | TEXT),
        command=tuple(draw(st.lists(TEXT, max_size=3))),
    )


REPORTS = st.builds(
    GuardRailsReport,
    root=st.just("/") | st.builds("/{}".format, PATHS) | PATHS,
    results=st.lists(gates(), max_size=3).map(tuple),
    duration=SECONDS,
    jobs=st.integers(min_value=1, max_value=64),
)


@settings(max_examples=150, deadline=None)
@given(REPORTS)
def test_sarif_always_validates(report: GuardRailsReport) -> None:
    """Any report yields schema-valid SARIF, in valid Unicode, whose URIs decode to the paths."""
    log = to_sarif(report, version="0")
    assert schema_errors(log) == []
    assert uri_errors(log) == []
    json.dumps(log, ensure_ascii=False).encode("utf-8")  # no lone surrogate anywhere
    for run, gate in zip(log["runs"], report.results, strict=True):
        located = [r["locations"][0] for r in run.get("results", []) if "locations" in r]
        uris = [where["physicalLocation"]["artifactLocation"]["uri"] for where in located]
        raw = [f.path.encode("utf-8", "surrogateescape") for f in gate.findings if f.path]
        assert [unquote_to_bytes(uri.removeprefix("file://")) for uri in uris] == raw


@settings(max_examples=150, deadline=None)
@given(REPORTS)
def test_junit_always_parses(report: GuardRailsReport) -> None:
    """Any report yields well-formed JUnit XML with one suite per gate and consistent totals."""
    root = ET.fromstring(to_junit(report).encode("utf-8"))  # noqa: S314  # our own output
    suites = root.findall("testsuite")
    assert len(suites) == len(report.results)
    assert int(root.get("tests", "-1")) == sum(int(s.get("tests", "0")) for s in suites)
    assert int(root.get("failures", "-1")) == len(root.findall("testsuite/testcase/failure"))


@settings(max_examples=150, deadline=None)
@given(REPORTS)
def test_annotations_are_single_lines_that_read_back(report: GuardRailsReport) -> None:
    """Any report yields commands without raw CR or LF whose message unescapes to the original."""
    lines = to_annotations(report)
    assert all("\n" not in line and "\r" not in line for line in lines)
    expected = []
    for gate in report.results:
        if gate.status is GateStatus.could_not_run:
            reason = gate.reason or "no reason given"
            expected.append(f"{reason} ({gate.hint})" if gate.hint else reason)
        expected += [finding.message for finding in gate.findings]
    readable = [re.sub("[\ud800-\udfff]", "\ufffd", message) for message in expected]
    assert [parse(line)[2] for line in lines] == readable
