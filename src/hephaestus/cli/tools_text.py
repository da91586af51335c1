"""Text renderings of the analytics reports (JSON is the model itself)."""

from __future__ import annotations

from dataclasses import replace
from functools import wraps
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from hephaestus.cli.charts import bar, scale, sparkline, without_empty_columns
from hephaestus.cli.operation import invoke, spell
from hephaestus.cli.render import Block, Fields, Line, Table, emit
from hephaestus.cli.tools_options import SPELLING
from hephaestus.core.errors import render_fields
from hephaestus.gates.reports.escaping import printable

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    import typer

    from hephaestus.analytics.models import (
        CouplingReport,
        CoverageGapReport,
        HotspotReport,
        IngestReport,
        MissingData,
        OpportunityReport,
        RankingReport,
        SnapshotList,
        Window,
    )
    from hephaestus.analytics.profiles import ProfileList, QAProfile


R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)


def show(  # the command's call, all of it
    ctx: typer.Context,
    name: str,
    fields: Mapping[str, object],
    result: type[M],
    text: Callable[[M], Sequence[Block]],
    *,
    label: str,
) -> None:
    """Run the analytics operation ``name`` and write its report: ``text`` draws it, or JSON.

    Progress goes to stderr under ``label``; the flags are the analytics commands' spellings
    (:data:`~hephaestus.cli.tools_options.SPELLING`), and so are the report's hints.
    """
    report = invoke(ctx, name, fields, result, label=label, flags=SPELLING)
    emit(ctx.obj, spelt(report), text)


def spelt_hint(hint: str) -> str:
    """Spell the request fields named in an operation's hint as this command's flags."""
    return render_fields(hint, spell)


def spelt(report: M) -> M:
    """Return ``report`` with the hints of its ``missing`` entries spelt as this command's flags.

    Operations name request fields (`` `coverage` ``); the CLI, text and JSON alike, says
    ``--coverage``, as its error lines do. Only hints are rewritten: messages hold paths.
    """
    missing: Sequence[MissingData] = getattr(report, "missing", ())
    if not any(m.hint for m in missing):
        return report
    spelt_missing = tuple(
        m.model_copy(update={"hint": spelt_hint(m.hint)}) if m.hint else m for m in missing
    )
    return report.model_copy(update={"missing": spelt_missing})


def escaped(blocks: Sequence[Block]) -> list[Block]:
    """Pass every text of ``blocks`` through :func:`printable`: safe on a terminal or CI log."""
    safe: list[Block] = []
    for block in blocks:
        if isinstance(block, Line):
            safe.append(replace(block, text=printable(block.text)))
        elif isinstance(block, Fields):
            rows = [(printable(label), printable(value)) for label, value in block.rows]
            title = None if block.title is None else printable(block.title)
            safe.append(replace(block, rows=rows, title=title))
        else:
            cells = [[printable(cell) for cell in row] for row in block.rows]
            title = None if block.title is None else printable(block.title)
            safe.append(replace(block, rows=cells, title=title))
    return safe


def escaping(render: Callable[[R], Sequence[Block]]) -> Callable[[R], list[Block]]:
    """Make a text renderer escape what it shows (messages come from files, tools and git)."""

    @wraps(render)
    def safe(report: R) -> list[Block]:
        return escaped(render(report))

    return safe


def _window(window: Window) -> Line:
    head = window.head[:12] if window.head else "no commits"
    large = "1 large one" if window.large_commits == 1 else f"{window.large_commits} large ones"
    commits = "1 commit" if window.commits == 1 else f"{window.commits} commits"
    return Line(
        f"history since {window.since} at {head}: {commits} "
        f"({large} left out, {window.fetched} read from git)",
        style="dim",
    )


def missing_lines(missing: Sequence[MissingData]) -> list[Block]:
    """Say what was missing, with hints."""
    blocks: list[Block] = []
    for item in missing:
        blocks.append(Line(f"missing {item.factor}: {item.message}", style="yellow"))
        if item.hint:
            blocks.append(Line(f"  hint: {item.hint}", style="yellow"))
    return blocks


def _ingested(metrics: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in sorted(metrics.items())) or ""


def table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """Build a report table, leaving out its empty columns (nothing ingested, nothing stored)."""
    return without_empty_columns(Table(columns, rows))


def _history(history: Sequence[float], score: float, top: float) -> str:
    """Draw the stored scores, then today's, as a sparkline; empty without stored scores."""
    return sparkline([*history, score], top=top) if history else ""


@escaping
def hotspots_text(report: HotspotReport) -> list[Block]:
    """Hotspot table: score bar, stored history, the trend column when known."""
    trend = any(r.trend is not None for r in report.rows)
    top = scale([s for r in report.rows for s in (r.score, *r.history)])
    columns = [
        "score", "", "history", "commits", "complexity", *(["trend"] if trend else []),
        "path", "ingested",
    ]  # fmt: skip
    rows = [
        [
            f"{r.score:.3f}",
            bar(r.score, top=top),
            _history(r.history, r.score, top),
            str(r.commits),
            str(r.complexity),
            *([f"{r.trend:+.3f}" if r.trend is not None else "new"] if trend else []),
            r.path,
            _ingested(r.ingested),
        ]
        for r in report.rows
    ]
    body: list[Block] = [table(columns, rows)] if rows else [Line("no changed files in the window")]
    return [_window(report.window), *body, *missing_lines(report.missing)]


@escaping
def rankings_text(report: RankingReport) -> list[Block]:
    """Ranking table with each row's score bar, stored history and rationale."""
    top = scale([s for r in report.rows for s in (r.score, *r.history)])
    rows = [
        [
            f"{r.score:.3f}",
            bar(r.score, top=top),
            _history(r.history, r.score, top),
            "-" if r.coverage is None else f"{r.coverage:.0%}",
            r.path,
            r.rationale,
        ]
        for r in report.rows
    ]
    head = Line(f"strategy {report.strategy.value}, threshold {report.threshold:.0%}", "bold")
    columns = ["score", "", "history", "coverage", "path", "why"]
    body: list[Block] = [table(columns, rows)] if rows else []
    return [_window(report.window), head, *body, *missing_lines(report.missing)]


@escaping
def opportunities_text(report: OpportunityReport) -> list[Block]:
    """One line per suggestion, with its effort."""
    rows = [[o.effort.value, o.kind.value, o.title] for o in report.opportunities]
    body: list[Block] = (
        [table(["effort", "kind", "suggestion"], rows)] if rows else [Line("no suggestions")]
    )
    return [_window(report.window), *body, *missing_lines(report.missing)]


@escaping
def coupling_text(report: CouplingReport) -> list[Block]:
    """Coupled pairs."""
    rows = [
        [f"{p.degree:.0f}%", bar(p.degree, top=100.0), str(p.shared), p.first, p.second]
        for p in report.pairs
    ]
    head = Line(
        f"min revisions {report.min_revs}, min degree {report.min_degree:g}%, "
        f"changesets up to {report.max_changeset} files",
        style="dim",
    )
    body: list[Block] = (
        [table(["degree", "", "shared", "file", "coupled with"], rows)]
        if rows
        else [Line("no coupled pairs above the thresholds")]
    )
    return [_window(report.window), head, *body, *missing_lines(report.missing)]


@escaping
def coverage_text(report: CoverageGapReport) -> list[Block]:
    """Coverage gaps by risk."""
    if report.source is None:
        return missing_lines(report.missing)
    total = "-" if report.total_coverage is None else f"{report.total_coverage:.1%}"
    head = Fields([("source", report.source), ("total", total), ("target", f"{report.target:.0%}")])
    rows = [
        [f"{g.risk:.1f}", f"{g.coverage:.0%}", str(g.uncovered), str(g.commits), g.path]
        for g in report.gaps
    ]
    body: list[Block] = (
        [Table(["risk", "coverage", "uncovered", "commits", "path"], rows)]
        if rows
        else [Line(f"every file reaches {report.target:.0%}", style="green")]
    )
    return [head, *body]


@escaping
def profile_text(profile: QAProfile | ProfileList) -> list[Block]:
    """One profile's fields, or the list of profiles."""
    from hephaestus.analytics.profiles import QAProfile  # noqa: PLC0415

    profiles = [profile] if isinstance(profile, QAProfile) else list(profile.profiles)
    if not profiles:
        return [Line("no profiles: define [tool.hephaestus.analytics.profiles.<name>]")]
    return [
        Fields(
            [
                ("coverage goal", f"{p.coverage_goal:.0%}"),
                ("gates", ", ".join(p.gates) or "(guard-rails' default selection)"),
                ("strictness", p.strictness.value),
            ],
            title=p.name,
        )
        for p in profiles
    ]


@escaping
def ingest_text(report: IngestReport) -> list[Block]:
    """Show the counts, and each rejected line."""
    blocks: list[Block] = [
        Line(f"{report.accepted} events stored in {report.database} from {report.source}")
    ]
    blocks += [Line(f"line {r.line}: {r.error}", style="red") for r in report.rejected]
    return blocks


@escaping
def snapshots_text(listing: SnapshotList) -> list[Block]:
    """Snapshots, newest first."""
    rows = [
        [str(s.id), s.created, s.command, (s.head or "-")[:12], s.since, str(s.files)]
        for s in listing.snapshots
    ]
    head = Line(
        f"{listing.database} (schema {listing.schema_version}, {listing.events} events)", "dim"
    )
    body: list[Block] = (
        [table(["id", "created", "command", "head", "since", "files"], rows)]
        if rows
        else [Line("no snapshots yet")]
    )
    return [head, *body]
