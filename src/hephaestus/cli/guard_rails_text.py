"""Text of a guard-rails report: summary table, failed gates' findings, drift; annotations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from hephaestus.cli.environment import OutputFormat
from hephaestus.cli.live import STYLES, spelt
from hephaestus.cli.render import Block, Line, Table
from hephaestus.cli.tools_text import escaping
from hephaestus.gates.models import GateStatus

if TYPE_CHECKING:
    from hephaestus.cli.environment import Environment
    from hephaestus.gates.models import BaselineSummary, DriftReport, GuardRailsReport

SHOWN: Final = 30
"""Findings listed per gate in text; all of them are in --format json, SARIF and JUnit."""


def _location(path: str | None, line: int | None, column: int | None) -> str:
    parts = [p for p in (path, line, column) if p is not None]
    return ":".join(map(str, parts)) if parts else "-"


def _drift_blocks(drift: DriftReport) -> list[Block]:
    rows = [
        [e.tool, e.declared or "-", e.installed or "-", e.source, e.verdict.value]
        for e in drift.entries
    ]
    blocks: list[Block] = [Table(["tool", "declared", "installed", "source", "verdict"], rows)]
    for entry in drift.entries:
        if entry.verdict.value not in {"ok", "undeclared"}:
            blocks.append(Line(f"{entry.tool}: {entry.message}", "yellow"))
            blocks += [Line(f"  fix: {' '.join(argv)}", "dim") for argv in entry.remediation]
    for done in drift.remediations:
        status = "could not start" if done.returncode is None else f"exit {done.returncode}"
        blocks.append(Line(f"ran {' '.join(done.argv)}: {status}", "dim"))
    return blocks


@escaping
def report_text(report: GuardRailsReport) -> list[Block]:
    """Describe ``report`` for people: the table, why gates could not run, findings, drift."""
    rows = [
        [r.name, r.status.value, f"{r.duration:.1f} s", str(r.finding_count)]
        for r in report.results
    ]
    styles = [STYLES[r.status.value] for r in report.results]
    blocks: list[Block] = [Table(["gate", "status", "time", "findings"], rows, styles=styles)]
    for result in report.results:
        if result.status is GateStatus.could_not_run:
            optional = "" if result.required else " (optional: it does not decide the exit code)"
            blocks.append(
                Line(
                    f"{result.name} could not run{optional}: {spelt(result.reason or '')}",
                    "bold magenta",
                )
            )
            if result.hint:
                blocks.append(Line(f"  hint: {spelt(result.hint)}", "dim"))
        if result.status is not GateStatus.failed:
            continue
        blocks.append(Line(f"{result.name}:", "bold"))
        for finding in result.findings[:SHOWN]:
            where = _location(finding.path, finding.line, finding.column)
            rule = f" [{finding.rule}]" if finding.rule else ""
            blocks.append(Line(f"  {where}: {finding.severity.value}{rule} {finding.message}"))
        if result.finding_count > SHOWN:
            more = result.finding_count - SHOWN
            blocks.append(Line(f"  … and {more} more (all of them with --format json)", "dim"))
    if report.drift is not None:
        blocks += _drift_blocks(report.drift)
    return [*blocks, *_footer(report)]


def _footer(report: GuardRailsReport) -> list[Block]:
    """Say which environment the gates ran in, which tools came from outside it, the verdict."""
    counts: dict[str, int] = {}
    for result in report.results:
        counts[result.status.value] = counts.get(result.status.value, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in counts.items())
    verdict = "passed" if report.exit_code == 0 else "failed"
    if report.checked_nothing:
        verdict = "checked nothing (every gate was skipped: see why above)"
    if report.interrupted is not None:
        verdict = f"{report.interrupted} (partial report)"
    style = "bold green" if report.exit_code == 0 else "bold red"
    environment = spelt(report.environment or "none (gates that import the project could not run)")
    blocks: list[Block] = [Line(f"project environment: {environment}", "dim")]
    outside = sorted(
        f"{r.name} from {r.tool_origin}"
        for r in report.results
        if r.tool_origin and not r.tool_origin.startswith("project environment")
    )
    if outside:
        blocks.append(Line(f"tools from outside it: {', '.join(outside)}", "dim"))
    if report.changed_files is not None:
        blocks.append(Line(_changed_line(report), "dim"))
    if report.baseline is not None:
        blocks.append(_baseline_line(report.baseline))
    profile = f" (QA profile {report.profile})" if report.profile is not None else ""
    blocks.append(
        Line(f"guard-rails {verdict}{profile}: {summary} in {report.duration:.1f} s", style)
    )
    return blocks


def _baseline_line(summary: BaselineSummary) -> Line:
    """Say what the baseline accepted and what is fixed, or what was written to it."""
    file = spelt(summary.file)
    if summary.written:
        return Line(
            f"baseline {file} written: {summary.known} findings recorded ({summary.added} not "
            f"in it before), {summary.fixed} fixed ones pruned",
            "yellow",
        )
    prune = " (--write-baseline prunes them)" if summary.fixed else ""
    return Line(
        f"baseline {file}: {summary.new} new findings, {summary.known} baselined (not shown), "
        f"{summary.fixed} fixed{prune}",
        "yellow",
    )


def _changed_line(report: GuardRailsReport) -> str:
    """Say how many files changed and which gates checked only those (the rest: everything)."""
    given = [f"{r.name} {len(r.files)}" for r in report.results if r.files is not None]
    alone = f"; checked alone by {', '.join(given)}" if given else ""
    count = len(report.changed_files or ())
    return f"changed files: {count}{alone}; the other gates ran on every file or were skipped"


def write_annotations(env: Environment, report: GuardRailsReport) -> None:
    """Print GitHub workflow commands for ``report``'s findings and gates that could not run."""
    from hephaestus.gates.reports.annotations import to_annotations  # noqa: PLC0415  # asked

    # GitHub reads workflow commands from either stream; stdout stays one JSON document.
    stream = env.stderr if env.format is OutputFormat.json else env.stdout
    stream.write("".join(spelt(line) + "\n" for line in to_annotations(report)))
    stream.flush()
