"""``hephaestus tools refactor soc``: each file's sum of coupling (registered by tools_refactor)."""

from __future__ import annotations

import typer

from hephaestus.analytics.team_models import SocReport
from hephaestus.cli.meta import describe
from hephaestus.cli.tools_options import NoStore, Paths, Since
from hephaestus.cli.tools_team_text import soc_text
from hephaestus.cli.tools_text import show


@describe(output=SocReport, examples=["hephaestus tools refactor soc --since '24 months'"])
def soc_command(
    ctx: typer.Context, since: Since = None, path: Paths = None, no_store: NoStore = False
) -> None:
    """Each file's sum of coupling: the other files its commits changed (code-maat's soc).

    Per file, the sum over its commits of the number of other files each changed; commits
    changing more files than coupling-max-changeset are left out, as in coupling.
    """
    fields = {"since": since, "paths": path, "no_store": no_store}
    show(ctx, "tools_refactor_soc", fields, SocReport, soc_text, label="soc")
