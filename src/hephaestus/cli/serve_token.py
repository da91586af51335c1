"""``hephaestus serve-token``: make a bearer token for ``hephaestus serve`` and its hash."""

from __future__ import annotations

from typing import Annotated

import typer

from hephaestus.cli.environment import Environment
from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.render import Block, Fields, Line, emit
from hephaestus.serving import NewToken, Scope

app = command_app()


def _text(made: NewToken) -> list[Block]:
    return [
        Fields([("token", made.token), ("name", made.name), ("scopes", ", ".join(made.scopes))]),
        Line("Give the token to its holder now: it is shown once and stored nowhere."),
        Line("Add this to [tool.hephaestus.serve] (or HEPHAESTUS_SERVE_TOKENS as JSON):"),
        Line(made.toml),
    ]


@app.command("serve-token")
@describe(
    output=NewToken,
    examples=[
        "hephaestus serve-token ci --scope read --scope run",
        "hephaestus --format json serve-token dashboard",
    ],
)
def serve_token(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Who holds the token: named in the audit log.")],
    scope: Annotated[
        list[Scope] | None,
        typer.Option(
            "--scope",
            help="What it may do (repeatable): read, run (project code), write (files), admin.  "
            "[default: read]",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Make a bearer token for hephaestus serve, and its hash.

    The token is printed once; the configuration holds only its salted scrypt hash, so a
    leaked pyproject.toml or environment grants nothing.
    """
    env: Environment = ctx.obj
    from hephaestus.api.auth import hash_token, new_token  # noqa: PLC0415  # hashlib

    token = new_token()
    emit(env, NewToken.make(name=name, token=token, hash=hash_token(token), scopes=scope), _text)
