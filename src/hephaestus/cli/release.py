"""``hephaestus release``: install, verify and backfill verified GitHub release wheelhouses."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from hephaestus.cli.environment import Environment
from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.progress import progress_for
from hephaestus.cli.release_install import install
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
from hephaestus.cli.release_text import backfill_text, verify_text
from hephaestus.cli.render import emit
from hephaestus.core.state import state_directory_for
from hephaestus.release.models import BackfillReport, VerifyReport

app = command_app("Install, verify and backfill signed GitHub release wheelhouses.")
app.command("install")(install)


@app.command("verify")
@describe(
    output=VerifyReport,
    examples=[
        "hephaestus release verify wheelhouse.tar.gz --identity ID --trust-root trusted_root.json"
    ],
)
def verify(
    ctx: typer.Context,
    artifact: Annotated[Path, typer.Argument(help="The file to verify.", dir_okay=False)],
    manifest: Annotated[
        Path | None,
        option(
            "--manifest",
            dir_okay=False,
            help_text="SHA-256 manifest.  [default: ARTIFACT.sha256 or SHA256SUMS beside it]",
        ),
    ] = None,
    bundle: Annotated[
        Path | None,
        option(
            "--bundle",
            dir_okay=False,
            help_text="Sigstore bundle.  [default: ARTIFACT.sigstore.json or .sigstore beside it]",
        ),
    ] = None,
    identity: Identity = None,
    issuer: Issuer = None,
    trust_root: TrustRoot = None,
) -> None:
    """Verify a local file against its SHA-256 manifest and Sigstore bundle.

    Offline with --trust-root. Exit 4 when a check fails, 2 when there is nothing to check
    against or no identity is pinned for a bundle.
    """
    from hephaestus.release.verify import verify_local  # noqa: PLC0415  # sigstore: lazily

    env: Environment = ctx.obj
    root, section = release_section(env)
    report = verify_local(
        artifact,
        manifest=manifest,
        bundle=bundle,
        identity=identity or section.identity,
        issuer=issuer or section.issuer,
        trust_root=trust_root_of(root, trust_root, section),
    )
    emit(env, report, verify_text)


@app.command("backfill")
@describe(
    output=BackfillReport,
    examples=["hephaestus release backfill --repository OWNER/REPO --tag v1.0.0 --dry-run"],
)
def backfill(
    ctx: typer.Context,
    repository: Repository = None,
    tag: Annotated[
        list[str] | None, option("--tag", help_text="Release tag (repeatable).  [default: all]")
    ] = None,
    dry_run: Annotated[
        bool, option("--dry-run", help_text="List what is missing; download and write nothing.")
    ] = False,
    token: Token = None,
    api_url: ApiUrl = None,
    upload_url: Annotated[
        str | None,
        option("--upload-url", help_text="Upload API root.  [default: from the release]"),
    ] = None,
) -> None:
    """Add the missing SHA-256 manifest and Sigstore bundle to existing releases.

    Signs keylessly with the ambient CI identity (GitHub Actions with id-token: write) and
    records an inventory in .hephaestus/release/.
    """
    from hephaestus.release.backfill import backfill_releases  # noqa: PLC0415
    from hephaestus.release.github import check_repository  # noqa: PLC0415

    env: Environment = ctx.obj
    root, section = release_section(env)
    name = check_repository(repository or section.repository)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    inventory = root / section.destination / f"backfill-{stamp}-{env.run_id}.json"
    state_directory_for(inventory, root=root, create=False)  # a linked .hephaestus: refused now
    github = github_client(section, token=token, api_url=api_url, upload_url=upload_url)
    with github, progress_for(env, "downloading") as progress:
        report = backfill_releases(
            github,
            repository=name,
            tags=tuple(tag or ()),
            dry_run=dry_run,
            inventory=inventory,
            progress=progress,
        )
    if report.inventory is not None:  # written below .hephaestus by default: never committed
        state_directory_for(inventory, root=root)
    emit(env, report, backfill_text)
