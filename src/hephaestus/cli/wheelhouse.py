"""``hephaestus wheelhouse``: remove OS cruft from a wheelhouse; verify every wheel's RECORD."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.operation import invoke
from hephaestus.cli.render import Block, Line, Table, emit
from hephaestus.core.errors import ExitCode
from hephaestus.core.fs import printable_path
from hephaestus.release.models import SanitizeReport, WheelhouseReport

app = command_app("Check a wheelhouse: OS cruft and every wheel's RECORD hashes.")

Directory = Annotated[
    Path, typer.Argument(metavar="DIR", help="The wheelhouse directory.", file_okay=False)
]


def _sanitize_text(report: SanitizeReport) -> list[Block]:
    verb = "would remove" if report.dry_run else "removed"
    head = Line(f"{verb} {len(report.cruft)} OS cruft paths in {report.directory}", "bold")
    return [head, *(Line(f"  {printable_path(path)}") for path in report.cruft)]


def _verify_text(report: WheelhouseReport) -> list[Block]:
    rows = [[w.wheel, "ok" if not w.problems else "; ".join(w.problems)] for w in report.wheels]
    blocks: list[Block] = [Table(["wheel", "RECORD"], rows)]
    blocks += [Line(f"cruft: {printable_path(path)}", style="yellow") for path in report.cruft]
    verdict = "clean" if report.clean else "findings"
    blocks.append(Line(verdict, style="bold green" if report.clean else "bold red"))
    return blocks


@app.command("sanitize")
@describe(output=SanitizeReport, examples=["hephaestus wheelhouse sanitize . --dry-run"])
def sanitize(
    ctx: typer.Context,
    directory: Directory,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List; remove nothing.")] = False,
) -> None:
    """Remove OS cruft (.DS_Store, __MACOSX/, ._*, Thumbs.db…) from a wheelhouse.

    The same names as cleanup's os-cruft category; symlinks are removed, never followed.
    Refuses, with exit 3, the directories cleanup refuses: the filesystem root, the home
    directory or an ancestor of it, and system directories.
    """
    name = "wheelhouse_sanitize_plan" if dry_run else "wheelhouse_sanitize"
    report = invoke(ctx, name, {"directory": directory}, SanitizeReport, label="sanitizing")
    emit(ctx.obj, report, _sanitize_text)


@app.command("verify")
@describe(output=WheelhouseReport, examples=["hephaestus --format json wheelhouse verify ."])
def verify(ctx: typer.Context, directory: Directory) -> None:
    """Report OS cruft and check every wheel's RECORD hashes and sizes.

    Exits 1 when there is cruft or a wheel whose files disagree with its RECORD.
    """
    report = invoke(ctx, "wheelhouse_verify", {"directory": directory}, WheelhouseReport)
    emit(ctx.obj, report, _verify_text)
    if not report.clean:
        raise typer.Exit(ExitCode.FINDINGS)
