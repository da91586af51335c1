"""``hephaestus version``: the version of hephaestus, Python and the platform."""

from __future__ import annotations

import typer

from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.operation import invoke
from hephaestus.cli.render import Block, Fields, emit
from hephaestus.version import VersionInfo

app = command_app()


def _text(info: VersionInfo) -> list[Block]:
    return [
        Fields(
            [
                ("hephaestus", info.version),
                ("python", f"{info.python} ({info.implementation}, {info.executable})"),
                ("platform", info.platform),
            ]
        )
    ]


@app.command("version")
@describe(
    output=VersionInfo,
    examples=["hephaestus version", "hephaestus --format json version"],
)
def version(ctx: typer.Context) -> None:
    """Show the version of hephaestus.

    Also shows the Python interpreter and the platform it runs on, which bug reports need.
    """
    emit(ctx.obj, invoke(ctx, "version", {}, VersionInfo), _text)
