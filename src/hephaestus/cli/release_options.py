"""Options shared by the ``release`` commands: flags only; the operations resolve them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from hephaestus.cli.operation import default_note
from hephaestus.release.settings import ReleaseSection


def option(*names: str, help_text: str, **extra: Any) -> Any:  # noqa: ANN401  # Typer's OptionInfo
    """Build a Typer option whose default is described in its help text, not by Typer."""
    return typer.Option(*names, help=help_text, show_default=False, **extra)


def configured(text: str, field: str) -> str:
    """``text`` and the default of ``field`` in ``[tool.hephaestus.release]``, from the model."""
    return text + default_note(ReleaseSection, field)


Repository = Annotated[
    str | None, option("--repository", help_text="OWNER/REPO.  [default: from config]")
]
Token = Annotated[
    str | None,
    option("--token", help_text="GitHub token.  [default: GITHUB_TOKEN, then GH_TOKEN]"),
]
ApiUrl = Annotated[
    str | None, option("--api-url", help_text=configured("REST API root.", "api_url"))
]
Timeout = Annotated[
    float | None,
    option(
        "--timeout",
        min=0.1,
        help_text=configured(
            "Seconds per whole request; a download adds 1 s per 64 KiB.", "timeout"
        ),
    ),
]
MaxRetries = Annotated[
    int | None,
    option(
        "--max-retries", min=0, help_text=configured("Retries of a failed request.", "max_retries")
    ),
]
Identity = Annotated[
    str | None, option("--identity", help_text="Signer identity to pin (certificate SAN).")
]
Issuer = Annotated[
    str | None, option("--issuer", help_text=configured("OIDC issuer to pin.", "issuer"))
]
TrustRoot = Annotated[
    Path | None,
    option("--trust-root", help_text="Sigstore trusted_root.json: verify offline.", dir_okay=False),
]


def github_fields(
    *,
    repository: str | None,
    token: str | None,
    api_url: str | None,
    timeout: float | None = None,
    max_retries: int | None = None,
) -> dict[str, Any]:
    """Return the request fields the shared GitHub flags set."""
    return {
        "repository": repository,
        "token": token,
        "api_url": api_url,
        "timeout": timeout,
        "max_retries": max_retries,
    }
