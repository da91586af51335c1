"""GitHub Actions workflow commands (``::error …``) that annotate a run's findings.

Every gate's findings are annotated, whatever the gate's status: a warning from a passing gate is
worth seeing in the pull request too. A gate that could not run gets one annotation naming the
reason and the hint: an ``::error`` when it is required (it decides the exit code), else a
``::warning``. Skipped and cached gates have nothing to say.
"""

from __future__ import annotations

import re

from hephaestus.gates.models import Finding, GateResult, GateStatus, GuardRailsReport, Severity

_COMMAND = {Severity.error: "error", Severity.warning: "warning", Severity.note: "notice"}
_SURROGATES = re.compile("[\ud800-\udfff]")


def to_annotations(report: GuardRailsReport) -> list[str]:
    """Return one workflow command per finding and per gate that could not run, in gate order.

    Each line is ``::<error|warning|notice> file=…,line=…,col=…,title=<gate>: <rule>::<message>``;
    properties that are unknown are left out (``line`` and ``col`` need ``file``, ``col`` needs
    ``line``). Values are escaped as ``@actions/core`` does, so no line holds a raw CR or LF and
    the runner reads back exactly the original text (lone surrogates, which no stream can carry,
    become U+FFFD as they would in Node).
    """
    lines: list[str] = []
    for gate in report.results:
        if gate.status is GateStatus.could_not_run:
            lines.append(_could_not_run(gate))
        lines.extend(_finding(finding, gate.name) for finding in gate.findings)
    return lines


def escape_data(value: str) -> str:
    """Escape a command's message like ``escapeData`` of ``@actions/core``."""
    return (
        _SURROGATES.sub("\ufffd", value)
        .replace("%", "%25")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
    )


def escape_property(value: str) -> str:
    """Escape a command's property value like ``escapeProperty`` of ``@actions/core``."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _finding(finding: Finding, gate: str) -> str:
    properties: dict[str, object] = {}
    if finding.path:
        properties["file"] = finding.path
        if finding.line is not None:
            properties["line"] = finding.line
            if finding.column is not None:
                properties["col"] = finding.column
    properties["title"] = f"{gate}: {finding.rule}" if finding.rule else gate
    return _command(_COMMAND[finding.severity], properties, finding.message)


def _could_not_run(gate: GateResult) -> str:
    reason = gate.reason or "no reason given"
    message = f"{reason} ({gate.hint})" if gate.hint else reason
    command = "error" if gate.required else "warning"
    return _command(command, {"title": f"{gate.name} could not run"}, message)


def _command(command: str, properties: dict[str, object], message: str) -> str:
    listed = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{command} {listed}::{escape_data(message)}"
