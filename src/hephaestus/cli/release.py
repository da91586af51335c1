"""``hephaestus release``: install, verify and backfill verified GitHub release wheelhouses."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from hephaestus.cli.environment import Environment
from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.progress import progress_for
from hephaestus.cli.release_text import backfill_text, install_text, verify_text
from hephaestus.cli.render import emit
from hephaestus.core.config import ReleaseSection, find_repository_root
from hephaestus.release.models import BackfillReport, InstallReport, VerifyReport

app = command_app("Install, verify and backfill signed GitHub release wheelhouses.")


def _opt(*names: str, help_text: str, **extra: Any) -> Any:  # noqa: ANN401  # Typer's OptionInfo
    return typer.Option(*names, help=help_text, show_default=False, **extra)


Repository = Annotated[
    str | None, _opt("--repository", help_text="OWNER/REPO.  [default: from config]")
]
Token = Annotated[
    str | None,
    _opt("--token", help_text="GitHub token.  [default: GITHUB_TOKEN, then GH_TOKEN]"),
]
ApiUrl = Annotated[
    str | None, _opt("--api-url", help_text="REST API root.  [default: https://api.github.com]")
]
Identity = Annotated[
    str | None, _opt("--identity", help_text="Signer identity to pin (certificate SAN).")
]
Issuer = Annotated[
    str | None,
    _opt("--issuer", help_text="OIDC issuer to pin.  [default: GitHub Actions' issuer]"),
]
TrustRoot = Annotated[
    Path | None,
    _opt("--trust-root", help_text="Sigstore trusted_root.json: verify offline.", dir_okay=False),
]


def _section(env: Environment) -> tuple[Path, ReleaseSection]:
    root = find_repository_root(Path.cwd())
    return root, env.load_config(root).release


def _github(
    section: ReleaseSection,
    *,
    token: str | None,
    api_url: str | None,
    timeout: float | None = None,
    max_retries: int | None = None,
    upload_url: str | None = None,
) -> Any:  # noqa: ANN401  # hephaestus.release.github.GitHub, imported lazily
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


def _trust_root(root: Path, flag: Path | None, section: ReleaseSection) -> Path | None:
    return flag or (root / section.trust_root if section.trust_root else None)


@app.command("install")
@describe(
    output=InstallReport,
    examples=[
        (
            "hephaestus release install --repository OWNER/REPO --identity "
            "'https://github.com/OWNER/REPO/.github/workflows/release.yml@refs/tags/v1.2.0'"
        ),
        "hephaestus --format json release install --tag v1.2.0 --dry-run",
    ],
)
def install(
    ctx: typer.Context,
    repository: Repository = None,
    tag: Annotated[str | None, _opt("--tag", help_text="Release tag.  [default: latest]")] = None,
    asset_pattern: Annotated[
        str | None, _opt("--asset-pattern", metavar="GLOB", help_text="Choose the archive.")
    ] = None,
    manifest_pattern: Annotated[
        str | None, _opt("--manifest-pattern", metavar="GLOB", help_text="Choose the manifest.")
    ] = None,
    bundle_pattern: Annotated[
        str | None, _opt("--bundle-pattern", metavar="GLOB", help_text="Choose the bundle.")
    ] = None,
    destination: Annotated[
        Path | None,
        _opt(
            "--destination",
            metavar="DIR",
            file_okay=False,
            help_text="Where the archive and wheelhouse go.  [default: .hephaestus/release]",
        ),
    ] = None,
    token: Token = None,
    api_url: ApiUrl = None,
    timeout: Annotated[
        float | None, _opt("--timeout", min=0.1, help_text="Seconds to connect and per read.")
    ] = None,
    max_retries: Annotated[
        int | None, _opt("--max-retries", min=0, help_text="Retries of a failed request.")
    ] = None,
    python: Annotated[
        str | None,
        _opt(
            "--python",
            metavar="PATH",
            help_text="Interpreter to install into.  [default: the one running hephaestus]",
        ),
    ] = None,
    pip_arg: Annotated[
        list[str] | None,
        _opt("--pip-arg", metavar="ARG", help_text="Extra pip argument (repeatable)."),
    ] = None,
    identity: Identity = None,
    issuer: Issuer = None,
    trust_root: TrustRoot = None,
    require_sigstore: Annotated[
        bool, _opt("--require-sigstore", help_text="Refuse a release without a bundle.")
    ] = False,
    allow_unsigned: Annotated[
        bool, _opt("--allow-unsigned", help_text="Install even without a checksum manifest.")
    ] = False,
    overwrite: Annotated[
        bool, _opt("--overwrite", help_text="Replace an existing archive and wheelhouse.")
    ] = False,
    remove_archive: Annotated[
        bool, _opt("--remove-archive", help_text="Delete the archive after installing.")
    ] = False,
    no_upgrade: Annotated[
        bool, _opt("--no-upgrade", help_text="Do not pass --upgrade to pip.")
    ] = False,
    dry_run: Annotated[
        bool, _opt("--dry-run", help_text="Download and verify, show the plan; install nothing.")
    ] = False,
) -> None:
    """Install a GitHub release wheelhouse only after checksum and Sigstore checks.

    Looks up the release (latest without --tag), downloads the archive with its SHA-256
    manifest and Sigstore bundle, verifies both (identity and issuer pinned), extracts it
    safely and installs it with `pip install --no-index`: nothing comes from an index. Exit 4
    when a check fails, 2 when no identity is pinned (the message names the signer), 5 when
    GitHub, the network or pip fails. Nothing is left behind on failure.
    """
    from hephaestus.release.extract import Limits  # noqa: PLC0415  # operations: lazily
    from hephaestus.release.flow import InstallOptions, install_release  # noqa: PLC0415
    from hephaestus.release.github import check_repository  # noqa: PLC0415

    env: Environment = ctx.obj
    root, section = _section(env)
    target = destination or root / section.destination
    if destination is None:
        target.mkdir(parents=True, exist_ok=True)
    options = InstallOptions(
        repository=check_repository(repository or section.repository),
        destination=target,
        python=python or sys.executable,
        tag=tag,
        asset_pattern=asset_pattern or section.asset_pattern,
        manifest_pattern=manifest_pattern or section.manifest_pattern,
        bundle_pattern=bundle_pattern or section.bundle_pattern,
        identity=identity or section.identity,
        issuer=issuer or section.issuer,
        trust_root=_trust_root(root, trust_root, section),
        require_sigstore=require_sigstore or section.require_sigstore,
        allow_unsigned=allow_unsigned,
        overwrite=overwrite,
        remove_archive=remove_archive,
        upgrade=not no_upgrade,
        dry_run=dry_run,
        pip_args=tuple(pip_arg or ()),
        limits=Limits(max_members=section.max_members, max_bytes=section.max_extracted_mb << 20),
    )
    github = _github(
        section, token=token, api_url=api_url, timeout=timeout, max_retries=max_retries
    )
    with github, progress_for(env, "downloading") as progress:
        report = install_release(github, options=options, progress=progress)
    emit(env, report, install_text)


@app.command("verify")
@describe(
    output=VerifyReport,
    examples=[
        "hephaestus release verify dist/wheelhouse.tar.gz --identity ID --trust-root root.json"
    ],
)
def verify(
    ctx: typer.Context,
    artifact: Annotated[Path, typer.Argument(help="The file to verify.", dir_okay=False)],
    manifest: Annotated[
        Path | None,
        _opt(
            "--manifest",
            dir_okay=False,
            help_text="SHA-256 manifest.  [default: ARTIFACT.sha256 or SHA256SUMS beside it]",
        ),
    ] = None,
    bundle: Annotated[
        Path | None,
        _opt(
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
    root, section = _section(env)
    report = verify_local(
        artifact,
        manifest=manifest,
        bundle=bundle,
        identity=identity or section.identity,
        issuer=issuer or section.issuer,
        trust_root=_trust_root(root, trust_root, section),
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
        list[str] | None, _opt("--tag", help_text="Release tag (repeatable).  [default: all]")
    ] = None,
    dry_run: Annotated[
        bool, _opt("--dry-run", help_text="List what is missing; download and write nothing.")
    ] = False,
    token: Token = None,
    api_url: ApiUrl = None,
    upload_url: Annotated[
        str | None,
        _opt("--upload-url", help_text="Upload API root.  [default: from the release]"),
    ] = None,
) -> None:
    """Add the missing SHA-256 manifest and Sigstore bundle to existing releases.

    Signs keylessly with the ambient CI identity (GitHub Actions with id-token: write) and
    records an inventory in .hephaestus/release/.
    """
    from hephaestus.release.backfill import backfill_releases  # noqa: PLC0415
    from hephaestus.release.github import check_repository  # noqa: PLC0415

    env: Environment = ctx.obj
    root, section = _section(env)
    name = check_repository(repository or section.repository)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    inventory = root / section.destination / f"backfill-{stamp}-{env.run_id}.json"
    github = _github(section, token=token, api_url=api_url, upload_url=upload_url)
    with github, progress_for(env, "downloading") as progress:
        report = backfill_releases(
            github,
            repository=name,
            tags=tuple(tag or ()),
            dry_run=dry_run,
            inventory=inventory,
            progress=progress,
        )
    emit(env, report, backfill_text)
