"""``hephaestus release install``: a release's wheelhouse, installed only once verified."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from hephaestus.cli.environment import Environment
from hephaestus.cli.meta import describe
from hephaestus.cli.progress import progress_for
from hephaestus.cli.release_options import (
    ApiUrl,
    Identity,
    Issuer,
    Repository,
    Token,
    TrustRoot,
    github_client,
    option,
    release_section,
    trust_root_of,
)
from hephaestus.cli.release_text import install_text
from hephaestus.cli.render import emit
from hephaestus.core.state import state_directory_for
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
            help_text="Where the archive and wheelhouse go.  [default: .hephaestus/release]",
        ),
    ] = None,
    token: Token = None,
    api_url: ApiUrl = None,
    timeout: Annotated[
        float | None,
        option(
            "--timeout",
            min=0.1,
            help_text="Seconds per whole request; a download adds 1 s per 64 KiB.",
        ),
    ] = None,
    max_retries: Annotated[
        int | None, option("--max-retries", min=0, help_text="Retries of a failed request.")
    ] = None,
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
        option("--pip-arg", metavar="ARG", help_text="Extra installer argument (repeatable)."),
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
    from hephaestus.release.extract import Limits  # noqa: PLC0415  # operations: lazily
    from hephaestus.release.flow import InstallOptions, install_release  # noqa: PLC0415
    from hephaestus.release.github import check_repository  # noqa: PLC0415

    env: Environment = ctx.obj
    root, section = release_section(env)
    target = destination or root / section.destination
    options = InstallOptions(
        repository=check_repository(repository or section.repository),
        destination=target,
        create_destination=destination is None,
        python=python or sys.executable,
        tag=tag,
        asset_pattern=asset_pattern or section.asset_pattern,
        manifest_pattern=manifest_pattern or section.manifest_pattern,
        bundle_pattern=bundle_pattern or section.bundle_pattern,
        identity=identity or section.identity,
        issuer=issuer or section.issuer,
        trust_root=trust_root_of(root, trust_root, section),
        require_sigstore=require_sigstore or section.require_sigstore,
        allow_unsigned=allow_unsigned,
        overwrite=overwrite,
        remove_archive=remove_archive,
        upgrade=not no_upgrade,
        dry_run=dry_run,
        pip_args=tuple(pip_arg or ()),
        limits=Limits(max_members=section.max_members, max_bytes=section.max_extracted_mb << 20),
    )
    state_directory_for(target, root=root, create=False)  # a linked .hephaestus: refused now
    github = github_client(
        section, token=token, api_url=api_url, timeout=timeout, max_retries=max_retries
    )
    with github, progress_for(env, "looking up the release") as progress:
        report = install_release(github, options=options, progress=progress)
    if not dry_run:  # the default destination lies in .hephaestus: never committed
        state_directory_for(target, root=root)
    emit(env, report, install_text)
