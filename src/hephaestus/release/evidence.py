"""The evidence for an archive: its manifest and bundle, fetched, required and checked.

Missing evidence is policy, decided before anything large is downloaded: no manifest needs
``allow_unsigned``, no bundle is a warning unless ``require_sigstore``. A bundle with no
pinned identity stops the install at once (exit 2), naming the signer it claims.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from hephaestus.core.errors import VerificationError, field_ref
from hephaestus.release.attest import load_bundle, require_pins, verify_signature
from hephaestus.release.checksums import verify_checksum
from hephaestus.release.download import download_asset
from hephaestus.release.models import (
    Asset,
    ChecksumResult,
    ChecksumVerdict,
    SelectedAssets,
    SignatureResult,
    SignatureVerdict,
)

if TYPE_CHECKING:
    from hephaestus.release.github import GitHub
    from hephaestus.release.options import InstallOptions

UNSIGNED_WARNING = (
    f"NO CHECKSUM MANIFEST: the archive was installed unverified ({field_ref('allow_unsigned')})"
)
NO_BUNDLE_WARNING = "no Sigstore bundle: the archive's origin was not verified"
SMALL_ASSET = 1 << 20
Evidence = tuple[bytes | None, bytes | None]
"""The manifest's and the bundle's bytes (None: the release has none)."""


def check_policy(selected: SelectedAssets, options: InstallOptions) -> list[str]:
    """Refuse missing evidence before anything is downloaded; return the warnings to state.

    Raises:
        VerificationError: no manifest without ``allow_unsigned``, or no bundle with
            ``require_sigstore`` (exit 4).

    """
    warnings = []
    if selected.manifest is None:
        if not options.allow_unsigned:
            raise VerificationError(
                f"the release has no SHA-256 manifest for {selected.archive.name}",
                hint=f"installing unverified code takes {field_ref('allow_unsigned')} "
                "(not recommended)",
                code="checksum-missing",
            )
        warnings.append(UNSIGNED_WARNING)
    if selected.bundle is None:
        if options.require_sigstore:
            raise VerificationError(
                f"the release has no Sigstore bundle for {selected.archive.name}",
                hint=f"{field_ref('require_sigstore')} (or require-sigstore in the config) "
                "demands one",
                code="signature-missing",
            )
        warnings.append(NO_BUNDLE_WARNING)
    return warnings


def fetch_small(github: GitHub, asset: Asset | None) -> bytes | None:
    """Download a manifest or bundle into memory (at most 1 MiB), or None if there is none."""
    if asset is None:
        return None
    if asset.size > SMALL_ASSET:
        raise VerificationError(
            f"{asset.name} is {asset.size} bytes: too large for a manifest or bundle",
            hint=f"choose the right asset with {field_ref('manifest_pattern')} or "
            f"{field_ref('bundle_pattern')}",
            code="asset-too-large",
        )
    with tempfile.TemporaryDirectory(prefix="hephaestus-") as scratch:
        done = download_asset(github, asset, directory=Path(scratch))
        return done.path.read_bytes()


def fetch_evidence(github: GitHub, selected: SelectedAssets, options: InstallOptions) -> Evidence:
    """Fetch manifest and bundle; with a bundle but no pins, stop now (exit 2)."""
    manifest, bundle = fetch_small(github, selected.manifest), fetch_small(github, selected.bundle)
    if bundle is not None and selected.bundle is not None:
        require_pins(
            load_bundle(bundle, source=selected.bundle.name),
            bundle_name=selected.bundle.name,
            identity=options.identity,
            issuer=options.issuer,
        )
    return manifest, bundle


def verify_evidence(
    options: InstallOptions,
    selected: SelectedAssets,
    sha256: str,
    evidence: Evidence,
) -> tuple[ChecksumResult, SignatureResult]:
    """Check the archive's digest against the manifest and the bundle that are present.

    Raises:
        VerificationError: a mismatch, a missing entry or a failed signature (exit 4).
        UsageError: a bundle but no pinned identity (exit 2).

    """
    manifest, bundle = evidence
    checksum = ChecksumResult(verdict=ChecksumVerdict.skipped, manifest=None)
    if manifest is not None and selected.manifest is not None:
        source = selected.manifest.name
        verify_checksum(
            manifest.decode("utf-8", "replace"),
            name=selected.archive.name,
            sha256=sha256,
            source=source,
        )
        checksum = ChecksumResult(verdict=ChecksumVerdict.verified, manifest=source)
    signature = SignatureResult(verdict=SignatureVerdict.missing)
    if bundle is not None and selected.bundle is not None:
        signature = verify_signature(
            sha256=sha256,
            bundle_data=bundle,
            bundle_name=selected.bundle.name,
            identity=options.identity,
            issuer=options.issuer,
            trust_root=options.trust_root,
        )
    return checksum, signature
