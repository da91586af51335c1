"""``release verify``: check a local file against its manifest and Sigstore bundle, offline-capable.

Without ``manifest``/``bundle`` the evidence is looked for beside the artifact:
``<artifact>.sha256`` or ``SHA256SUMS``, and ``<artifact>.sigstore.json`` or ``.sigstore``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hephaestus.core.errors import UsageError, field_ref
from hephaestus.release.attest import verify_signature
from hephaestus.release.checksums import sha256_file, verify_checksum
from hephaestus.release.models import (
    ChecksumResult,
    ChecksumVerdict,
    SignatureResult,
    SignatureVerdict,
    VerifyReport,
)

if TYPE_CHECKING:
    from pathlib import Path


def _beside(artifact: Path, names: tuple[str, ...]) -> Path | None:
    return next((p for p in (artifact.with_name(n) for n in names) if p.is_file()), None)


def verify_local(  # noqa: PLR0913  # keyword-only: every piece of evidence named
    artifact: Path,
    *,
    manifest: Path | None = None,
    bundle: Path | None = None,
    identity: str | None = None,
    issuer: str | None = None,
    trust_root: Path | None = None,
) -> VerifyReport:
    """Verify ``artifact`` against its manifest and bundle; return what held.

    Raises:
        UsageError: the artifact is missing, or there is no manifest and no bundle to check
            against, or no identity is pinned for a bundle (exit 2).
        VerificationError: a check failed (exit 4).

    """
    if not artifact.is_file():
        raise UsageError(f"{artifact} is not a file", hint="name the downloaded artifact")
    name = artifact.name
    manifest = manifest or _beside(artifact, (f"{name}.sha256", "SHA256SUMS"))
    bundle = bundle or _beside(artifact, (f"{name}.sigstore.json", f"{name}.sigstore"))
    if manifest is None and bundle is None:
        raise UsageError(
            f"nothing to verify {name} against: no manifest and no bundle",
            hint=f"give {field_ref('manifest')} and/or {field_ref('bundle')}, or put them beside "
            "the artifact",
            code="no-evidence",
        )
    for given in (manifest, bundle):
        if given is not None and not given.is_file():
            raise UsageError(f"{given} is not a file", hint="check the path")
    sha256 = sha256_file(artifact)
    warnings = []
    checksum = ChecksumResult(verdict=ChecksumVerdict.skipped, manifest=None)
    if manifest is not None:
        text = manifest.read_text(encoding="utf-8", errors="replace")
        verify_checksum(text, name=name, sha256=sha256, source=manifest.name)
        checksum = ChecksumResult(verdict=ChecksumVerdict.verified, manifest=str(manifest))
    else:
        warnings.append("no checksum manifest: only the signature was checked")
    signature = SignatureResult(verdict=SignatureVerdict.missing)
    if bundle is not None:
        signature = verify_signature(
            sha256=sha256,
            bundle_data=bundle.read_bytes(),
            bundle_name=bundle.name,
            identity=identity,
            issuer=issuer,
            trust_root=trust_root,
        )
    else:
        warnings.append("no Sigstore bundle: the artifact's origin was not verified")
    return VerifyReport(
        artifact=str(artifact),
        size=artifact.stat().st_size,
        sha256=sha256,
        checksum=checksum,
        signature=signature,
        warnings=warnings,
    )
