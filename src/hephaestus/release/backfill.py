"""Give old releases the evidence ``release install`` requires: a manifest and a bundle.

For each release lacking one: download its archive (hashed while streaming), write the SHA-256
manifest, sign the digest with Sigstore (keyless, with the ambient CI identity) and upload
what was missing. Signing happens before any upload, so a failure uploads nothing. A dry run
downloads nothing and writes nothing. The inventory is a :class:`BackfillReport`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from hephaestus.core.errors import ExternalError, UsageError
from hephaestus.core.fs import write_atomic
from hephaestus.core.progress import NO_PROGRESS, Progress
from hephaestus.release.assets import select_assets
from hephaestus.release.checksums import format_manifest
from hephaestus.release.download import download_asset
from hephaestus.release.models import BackfillAction, BackfillEntry, BackfillReport, Release

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from hephaestus.release.github import GitHub


def ambient_signer() -> Callable[[str], bytes]:
    """Return a signer using the CI's ambient OIDC identity and Sigstore's production services.

    The signer takes a hex SHA-256 digest and returns the Sigstore bundle as JSON bytes.

    Raises:
        ExternalError: no ambient identity (outside CI, or without ``id-token: write``).

    """
    from sigstore.hashes import Hashed  # noqa: PLC0415  # sigstore: only when signing
    from sigstore.models import ClientTrustConfig  # noqa: PLC0415
    from sigstore.oidc import IdentityToken, detect_credential  # noqa: PLC0415
    from sigstore.sign import SigningContext  # noqa: PLC0415
    from sigstore_models.common.v1 import HashAlgorithm  # noqa: PLC0415

    credential = detect_credential()
    if credential is None:
        raise ExternalError(
            "no ambient OIDC identity to sign with",
            hint="run backfill in GitHub Actions with `permissions: id-token: write`",
            code="no-signing-identity",
        )
    context = SigningContext.from_trust_config(ClientTrustConfig.production())

    def sign(sha256: str) -> bytes:
        hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(sha256))
        with context.signer(IdentityToken(credential)) as signer:
            return signer.sign_artifact(hashed).to_json().encode("utf-8")

    return sign


def _releases(github: GitHub, repository: str, tags: Sequence[str]) -> list[Release]:
    if tags:
        return [github.get_release(repository, tag) for tag in tags]
    return github.list_releases(repository)


def _backfill_one(
    github: GitHub,
    release: Release,
    *,
    sign: Callable[[str], bytes],
    progress: Progress,
) -> BackfillEntry:
    selected = select_assets(release.assets)
    archive = selected.archive
    with tempfile.TemporaryDirectory(prefix="hephaestus-backfill-") as scratch:
        done = download_asset(github, archive, directory=Path(scratch), progress=progress)
    uploads: list[tuple[str, bytes, str]] = []
    if selected.manifest is None:
        manifest = format_manifest({archive.name: done.sha256}).encode()
        uploads.append((f"{archive.name}.sha256", manifest, "text/plain"))
    if selected.bundle is None:
        bundle = sign(done.sha256)
        uploads.append((f"{archive.name}.sigstore.json", bundle, "application/json"))
    for name, content, media in uploads:
        github.upload_asset(release, name=name, content=content, media=media)
    return BackfillEntry(
        tag=release.tag,
        archive=archive.name,
        action=BackfillAction.backfilled,
        sha256=done.sha256,
        uploaded=[name for name, _, _ in uploads],
    )


def backfill_releases(  # noqa: PLR0913  # keyword-only, each with a safe default
    github: GitHub,
    *,
    repository: str,
    tags: Sequence[str] = (),
    dry_run: bool = False,
    sign: Callable[[], Callable[[str], bytes]] = ambient_signer,
    inventory: Path | None = None,
    progress: Progress = NO_PROGRESS,
) -> BackfillReport:
    """Backfill manifests and bundles of ``tags`` (default: every release) of ``repository``.

    ``sign`` builds the signer only when something must be signed. Unless ``dry_run``, the
    report is also written to ``inventory`` (atomically). Raises:
        UsageError: a release has no single archive (exit 2).
        ExternalError: GitHub, the download, the upload or signing failed (exit 5).

    """
    entries: list[BackfillEntry] = []
    signer: Callable[[str], bytes] | None = None
    for release in _releases(github, repository, tags):
        try:
            selected = select_assets(release.assets)
        except UsageError as exc:
            raise UsageError(f"release {release.tag}: {exc.message}", hint=exc.hint) from exc
        name = selected.archive.name
        if selected.manifest is not None and selected.bundle is not None:
            entries.append(BackfillEntry(tag=release.tag, archive=name, action="complete"))
            continue
        if dry_run:
            missing = [
                f"{name}{suffix}"
                for suffix, have in (
                    (".sha256", selected.manifest),
                    (".sigstore.json", selected.bundle),
                )
                if have is None
            ]
            entries.append(
                BackfillEntry(
                    tag=release.tag, archive=name, action="would-backfill", uploaded=missing
                )
            )
            continue
        if signer is None and selected.bundle is None:
            signer = sign()
        entries.append(
            _backfill_one(github, release, sign=signer or _no_signing, progress=progress)
        )
    report = BackfillReport(repository=repository, dry_run=dry_run, entries=entries, inventory=None)
    if dry_run or inventory is None:
        return report
    report = report.model_copy(update={"inventory": str(inventory)})
    inventory.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(inventory, report.model_dump_json(indent=2) + "\n")
    return report


def _no_signing(sha256: str) -> bytes:  # pragma: no cover  # called only when a bundle exists
    raise AssertionError(sha256)
