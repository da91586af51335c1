from __future__ import annotations

import pytest
from tests.gates.reports import samples
from tests.gates.reports.workflow_commands import parse, unescape

from hephaestus.gates.models import GateResult, GateStatus, Severity
from hephaestus.gates.reports.annotations import escape_data, escape_property, to_annotations


def test_full_report_gives_exactly_these_commands() -> None:
    """Every finding of every gate, then could-not-run gates, escaped like @actions/core."""
    unused = "::`os` imported but unused"
    hostile = "src/dir with space/a%2Cb%3Ac%25d#e?f ü.py"
    multiline = "first line%0Asecond line%0D%0Athird: 100%25 done, ok"
    assert to_annotations(samples.full_report()) == [
        f"::error file={hostile},line=3,col=8,title=ruff-check%3A F401{unused}",
        f"::error file=src/app.py,line=9,title=ruff-check%3A F401::{multiline}",
        "::warning file=docs/ünïcode.py,line=3,title=ruff-check%3A E501" + unused,
        "::notice file=src/app.py,title=ruff-check%3A I001::bell\x07 and escape\x1b[31m red",
        "::error title=ruff-check::no path, no rule",
        "::error file=tests/test_a.py,line=12,title=pytest%3A test-failed" + unused,
        "::warning file=src/x.py,line=3,col=8,title=pytest%3A coverage" + unused,
        "::error title=mypy could not run::mypy is not installed (uv add --dev mypy)",
    ]


def test_commands_read_back_to_the_original_values() -> None:
    """Unescaping each command's properties and message gives the finding's own text back."""
    lines = to_annotations(samples.full_report())
    command, properties, message = parse(lines[0])
    assert command == "error"
    assert properties == {
        "file": samples.HOSTILE_PATH,
        "line": "3",
        "col": "8",
        "title": "ruff-check: F401",
    }
    assert message == "`os` imported but unused"
    assert parse(lines[1])[2] == samples.MULTILINE
    assert all("\n" not in line and "\r" not in line for line in lines)


@pytest.mark.parametrize(
    ("raw", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("100%", "100%25", "100%25"),
        ("%0A literal", "%250A literal", "%250A literal"),
        ("a\r\nb\nc\rd", "a%0D%0Ab%0Ac%0Dd", "a%0D%0Ab%0Ac%0Dd"),
        ("k: v, w", "k: v, w", "k%3A v%2C w"),
        ("C:\\x,y", "C:\\x,y", "C%3A\\x%2Cy"),
        ("ü € 😀 \t", "ü € 😀 \t", "ü € 😀 \t"),
        ("lone \udce9", "lone \ufffd", "lone \ufffd"),
    ],
)
def test_escaping_matches_the_actions_toolkit(raw: str, data: str, prop: str) -> None:
    """Data escaping encodes %, CR and LF, property escaping also ':' and ','; both invert."""
    assert escape_data(raw) == data
    assert escape_property(raw) == prop
    if "\udce9" not in raw:
        assert unescape(data) == unescape(prop) == raw


def test_unknown_places_are_left_out() -> None:
    """A column needs a line and a line needs a file: without them they are omitted."""
    findings = (
        samples.finding(path=None, line=4, column=2),
        samples.finding(line=None, column=2),
        samples.finding(rule=None),
    )
    gate = GateResult(
        name="g", status=GateStatus.failed, required=True, duration=0, findings=findings
    )
    assert [parse(line)[1] for line in to_annotations(samples.report(gate))] == [
        {"title": "g: F401"},
        {"file": "src/app.py", "title": "g: F401"},
        {"file": "src/app.py", "line": "3", "col": "8", "title": "g"},
    ]


@pytest.mark.parametrize(
    ("required", "reason", "hint", "expected"),
    [
        (True, "boom: crashed", None, "::error title=g could not run::boom: crashed"),
        (
            False,
            "no net\nat all",
            "retry",
            "::warning title=g could not run::no net%0Aat all (retry)",
        ),
        (True, None, None, "::error title=g could not run::no reason given"),
    ],
)
def test_could_not_run_gate_is_one_command(
    required: bool, reason: str | None, hint: str | None, expected: str
) -> None:
    """A required gate that could not run is an error, an optional one a warning."""
    gate = GateResult(
        name="g",
        status=GateStatus.could_not_run,
        required=required,
        duration=0,
        reason=reason,
        hint=hint,
    )
    assert to_annotations(samples.report(gate)) == [expected]


def test_quiet_gates_say_nothing() -> None:
    """Passed, cached and skipped gates without findings give no command."""
    report = samples.report(samples.passed(), samples.cached(), samples.skipped())
    assert to_annotations(report) == []


def test_findings_of_a_passing_gate_are_annotated() -> None:
    """Warnings of a gate that passed are annotated too."""
    gate = samples.passed().model_copy(
        update={"findings": (samples.finding("pip-audit", severity=Severity.warning),)}
    )
    assert [parse(line)[0] for line in to_annotations(samples.report(gate))] == ["warning"]
