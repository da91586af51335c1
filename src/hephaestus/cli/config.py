"""``hephaestus config``: the effective configuration of a repository, validated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ConfigDict, Field

from hephaestus.cli.environment import Environment
from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.render import Block, Fields, emit
from hephaestus.core.config import find_repository_root

app = command_app()


class ConfigReport(BaseModel):
    """The configuration hephaestus uses for a repository, after every source is applied."""

    model_config = ConfigDict(frozen=True)

    root: str = Field(description="Repository root the configuration belongs to.")
    pyproject: str | None = Field(description="pyproject.toml read, or null if there is none.")
    values: dict[str, Any] = Field(
        description="Effective [tool.hephaestus] values, keyed as in pyproject.toml."
    )


def _kebab(data: Any) -> Any:  # noqa: ANN401  # configuration values of any shape
    if isinstance(data, dict):
        return {k.replace("_", "-"): _kebab(v) for k, v in data.items()}
    return data


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
            help="Repository to read.  [default: the git work tree of the current directory]",
            show_default=False,
            exists=True,
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Show the effective configuration.

    Reads [tool.hephaestus] from the repository's pyproject.toml and the HEPHAESTUS_*
    environment, applies defaults, and validates the result: an unknown key or a bad value
    exits 2 naming the key and the file. Use it in CI to check configuration early.
    """
    env: Environment = ctx.obj
    repo = find_repository_root(root or Path.cwd())
    loaded = env.load_config(repo)
    pyproject = repo / "pyproject.toml"
    report = ConfigReport(
        root=str(repo),
        pyproject=str(pyproject) if pyproject.is_file() else None,
        values=_kebab(loaded.model_dump(mode="json")),
    )
    emit(env, report, _text)
