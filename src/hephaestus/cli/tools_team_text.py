"""Text renderings of the team reports and of sum of coupling (JSON is the model itself)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hephaestus.cli.render import Block, Line, Table
from hephaestus.cli.tools_text import escaping, missing_lines

if TYPE_CHECKING:
    from collections.abc import Sequence

    from hephaestus.analytics.models import Window
    from hephaestus.analytics.team_models import (
        CodeAgeReport,
        KnowledgeRiskReport,
        Ownership,
        OwnershipReport,
        SocReport,
    )

OTHERS_SHOWN = 3
"""Authors named beside the main developer in an ownership row."""


def window_line(window: Window) -> Line:
    """Say which history the report covers."""
    head = window.head[:12] if window.head else "no commits"
    commits = "1 commit" if window.commits == 1 else f"{window.commits} commits"
    return Line(f"history since {window.since} at {head}: {commits}", style="dim")


def _others(entry: Ownership) -> str:
    rest = [f"{a.author} {a.share:.0%}" for a in entry.authors[1 : 1 + OTHERS_SHOWN]]
    more = len(entry.authors) - 1 - OTHERS_SHOWN
    return ", ".join(rest) + (f" (+{more})" if more > 0 else "")


def _owners(entries: Sequence[Ownership], title: str) -> Table:
    rows = [
        [e.path, e.main_developer, f"{e.main_share:.0%}", str(len(e.authors)),
         f"{e.fragmentation:.2f}", str(e.lines), _others(e)]
        for e in entries
    ]  # fmt: skip
    columns = ["path", "main developer", "share", "authors", "fragmentation", "lines", "others"]
    return Table(columns, rows, title=title)


@escaping
def ownership_text(report: OwnershipReport) -> list[Block]:
    """Files, then directories: main developer, share, authors, fragmentation."""
    if not report.files:
        body: list[Block] = [Line("no changed files in the window")]
    else:
        body = [_owners(report.directories, "directories"), _owners(report.files, "files")]
    return [window_line(report.window), *body, *missing_lines(report.missing)]


@escaping
def knowledge_risk_text(report: KnowledgeRiskReport) -> list[Block]:
    """Truck factors per directory, then the directories and files whose owners went quiet."""
    head = Line(
        f"inactive: no commit for {report.inactive_months} months (since {report.cutoff})",
        style="dim",
    )
    factors = [
        [t.directory, str(t.truck_factor), str(t.files), ", ".join(t.authors)]
        for t in report.truck_factors
    ]
    body: list[Block] = [Table(["directory", "truck factor", "files", "authors"], factors)]
    for title, entries in (("directories", report.directories), ("files", report.files)):
        rows = [
            [e.path, e.main_developer, f"{e.main_share:.0%}", e.last_commit, str(e.inactive_months)]
            for e in entries
        ]
        if rows:
            columns = ["path", "main developer", "share", "last commit", "months"]
            body.append(Table(columns, rows, title=f"{title} at risk"))
        else:
            body.append(Line(f"no {title} whose main developer is inactive"))
    return [window_line(report.window), head, *body, *missing_lines(report.missing)]


@escaping
def code_age_text(report: CodeAgeReport) -> list[Block]:
    """Show the age distribution, then list every file, oldest first."""
    buckets = [[b.label, str(b.files)] for b in report.buckets]
    files = [
        [f.path, "-" if f.months is None else str(f.months), f.last_change or "-"]
        for f in report.files
    ]
    body: list[Block] = [
        Table(["age", "files"], buckets, title=f"age on {report.now}"),
        Table(["path", "months", "last change"], files),
    ]
    return [window_line(report.window), *body, *missing_lines(report.missing)]


@escaping
def soc_text(report: SocReport) -> list[Block]:
    """Files by sum of coupling."""
    rows = [[str(r.soc), str(r.commits), r.path] for r in report.rows]
    head = Line(f"changesets up to {report.max_changeset} files", style="dim")
    body: list[Block] = (
        [Table(["soc", "commits", "path"], rows)] if rows else [Line("no changed files")]
    )
    return [window_line(report.window), head, *body, *missing_lines(report.missing)]
