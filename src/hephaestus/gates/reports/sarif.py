"""SARIF 2.1.0 for GitHub code scanning: one run per gate.

Layout, and why: each gate is its own run whose ``tool.driver.name`` is the gate's name (``mypy``,
``ruff-check``), ``version`` the tool's version and ``fullName`` "distribution version". GitHub
shows the driver name as an alert's tool and files alerts per (tool, category); the gate name is
always known and never changes between runs (the tool's distribution may be unknown when a gate
could not run), so a fixed problem closes its alert instead of leaving it open under another
tool name. ``automationDetails.id`` ``hephaestus/<gate>/`` gives each run its own category, as
GitHub requires of several runs in one file. Hephaestus itself is the ``conversion`` tool: it
turned each tool's native output into SARIF.

A gate that performed no analysis (could not run, skipped) has no ``results`` at all: an empty
list would tell code scanning "analysed, nothing found" and close its open alerts.

Every result carries ``partialFingerprints`` (``hephaestus/v1``: gate, rule, path and the
whitespace-free text of its line, then the occurrence), so code scanning follows a finding that
moves. With a baseline, the findings it accepts are results too, ``baselineState``
``unchanged``, the others ``new`` (docs/adr/0015-baselines.md): leaving them out would close
their alerts as if fixed.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from hephaestus.core.fs import write_atomic
from hephaestus.gates.finding_keys import FINGERPRINT_KEY, fingerprints
from hephaestus.gates.models import GateStatus

if TYPE_CHECKING:
    from hephaestus.gates.models import Finding, GateResult, GuardRailsReport

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
_ANALYSED = frozenset(
    {GateStatus.passed, GateStatus.failed, GateStatus.cached, GateStatus.baselined}
)
_SURROGATES = re.compile("[\ud800-\udfff]")
_URI_SAFE = "/:?#[]@!$&'()*+,;=%~"
_STRAY_PERCENT = re.compile("%(?![0-9A-Fa-f]{2})")


def to_sarif(report: GuardRailsReport, *, version: str) -> dict[str, Any]:
    """Return ``report`` as a SARIF 2.1.0 log (a JSON-ready dict), one run per gate in order.

    Every string is valid Unicode (lone surrogates become U+FFFD); artifact URIs are the
    findings' paths, percent-encoded and relative to ``%SRCROOT%`` (the repository root).
    ``version`` is hephaestus's own version, recorded on the conversion tool.
    """
    known = report.baseline.known_findings if report.baseline is not None else None
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            _run(result, root=report.root, version=version, known=known)
            for result in report.results
        ],
    }


def write_sarif(report: GuardRailsReport, path: Path, *, version: str) -> None:
    """Write :func:`to_sarif` as UTF-8 JSON to ``path`` atomically (temp file, then rename).

    Parent directories are created. Raises ``OSError`` if the file cannot be written; a reader
    then sees the old file or none, never a part.
    """
    text = json.dumps(to_sarif(report, version=version), indent=2, ensure_ascii=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text + "\n")


def _run(
    gate: GateResult, *, root: str, version: str, known: tuple[Finding, ...] | None
) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    accepted = [f for f in known or () if f.gate == gate.name]
    findings = [*gate.findings, *accepted]
    results = [_result(finding, gate.name, rules) for finding in findings]
    marks = fingerprints(findings, root=Path(root))
    for index, (result, mark) in enumerate(zip(results, marks, strict=True)):
        result["partialFingerprints"] = {FINGERPRINT_KEY: mark}
        if known is not None:  # a baseline applied: say which results it knew
            result["baselineState"] = "new" if index < len(gate.findings) else "unchanged"
    driver: dict[str, Any] = {"name": _text(gate.name), "rules": rules}
    if gate.tool_version:
        driver["version"] = _text(gate.tool_version)
    if gate.tool:
        driver["fullName"] = _text(" ".join(filter(None, (gate.tool, gate.tool_version))))
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "conversion": {"tool": {"driver": {"name": "hephaestus", "version": _text(version)}}},
        "automationDetails": {"id": _text(f"hephaestus/{gate.name}/")},
        "originalUriBaseIds": {SRCROOT: _root(root)},
        "columnKind": "unicodeCodePoints",
        "invocations": [_invocation(gate)],
        "properties": {"status": gate.status.value, "required": gate.required},
    }
    if gate.status in _ANALYSED or results:
        run["results"] = results
    return run


def _result(finding: Finding, gate: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    rule_id = _text(finding.rule or gate)
    index = next((i for i, rule in enumerate(rules) if rule["id"] == rule_id), len(rules))
    if index == len(rules):
        rules.append({"id": rule_id, "shortDescription": {"text": f"{_text(gate)} {rule_id}"}})
    help_uri = _absolute_uri(finding.help_url)
    if help_uri and "helpUri" not in rules[index]:
        rules[index] |= {"helpUri": help_uri, "help": {"text": f"Documentation: {help_uri}"}}
    result: dict[str, Any] = {
        "ruleId": rule_id,
        "ruleIndex": index,
        "level": finding.severity.value,  # error, warning and note are SARIF's words too
        "message": {"text": _text(finding.message) or rule_id},
    }
    if finding.path:
        physical: dict[str, Any] = {"artifactLocation": _artifact(finding.path)}
        if finding.line is not None:
            physical["region"] = {"startLine": finding.line}
            if finding.column is not None:
                physical["region"]["startColumn"] = finding.column
        result["locations"] = [{"physicalLocation": physical}]
    return result


def _invocation(gate: GateResult) -> dict[str, Any]:
    invocation: dict[str, Any] = {
        "executionSuccessful": gate.status is not GateStatus.could_not_run
    }
    if gate.command:
        invocation["arguments"] = [_text(argument) for argument in gate.command]
        invocation["commandLine"] = _text(shlex.join(gate.command))
    note = {
        GateStatus.could_not_run: ("error", f"could not run: {gate.reason or 'no reason given'}"),
        GateStatus.skipped: ("note", f"skipped: {gate.reason or 'no reason given'}"),
        GateStatus.cached: ("note", "cached: a pass reused, nothing the gate reads has changed"),
        GateStatus.baselined: ("note", f"baselined: {gate.reason or 'findings accepted'}"),
    }.get(gate.status)
    if note is not None:
        level, text = note
        hint = f" (hint: {gate.hint})" if gate.hint else ""
        invocation["toolExecutionNotifications"] = [
            {"level": level, "message": {"text": _text(text + hint)}}
        ]
    return invocation


def _artifact(path: str) -> dict[str, str]:
    """Locate ``path`` under %SRCROOT%, or as a file URI if it is absolute (tools print some)."""
    encoded = quote(path.encode("utf-8", "surrogateescape"), safe="/")
    if path.startswith("/"):
        return {"uri": f"file://{encoded}"}
    return {"uri": encoded, "uriBaseId": SRCROOT}


def _root(root: str) -> dict[str, Any]:
    location: dict[str, Any] = {"description": {"text": "The repository root."}}
    if PurePosixPath(root).is_absolute():
        uri = "file://" + quote(root.encode("utf-8", "surrogateescape"), safe="/")
        location["uri"] = uri if uri.endswith("/") else f"{uri}/"
    return location


def _absolute_uri(url: str | None) -> str | None:
    """Return ``url`` if it is an absolute http(s) URI, unsafe characters percent-encoded."""
    if not url:
        return None
    escaped = _STRAY_PERCENT.sub("%25", url.strip())  # keep valid %XX escapes, encode the rest
    try:
        raw = escaped.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that stands for no byte: U+FFFD
        raw = _text(escaped).encode("utf-8")
    encoded = quote(raw, safe=_URI_SAFE)
    parts = urlsplit(encoded)
    return encoded if parts.scheme in {"http", "https"} and parts.netloc else None


def _text(value: str) -> str:
    return _SURROGATES.sub("\ufffd", value)
