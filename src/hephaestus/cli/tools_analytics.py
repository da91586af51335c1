"""``hephaestus tools analytics``: ingest NDJSON events, list stored snapshots."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from hephaestus.analytics.models import IngestReport, SnapshotList
from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.operation import invoke
from hephaestus.cli.render import emit
from hephaestus.cli.tools_text import ingest_text, snapshots_text
from hephaestus.core.errors import ExitCode, UsageError

app = command_app()


def _events(source: str) -> dict[str, Any]:
    """Return the request's fields: a file by name, or the events read from stdin for ``-``."""
    if source != "-":
        return {"file": source}
    try:
        return {"events": sys.stdin.buffer.read().decode("utf-8")}
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"stdin: cannot read it ({exc})", hint="name a UTF-8 NDJSON file") from exc


@app.command("ingest")
@describe(output=IngestReport, examples=["hephaestus tools analytics ingest -"])
def ingest(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Argument(metavar="FILE", help="NDJSON file of events, or - for stdin.")
    ],
) -> None:
    """Store metric events from NDJSON, one per line; per-path metrics join the analysis.

    Each line is validated: bad lines are reported with their numbers and the good ones kept
    (in one transaction). Exits 1 when any line was rejected.
    """
    spelling = {"file": "FILE", "events": "FILE"}
    report = invoke(
        ctx, "tools_analytics_ingest", _events(source), IngestReport, label="ingest",
        flags=spelling,
    )  # fmt: skip
    emit(ctx.obj, report, ingest_text)
    if report.rejected:
        raise typer.Exit(ExitCode.FINDINGS)


@app.command("snapshots")
@describe(output=SnapshotList, examples=["hephaestus tools analytics snapshots"])
def snapshots(ctx: typer.Context) -> None:
    """List the stored analysis snapshots, newest first."""
    listing = invoke(ctx, "tools_analytics_snapshots", {}, SnapshotList, label="snapshots")
    emit(ctx.obj, listing, snapshots_text)
