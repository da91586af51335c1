"""``hephaestus tools team``: ownership, knowledge risk and code age from the history pass."""

from __future__ import annotations

from typing import Annotated

import typer

from hephaestus.analytics.settings import AnalyticsSection
from hephaestus.analytics.team_models import CodeAgeReport, KnowledgeRiskReport, OwnershipReport
from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.operation import default_note
from hephaestus.cli.tools_options import NoStore, Paths, Since
from hephaestus.cli.tools_team_text import code_age_text, knowledge_risk_text, ownership_text
from hephaestus.cli.tools_text import show

app = command_app()


@app.command("ownership")
@describe(
    output=OwnershipReport,
    examples=[
        "hephaestus tools team ownership",
        "hephaestus tools team ownership --since '24 months' --path 'src/**'",
    ],
)
def ownership_command(
    ctx: typer.Context, since: Since = None, path: Paths = None, no_store: NoStore = False
) -> None:
    """Who changed each file and directory: shares, main developer, fragmentation.

    Shares are of changed lines (added + deleted), authors as .mailmap names them; bots and
    large commits are left out. Fragmentation is code-maat's: 1 - sum(author commits share)^2.
    """
    fields = {"since": since, "paths": path, "no_store": no_store}
    show(ctx, "tools_team_ownership", fields, OwnershipReport, ownership_text, label="ownership")


@app.command("knowledge-risk")
@describe(
    output=KnowledgeRiskReport,
    examples=[
        "hephaestus tools team knowledge-risk",
        "hephaestus tools team knowledge-risk --inactive-months 3",
    ],
)
def knowledge_risk_command(
    ctx: typer.Context,
    inactive_months: Annotated[
        int | None,
        typer.Option(
            "--inactive-months",
            min=1,
            metavar="N",
            help="Months without a commit after which an author is inactive."
            + default_note(AnalyticsSection, "inactive_months"),
            show_default=False,
        ),
    ] = None,
    since: Since = None,
    path: Paths = None,
    no_store: NoStore = False,
) -> None:
    """Code whose main developers went inactive, and each directory's truck factor.

    The truck factor is the fewest authors who are main developers of more than half of a
    directory's files (greedy: the author owning most files is removed first).
    """
    fields = {
        "inactive_months": inactive_months, "since": since, "paths": path, "no_store": no_store,
    }  # fmt: skip
    show(
        ctx,
        "tools_team_knowledge_risk",
        fields,
        KnowledgeRiskReport,
        knowledge_risk_text,
        label="knowledge risk",
    )


@app.command("code-age")
@describe(output=CodeAgeReport, examples=["hephaestus tools team code-age --since '5 years'"])
def code_age_command(
    ctx: typer.Context, since: Since = None, path: Paths = None, no_store: NoStore = False
) -> None:
    """Months since each file last changed, and their distribution.

    A month is 30 days; a file with no change in the window is counted apart.
    """
    fields = {"since": since, "paths": path, "no_store": no_store}
    show(ctx, "tools_team_code_age", fields, CodeAgeReport, code_age_text, label="code age")
