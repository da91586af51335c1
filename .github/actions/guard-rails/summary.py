"""Write a Markdown job summary of one guard-rails run, for the GitHub Action in ``action.yml``.

Usage: ``python summary.py REPORT EXIT_CODE``, REPORT being what ``hephaestus --format json
guard-rails`` printed (a ``GuardRailsReport``, or ``{"error": {...}}`` when the run could not
start). The Markdown goes to stdout; the action appends it to ``$GITHUB_STEP_SUMMARY``.

GitHub shows at most 10 error and 10 warning annotations per step, so the summary is where the
rest are seen: each gate with its status, time and findings, then the first findings in full.
Standard library only: it runs with whichever Python ≥ 3.11 installed hephaestus, and fields
that a newer or older hephaestus adds or lacks are read with defaults.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Final

FIRST_FINDINGS: Final = 30
"""Findings listed in full; the count of the others is given, and the reports hold them all."""
_MESSAGE_WIDTH: Final = 200
_STATUS: Final = {
    "passed": "✅ passed",
    "cached": "✅ cached",
    "failed": "❌ failed",
    "could-not-run": "⚠️ could not run",
    "skipped": "⏭️ skipped",
    "baselined": "☑️ baselined",
}
_CAPPED: Final = (
    "GitHub shows at most 10 error and 10 warning annotations per step: this summary lists "
    "the first findings, and every finding is in the SARIF report (code scanning) and the "
    "JUnit report."
)
_VERDICT: Final = {
    0: "passed",
    1: "failed: findings",
    2: "usage or configuration error",
    5: "a required gate could not run",
    130: "interrupted",
    143: "interrupted",
}


def cell(text: object) -> str:
    """``text`` made safe for one Markdown table cell: one line, no bare ``|`` or HTML."""
    flat = " ".join(str(text).split())
    if len(flat) > _MESSAGE_WIDTH:
        flat = flat[: _MESSAGE_WIDTH - 1] + "…"
    return flat.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def location(finding: dict[str, Any]) -> str:
    """``path:line:column`` of a finding, as far as it is known; ``-`` without a path."""
    path = finding.get("path")
    if not path:
        return "-"
    parts = [str(path)] + [str(finding[k]) for k in ("line", "column") if finding.get(k)]
    return f"`{cell(':'.join(parts))}`"


def _gate_rows(results: list[dict[str, Any]]) -> list[str]:
    rows = ["| gate | status | time | findings | note |", "| --- | --- | --- | --- | --- |"]
    for result in results:
        status = str(result.get("status", "?"))
        label = _STATUS.get(status, status)
        if not result.get("required", True) and status != "skipped":
            label += " (optional)"
        note = result.get("reason") or ""
        if result.get("hint") and status == "could-not-run":
            note = f"{note}; hint: {result['hint']}"
        seconds = float(result.get("duration", 0))
        count = len(result.get("findings", ()))
        name = cell(result.get("name", "?"))
        rows.append(f"| {name} | {label} | {seconds:.1f} s | {count} | {cell(note)} |")
    return rows


def _finding_rows(findings: list[dict[str, Any]]) -> list[str]:
    rows = ["| gate | severity | where | rule | message |", "| --- | --- | --- | --- | --- |"]
    rows.extend(
        f"| {cell(f.get('gate', '?'))} | {cell(f.get('severity', '?'))} | {location(f)}"
        f" | {cell(f.get('rule') or '-')} | {cell(f.get('message', ''))} |"
        for f in findings[:FIRST_FINDINGS]
    )
    return rows


def _baseline_line(baseline: dict[str, Any]) -> str:
    written = " (written by this run)" if baseline.get("written") else ""
    return (
        f"Baseline `{cell(baseline.get('file', '?'))}`{written}: {baseline.get('new', 0)} new, "
        f"{baseline.get('known', 0)} known (accepted), {baseline.get('fixed', 0)} fixed."
    )


def render(report: dict[str, Any], exit_code: int) -> str:
    """Render ``report``, a guard-rails JSON report or an error document, as Markdown."""
    verdict = _VERDICT.get(exit_code, f"exit {exit_code}")
    title = f"## hephaestus guard-rails: {verdict} (exit {exit_code})"
    if "error" in report:
        error = report["error"] or {}
        lines = [title, "", f"**error:** {cell(error.get('message', ''))}"]
        if error.get("hint"):
            lines.append(f"**hint:** {cell(error['hint'])}")
        lines += ["", "No gate ran, and no SARIF or JUnit report was written."]
        return "\n".join(lines) + "\n"
    results: list[dict[str, Any]] = list(report.get("results", ()))
    lines = [title, ""]
    lines += _gate_rows(results)
    facts = [f"{len(results)} gates in {float(report.get('duration', 0)):.1f} s"]
    if report.get("environment"):
        facts.append(f"project environment: {cell(report['environment'])}")
    if report.get("changed_files") is not None:
        facts.append(f"changed files checked: {len(report['changed_files'])}")
    lines += ["", "; ".join(facts) + "."]
    if report.get("interrupted"):
        lines += ["", f"**Interrupted:** {cell(report['interrupted'])}; the report is partial."]
    if report.get("baseline"):
        lines += ["", _baseline_line(report["baseline"])]
    findings = [f for r in results for f in r.get("findings", ())]
    if findings:
        shown = min(len(findings), FIRST_FINDINGS)
        lines += ["", f"### Findings: the first {shown} of {len(findings)}", ""]
        lines += _finding_rows(findings)
        lines += ["", _CAPPED]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Print the summary of the report at ``argv[0]`` for exit code ``argv[1]``; return 0."""
    path, exit_code = Path(argv[0]), int(argv[1])
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        sys.stdout.write(
            f"## hephaestus guard-rails: exit {exit_code}\n\n"
            f"guard-rails printed no report ({cell(error)}): see the step's log.\n"
        )
        return 0
    sys.stdout.write(render(report, exit_code))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
