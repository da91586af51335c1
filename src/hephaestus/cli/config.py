"""``hephaestus config``: the effective configuration of a repository, validated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hephaestus.cli.environment import Environment
from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.operation import invoke
from hephaestus.cli.render import Block, Fields, emit
from hephaestus.configuration import ConfigReport

app = command_app()


def _text(report: ConfigReport) -> list[Block]:
    rows = [(key, json.dumps(value)) for key, value in report.values.items()]
    source = report.pyproject or "no pyproject.toml: defaults and environment only"
    return [Fields([("root", report.root), ("pyproject", source)]), Fields(rows, title="values")]


@app.command("config")
@describe(
    output=ConfigReport,
    examples=["hephaestus config", "hephaestus --format json config ."],
)
def config(
    ctx: typer.Context,
    root: Annotated[
        Path | None,
        typer.Argument(
            metavar="ROOT",
            help="Repository to read.  [default: the git work tree of the current directory]",
            show_default=False,
            exists=True,
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Show the effective configuration.

    Reads [tool.hephaestus] from the repository's pyproject.toml and the HEPHAESTUS_*
    environment, applies global flags and defaults, and validates the result: an unknown key
    or a bad value exits 2 naming the key and the file. Use it in CI to check configuration.
    """
    env: Environment = ctx.obj
    emit(env, invoke(ctx, "config", {"root": root}, ConfigReport), _text)
