"""``hephaestus release install``: a release's wheelhouse, installed only once verified."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from hephaestus.cli.meta import describe
from hephaestus.cli.operation import invoke
from hephaestus.cli.release_options import (
    ApiUrl,
    Identity,
    Issuer,
    MaxRetries,
    Repository,
    Timeout,
    Token,
    TrustRoot,
    configured,
    github_fields,
    option,
)
from hephaestus.cli.release_text import install_text
from hephaestus.cli.render import emit
from hephaestus.release.models import InstallReport


@describe(
    output=InstallReport,
    examples=[
        (
            "hephaestus release install --repository OWNER/REPO --identity "
            "'https://github.com/OWNER/REPO/.github/workflows/release.yml@refs/tags/{tag}'"
        ),
        "hephaestus --format json release install --tag v1.2.0 --dry-run",
    ],
)
def install(
    ctx: typer.Context,
    repository: Repository = None,
    tag: Annotated[str | None, option("--tag", help_text="Release tag.  [default: latest]")] = None,
    asset_pattern: Annotated[
        str | None, option("--asset-pattern", metavar="GLOB", help_text="Choose the archive.")
    ] = None,
    manifest_pattern: Annotated[
        str | None, option("--manifest-pattern", metavar="GLOB", help_text="Choose the manifest.")
    ] = None,
    bundle_pattern: Annotated[
        str | None, option("--bundle-pattern", metavar="GLOB", help_text="Choose the bundle.")
    ] = None,
    destination: Annotated[
        Path | None,
        option(
            "--destination",
            metavar="DIR",
            file_okay=False,
            help_text=configured("Where the archive and wheelhouse go.", "destination"),
        ),
    ] = None,
    token: Token = None,
    api_url: ApiUrl = None,
    timeout: Timeout = None,
    max_retries: MaxRetries = None,
    python: Annotated[
        str | None,
        option(
            "--python",
            metavar="PATH",
            help_text="Interpreter to install into.  [default: the one running hephaestus]",
        ),
    ] = None,
    pip_arg: Annotated[
        list[str] | None,
        option(
            "--pip-arg",
            metavar="ARG",
            help_text="Extra installer argument that only changes how the wheels are "
            "installed, e.g. --no-deps or --target=DIR (repeatable); one that could add a "
            "package source is refused.",
        ),
    ] = None,
    identity: Identity = None,
    issuer: Issuer = None,
    trust_root: TrustRoot = None,
    require_sigstore: Annotated[
        bool, option("--require-sigstore", help_text="Refuse a release without a bundle.")
    ] = False,
    allow_unsigned: Annotated[
        bool, option("--allow-unsigned", help_text="Install even without a checksum manifest.")
    ] = False,
    overwrite: Annotated[
        bool, option("--overwrite", help_text="Replace an existing archive and wheelhouse.")
    ] = False,
    remove_archive: Annotated[
        bool, option("--remove-archive", help_text="Delete the archive after installing.")
    ] = False,
    no_upgrade: Annotated[
        bool, option("--no-upgrade", help_text="Do not pass --upgrade to pip.")
    ] = False,
    dry_run: Annotated[
        bool, option("--dry-run", help_text="Download and verify, show the plan; install nothing.")
    ] = False,
) -> None:
    """Install a GitHub release wheelhouse only after checksum and Sigstore checks.

    Looks up the release (latest without --tag), downloads the archive with its SHA-256
    manifest and Sigstore bundle, verifies both (identity and issuer pinned), extracts it
    safely and installs it offline (uv when on PATH, else pip; --no-index): nothing comes from
    an index. Exit 4 when a check fails, 2 when no identity is pinned (the message names the
    signer), 5 when GitHub, the network or the installer fails. Nothing is left behind on
    failure but, when only the installation failed, the verified archive.
    """
    fields: dict[str, Any] = {
        **github_fields(
            repository=repository,
            token=token,
            api_url=api_url,
            timeout=timeout,
            max_retries=max_retries,
        ),
        "tag": tag,
        "asset_pattern": asset_pattern,
        "manifest_pattern": manifest_pattern,
        "bundle_pattern": bundle_pattern,
        "destination": destination,
        "python": python,
        "pip_args": pip_arg,
        "identity": identity,
        "issuer": issuer,
        "trust_root": trust_root,
        "require_sigstore": require_sigstore or None,  # unset: the configured value
        "allow_unsigned": allow_unsigned,
        "upgrade": not no_upgrade,
    }
    spelling = {"pip_args": "--pip-arg", "upgrade": "--no-upgrade"}
    if dry_run:
        name = "release_install_plan"
    else:
        name = "release_install"
        fields |= {"overwrite": overwrite, "remove_archive": remove_archive}
    report = invoke(
        ctx, name, fields, InstallReport, label="looking up the release", flags=spelling
    )
    emit(ctx.obj, report, install_text)
