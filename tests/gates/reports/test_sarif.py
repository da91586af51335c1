from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import pytest
from tests.gates.reports import samples
from tests.gates.reports.sarif_schema import SCHEMA_PATH, schema_errors, uri_errors

from hephaestus.gates.models import GateResult, GateStatus, Severity
from hephaestus.gates.reports.sarif import SCHEMA_URI, to_sarif, write_sarif

if TYPE_CHECKING:
    from pathlib import Path

# sha256 of Schemata/sarif-schema-2.1.0.json in oasis-tcs/sarif-spec at 85971b3e (the same
# file as github/codeql-action's src/sarif-schema-2.1.0.json): the copy is not to be edited.
SCHEMA_SHA256 = "ad389db5a66fad5c131178b0e1f18600ac625616cd5ea20a00ee8ee246dc7069"


def _log() -> dict[str, Any]:
    return to_sarif(samples.full_report(), version="1.2.3")


def _run(log: dict[str, Any], gate: str) -> dict[str, Any]:
    return next(run for run in log["runs"] if run["tool"]["driver"]["name"] == gate)


def _single(found: GateResult) -> dict[str, Any]:
    run: dict[str, Any] = to_sarif(samples.report(found), version="1")["runs"][0]
    return run


def test_schema_file_is_the_untouched_official_copy() -> None:
    """The test data is the official SARIF 2.1.0 schema, byte for byte."""
    data = SCHEMA_PATH.read_bytes()
    schema = json.loads(data)
    assert hashlib.sha256(data).hexdigest() == SCHEMA_SHA256
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["$id"].endswith("/sarif-spec/master/Schemata/sarif-schema-2.1.0.json")


def test_full_report_validates_against_the_schema() -> None:
    """A report with every gate status and hostile text is valid SARIF with valid URIs."""
    log = _log()
    assert schema_errors(log) == []
    assert uri_errors(log) == []
    assert log["$schema"] == SCHEMA_URI
    assert log["version"] == "2.1.0"


def test_schema_validation_catches_a_broken_log() -> None:
    """The validator is live: a result without a message is reported."""
    log = _log()
    del _run(log, "ruff-check")["results"][0]["message"]
    assert schema_errors(log) != []


def test_one_run_per_gate_in_order_with_its_own_category() -> None:
    """Each gate is a run named after it, in category hephaestus/<gate>/, hephaestus converting."""
    runs = _log()["runs"]
    names = ["ruff-check", "pytest", "mypy", "ruff-format", "yamllint", "pip-audit"]
    assert [run["tool"]["driver"]["name"] for run in runs] == names
    assert [run["automationDetails"]["id"] for run in runs] == [f"hephaestus/{n}/" for n in names]
    for run in runs:
        assert run["conversion"]["tool"]["driver"] == {"name": "hephaestus", "version": "1.2.3"}


def test_driver_names_the_tool_and_version_when_known() -> None:
    """The driver carries the tool's version and "distribution version" as full name, if known."""
    log = _log()
    ruff = _run(log, "ruff-check")["tool"]["driver"]
    assert (ruff["version"], ruff["fullName"]) == ("0.8.4", "ruff 0.8.4")
    assert _run(log, "mypy")["tool"]["driver"]["fullName"] == "mypy"
    assert "version" not in _run(log, "yamllint")["tool"]["driver"]
    assert "fullName" not in _run(log, "yamllint")["tool"]["driver"]


def test_rules_are_deduplicated_and_indexed() -> None:
    """Each rule appears once per run, with helpUri when known; results point at it by index."""
    run = _run(_log(), "ruff-check")
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == ["F401", "E501", "I001", "ruff-check"]
    assert rules[0]["helpUri"] == "https://docs.astral.sh/ruff/rules/unused-import"
    assert "helpUri" not in rules[1]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert [r["ruleId"] for r in run["results"]] == ["F401", "F401", "E501", "I001", "ruff-check"]


def test_help_uri_comes_from_a_later_finding_of_the_same_rule() -> None:
    """A rule first seen without help_url still gets the helpUri of a later finding."""
    url = "https://example.org/rules/X1"
    findings = (samples.finding(rule="X1"), samples.finding(rule="X1", help_url=url))
    found = GateResult(
        name="g", status=GateStatus.failed, required=True, duration=0, findings=findings
    )
    assert _single(found)["tool"]["driver"]["rules"] == [
        {
            "id": "X1",
            "shortDescription": {"text": "g X1"},
            "helpUri": url,
            "help": {"text": f"Documentation: {url}"},
        }
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://mypy.readthedocs.io/en/stable/_refs.html#code-import", "same"),
        ("https://example.org/a b/ü", "https://example.org/a%20b/%C3%BC"),
        ("not a url", None),
        ("/relative/path", None),
        ("javascript:alert(1)", None),
        ("", None),
    ],
)
def test_help_uri_is_an_absolute_http_uri_or_absent(url: str, expected: str | None) -> None:
    """help_url becomes helpUri only as an absolute http(s) URI, unsafe characters encoded."""
    found = GateResult(
        name="g",
        status=GateStatus.failed,
        required=True,
        duration=0,
        findings=(samples.finding(help_url=url),),
    )
    rule = _single(found)["tool"]["driver"]["rules"][0]
    assert rule.get("helpUri") == (url if expected == "same" else expected)


def test_levels_follow_severity() -> None:
    """error, warning and note map to the SARIF levels of the same names."""
    results = _run(_log(), "ruff-check")["results"]
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels == {"F401": "error", "E501": "warning", "I001": "note", "ruff-check": "error"}
    assert {s.value for s in Severity} == {"error", "warning", "note"}


def test_paths_are_percent_encoded_relative_to_srcroot() -> None:
    """Spaces, ',', ':', '%', '#', '?' and non-ASCII are percent-encoded; decoding restores them."""
    result = _run(_log(), "ruff-check")["results"][0]
    artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {
        "uri": "src/dir%20with%20space/a%2Cb%3Ac%25d%23e%3Ff%20%C3%BC.py",
        "uriBaseId": "%SRCROOT%",
    }
    assert unquote(artifact["uri"]) == samples.HOSTILE_PATH


def test_undecodable_path_bytes_are_encoded_as_themselves() -> None:
    """A path holding os.fsdecode's escaped bytes is encoded as those raw bytes."""
    found = GateResult(
        name="g",
        status=GateStatus.failed,
        required=True,
        duration=0,
        findings=(samples.finding(path="caf\udce9.py", message="bad \udce9 byte"),),
    )
    result = _single(found)["results"][0]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "caf%E9.py"
    assert result["message"]["text"] == "bad \ufffd byte"


def test_absolute_path_becomes_a_file_uri() -> None:
    """A finding outside the repository keeps its absolute place as a file: URI, without base."""
    found = GateResult(
        name="g",
        status=GateStatus.failed,
        required=True,
        duration=0,
        findings=(samples.finding(path="/usr/lib/x y.py"),),
    )
    location = _single(found)["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "file:///usr/lib/x%20y.py"}


def test_region_holds_only_what_is_known() -> None:
    """startLine/startColumn appear only when known; a finding without a path has no location."""
    results = _run(_log(), "ruff-check")["results"]
    regions = [
        r["locations"][0]["physicalLocation"].get("region") if "locations" in r else "none"
        for r in results
    ]
    assert regions == [
        {"startLine": 3, "startColumn": 8},
        {"startLine": 9},
        {"startLine": 3},
        None,
        "none",
    ]
    assert results[4]["message"]["text"] == "no path, no rule"


def test_messages_are_kept_verbatim() -> None:
    """Newlines, CRs, '%' and control characters stay in the message text (JSON escapes them)."""
    results = _run(_log(), "ruff-check")["results"]
    assert results[1]["message"]["text"] == samples.MULTILINE
    assert results[3]["message"]["text"] == samples.CONTROL


def test_root_is_declared_as_srcroot() -> None:
    """%SRCROOT% is the root as an encoded file URI ending in '/'; a relative root has no URI."""
    base = _log()["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]
    assert base["uri"] == "file:///work/my%20repo%231/"
    relative = to_sarif(samples.report(samples.passed(), root="repo"), version="1")
    assert "uri" not in relative["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]
    slash = to_sarif(samples.report(samples.passed(), root="/"), version="1")
    assert slash["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///"


def test_could_not_run_gate_reports_a_failed_invocation_and_no_results() -> None:
    """A gate that could not run: executionSuccessful false, the reason and hint, no results."""
    run = _run(_log(), "mypy")
    assert "results" not in run
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"] == [
        {
            "level": "error",
            "message": {"text": "could not run: mypy is not installed (hint: uv add --dev mypy)"},
        }
    ]
    assert run["properties"] == {"status": "could-not-run", "required": True}


@pytest.mark.parametrize(
    ("gate", "results", "note"),
    [
        ("ruff-check", 5, None),
        ("pip-audit", 0, None),
        ("ruff-format", 0, "cached: a pass reused, nothing the gate reads has changed"),
        ("yamllint", None, "skipped: no YAML files"),
    ],
)
def test_gates_that_ran_or_were_reused_have_successful_invocations(
    gate: str, results: int | None, note: str | None
) -> None:
    """Failed, passed, cached and skipped gates executed successfully; only skips lack results."""
    run = _run(_log(), gate)
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is True
    notes = invocation.get("toolExecutionNotifications", [])
    assert [n["message"]["text"] for n in notes] == ([note] if note else [])
    assert (len(run["results"]) if "results" in run else None) == results


def test_command_is_recorded_on_the_invocation() -> None:
    """The argv that ran is kept as arguments and as a shell-quoted command line."""
    [invocation] = _run(_log(), "ruff-check")["invocations"]
    assert invocation["arguments"] == ["ruff", "check", "--output-format=json", "src dir"]
    assert invocation["commandLine"] == "ruff check --output-format=json 'src dir'"


def test_write_sarif_writes_the_log_atomically(tmp_path: Path) -> None:
    """write_sarif makes parent folders, writes to_sarif as UTF-8 JSON, leaves no temp file."""
    target = tmp_path / "out" / "guard-rails.sarif"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    write_sarif(samples.full_report(), target, version="1.2.3")
    assert json.loads(target.read_text(encoding="utf-8")) == _log()
    assert [p.name for p in target.parent.iterdir()] == ["guard-rails.sarif"]
    nested = tmp_path / "a" / "b" / "log.sarif"
    write_sarif(samples.report(samples.passed()), nested, version="1")
    assert nested.is_file()


def test_write_sarif_leaves_no_temp_file_when_the_rename_fails(tmp_path: Path) -> None:
    """A failed write raises OSError and removes its temporary file."""
    target = tmp_path / "out" / "taken"
    (target / "inside").mkdir(parents=True)
    with pytest.raises(OSError, match="taken"):
        write_sarif(samples.full_report(), target, version="1")
    assert [p.name for p in target.parent.iterdir()] == ["taken"]
