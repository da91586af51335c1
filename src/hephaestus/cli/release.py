"""``hephaestus release``: install, verify and backfill verified GitHub release wheelhouses."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.operation import invoke
from hephaestus.cli.release_install import install
from hephaestus.cli.release_options import (
    ApiUrl,
    Identity,
    Issuer,
    MaxRetries,
    Repository,
    Timeout,
    Token,
    TrustRoot,
    github_fields,
    option,
)
from hephaestus.cli.release_text import backfill_text, verify_text
from hephaestus.cli.render import emit
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
    fields = {
        "artifact": artifact,
        "manifest": manifest,
        "bundle": bundle,
        "identity": identity,
        "issuer": issuer,
        "trust_root": trust_root,
    }
    emit(ctx.obj, invoke(ctx, "release_verify", fields, VerifyReport), verify_text)


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
    timeout: Timeout = None,
    max_retries: MaxRetries = None,
    upload_url: Annotated[
        str | None,
        option("--upload-url", help_text="Upload API root.  [default: from the release]"),
    ] = None,
) -> None:
    """Add the missing SHA-256 manifest and Sigstore bundle to existing releases.

    Signs keylessly with the ambient CI identity (GitHub Actions with id-token: write) and
    records an inventory in .hephaestus/release/.
    """
    fields = {
        **github_fields(
            repository=repository,
            token=token,
            api_url=api_url,
            timeout=timeout,
            max_retries=max_retries,
        ),
        "tags": tag,
        "dry_run": dry_run,
        "upload_url": upload_url,
    }
    report = invoke(
        ctx,
        "release_backfill",
        fields,
        BackfillReport,
        label="downloading",
        flags={"tags": "--tag"},
    )
    emit(ctx.obj, report, backfill_text)
