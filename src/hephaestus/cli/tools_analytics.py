"""``hephaestus tools analytics``: ingest NDJSON events, list stored snapshots."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from hephaestus.analytics.models import IngestReport, SnapshotList
from hephaestus.cli.environment import Environment
from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.render import emit
from hephaestus.cli.tools_text import ingest_text, snapshots_text
from hephaestus.core.config import find_repository_root
from hephaestus.core.errors import ExitCode, UsageError

app = command_app()


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
    from hephaestus.analytics.ingest import ingest_events, split_lines  # noqa: PLC0415  # lazy
    from hephaestus.analytics.store import open_store  # noqa: PLC0415

    env: Environment = ctx.obj
    root = find_repository_root(Path.cwd())
    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
        lines = split_lines(data)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"{source}: cannot read it ({exc})", hint="name a UTF-8 NDJSON file"
        ) from exc
    with open_store(root) as store:
        report = ingest_events(lines, store=store, source="stdin" if source == "-" else source)
    emit(env, report, ingest_text)
    if report.rejected:
        raise typer.Exit(ExitCode.FINDINGS)


@app.command("snapshots")
@describe(output=SnapshotList, examples=["hephaestus tools analytics snapshots"])
def snapshots(ctx: typer.Context) -> None:
    """List the stored analysis snapshots, newest first."""
    from hephaestus.analytics.store import SCHEMA_VERSION, open_store  # noqa: PLC0415

    env: Environment = ctx.obj
    root = find_repository_root(Path.cwd())
    with open_store(root) as store:
        listing = SnapshotList(
            database=str(store.path),
            schema_version=SCHEMA_VERSION,
            snapshots=tuple(store.snapshots()),
            events=store.event_count(),
        )
    emit(env, listing, snapshots_text)
