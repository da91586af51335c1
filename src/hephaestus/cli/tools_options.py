"""Options shared by the ``tools`` commands and ``plan``; their defaults come from the models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Final

import typer

from hephaestus.analytics.settings import AnalyticsSection
from hephaestus.cli.operation import default_note

SPELLING: Final = {"paths": "--path"}
"""Request fields whose flag is not their own name."""

Since = Annotated[
    str | None,
    typer.Option(
        "--since",
        metavar="DATE",
        help="Start of the history window: ISO date or 'N days|weeks|months|years'."
        + default_note(AnalyticsSection, "since"),
        show_default=False,
    ),
]
Paths = Annotated[
    list[str] | None,
    typer.Option(
        "--path",
        metavar="GLOB",
        help="Only files matching this gitignore-style pattern (repeatable).",
    ),
]
CoverageFile = Annotated[
    Path | None,
    typer.Option(
        "--coverage",
        metavar="FILE",
        dir_okay=False,
        help="Coverage file: .coverage, coverage.xml or coverage.json.  "
        "[default: the newest in the root]",
        show_default=False,
    ),
]
NoStore = Annotated[
    bool,
    typer.Option("--no-store", help="Write nothing to .hephaestus/analytics.db (no snapshot)."),
]
Limit = Annotated[
    int | None,
    typer.Option(
        "--limit",
        "-n",
        min=1,
        metavar="N",
        help="Rows shown." + default_note(AnalyticsSection, "limit"),
        show_default=False,
    ),
]
