"""Options shared by the ``tools`` commands, and the one way they load their inputs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hephaestus.core.config import find_repository_root

if TYPE_CHECKING:
    from hephaestus.analytics.analysis import AnalysisOptions
    from hephaestus.analytics.settings import AnalyticsSection
    from hephaestus.cli.environment import Environment

Since = Annotated[
    str | None,
    typer.Option(
        "--since",
        metavar="DATE",
        help="Start of the history window: ISO date or 'N days|weeks|months|years'.  "
        "[default: 12 months]",
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
        "--limit", "-n", min=1, metavar="N", help="Rows shown.  [default: 20]", show_default=False
    ),
]


def prepare(
    env: Environment,
    **fields: Any,  # noqa: ANN401  # AnalysisOptions' own fields
) -> tuple[Path, AnalyticsSection, AnalysisOptions]:
    """Find the root, load ``[tool.hephaestus.analytics]`` and build the analysis options."""
    from hephaestus.analytics.analysis import AnalysisOptions  # noqa: PLC0415  # lazy

    root = find_repository_root(Path.cwd())
    section = env.load_config(root).analytics
    paths = tuple(fields.pop("paths", None) or ())
    coverage = fields.pop("coverage", None)
    options = AnalysisOptions(
        paths=paths,
        coverage=coverage.resolve() if coverage is not None else None,
        **fields,
    )
    return root, section, options
