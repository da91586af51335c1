"""Options and helpers shared by the ``release`` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from hephaestus.cli.environment import Environment
from hephaestus.core.config import find_repository_root
from hephaestus.release.settings import ReleaseSection


def option(*names: str, help_text: str, **extra: Any) -> Any:  # noqa: ANN401  # Typer's OptionInfo
    """Build a Typer option whose default is described in its help text, not by Typer."""
    return typer.Option(*names, help=help_text, show_default=False, **extra)


Repository = Annotated[
    str | None, option("--repository", help_text="OWNER/REPO.  [default: from config]")
]
Token = Annotated[
    str | None,
    option("--token", help_text="GitHub token.  [default: GITHUB_TOKEN, then GH_TOKEN]"),
]
ApiUrl = Annotated[
    str | None, option("--api-url", help_text="REST API root.  [default: https://api.github.com]")
]
Identity = Annotated[
    str | None, option("--identity", help_text="Signer identity to pin (certificate SAN).")
]
Issuer = Annotated[
    str | None,
    option("--issuer", help_text="OIDC issuer to pin.  [default: GitHub Actions' issuer]"),
]
TrustRoot = Annotated[
    Path | None,
    option("--trust-root", help_text="Sigstore trusted_root.json: verify offline.", dir_okay=False),
]


def release_section(env: Environment) -> tuple[Path, ReleaseSection]:
    """Return the repository root and its ``[tool.hephaestus.release]`` section."""
    root = find_repository_root(Path.cwd())
    return root, env.load_config(root).release


def github_client(
    section: ReleaseSection,
    *,
    token: str | None,
    api_url: str | None,
    timeout: float | None = None,
    max_retries: int | None = None,
    upload_url: str | None = None,
) -> Any:  # noqa: ANN401  # hephaestus.release.github.GitHub, imported lazily
    """Build the GitHub client from flags, then the section: token checked, retries bounded."""
    from hephaestus.core.http import RetryPolicy  # noqa: PLC0415  # httpx: only when used
    from hephaestus.release.github import GitHub, resolve_token  # noqa: PLC0415

    policy = RetryPolicy(
        max_retries=section.max_retries if max_retries is None else max_retries,
        max_wait=section.max_wait,
    )
    return GitHub(
        api_url=api_url or section.api_url,
        token=resolve_token(token),
        timeout=timeout or section.timeout,
        policy=policy,
        upload_url=upload_url,
    )


def trust_root_of(root: Path, flag: Path | None, section: ReleaseSection) -> Path | None:
    """Return --trust-root, else the configured one (relative to the root), else None."""
    return flag or (root / section.trust_root if section.trust_root else None)
