"""``hephaestus tools``: refactor analytics, QA coverage and profiles, the analytics store."""

from __future__ import annotations

import typer

from hephaestus.cli.meta import command_app
from hephaestus.cli.tools_analytics import app as analytics_app
from hephaestus.cli.tools_qa import app as qa_app
from hephaestus.cli.tools_refactor import app as refactor_app
from hephaestus.cli.tools_team import app as team_app

HELP = """Find where to refactor first: history, complexity, coverage.

Every figure comes from the repository: its git history (one streamed pass, cached in
.hephaestus/analytics.db), the current tree's complexity, its coverage files and ingested
events. Missing data is said, never filled in.
"""

app = command_app(HELP)
# Typer takes a sub-group's help from here: command_app() sets help=None explicitly.
app.add_typer(
    refactor_app, name="refactor", help="Hotspots, rankings, refactoring opportunities, coupling."
)
app.add_typer(qa_app, name="qa", help="Coverage gaps ordered by risk, and named QA profiles.")
app.add_typer(analytics_app, name="analytics", help="Ingest metric events; list snapshots.")
app.add_typer(
    team_app, name="team", help="Who knows the code: ownership, knowledge risk, code age."
)


@app.callback()
def tools(ctx: typer.Context) -> None:
    """Find where to refactor first: history, complexity, coverage.

    Every figure comes from the repository: its git history (one streamed pass, cached in
    .hephaestus/analytics.db), the current tree's complexity, its coverage files and ingested
    events. Missing data is said, never filled in.
    """
    del ctx
