"""Choose the archive, its manifest and its bundle among a release's assets.

Exactly one archive: a wheelhouse ``.tar.gz``/``.tgz``/``.zip`` or a single ``.whl``. The manifest
is ``<archive>.sha256``, ``SHA256SUMS`` or another ``*.sha256``; the bundle is
``<archive>.sigstore.json`` or ``<archive>.sigstore``. Patterns (shell globs) narrow each choice.
Asset names come from the network, so :func:`safe_name` checks them before they touch the disk.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Final

from hephaestus.core.errors import UsageError, VerificationError, field_ref
from hephaestus.release.models import Asset, SelectedAssets

if TYPE_CHECKING:
    from collections.abc import Sequence

ARCHIVE_SUFFIXES: Final = (".tar.gz", ".tgz", ".zip", ".whl")
MANIFEST_NAMES: Final = ("SHA256SUMS",)
BUNDLE_SUFFIXES: Final = (".sigstore.json", ".sigstore")
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,254}")


def safe_name(name: str) -> str:
    """Return ``name`` if it is a plain file name safe on any disk; else raise.

    Raises:
        VerificationError: the name holds a separator, ``..``, a control character or anything
            but letters, digits and ``._+-`` (exit 4: the release is not what it should be).

    """
    if not _SAFE.fullmatch(name) or ".." in name:
        raise VerificationError(
            f"refusing the asset name {name!r}: not a plain file name",
            hint="asset names may hold only letters, digits and . _ + -",
            code="unsafe-asset-name",
        )
    return name


def is_archive(name: str) -> bool:
    """Return whether ``name`` is an installable archive or wheel."""
    return name.endswith(ARCHIVE_SUFFIXES)


def _one(matches: Sequence[Asset], what: str, field: str) -> Asset | None:
    if len(matches) > 1:
        names = ", ".join(a.name for a in matches)
        raise UsageError(
            f"{len(matches)} assets match the {what}: {names}",
            hint=f"narrow it with {field_ref(field)}",
            code="ambiguous-asset",
        )
    return matches[0] if matches else None


def select_assets(
    assets: Sequence[Asset],
    *,
    asset_pattern: str | None = None,
    manifest_pattern: str | None = None,
    bundle_pattern: str | None = None,
) -> SelectedAssets:
    """Pick the archive, the manifest and the bundle of a release.

    Raises:
        UsageError: no archive, or several assets match one role (their names are listed).
        VerificationError: a chosen asset's name is not a safe file name.

    """
    archives = [
        a
        for a in assets
        if is_archive(a.name) and (asset_pattern is None or fnmatchcase(a.name, asset_pattern))
    ]
    archive = _one(archives, "archive pattern", "asset_pattern")
    if archive is None:
        listed = ", ".join(a.name for a in assets) or "none"
        raise UsageError(
            "the release has no archive to install (.tar.gz, .tgz, .zip or .whl"
            + (f" matching {asset_pattern!r}" if asset_pattern else "")
            + f"); its assets: {listed}",
            hint=f"choose one with {field_ref('asset_pattern')}, or another {field_ref('tag')}",
            code="no-archive",
        )
    safe_name(archive.name)
    rest = [a for a in assets if a is not archive]
    if manifest_pattern:
        manifests = [a for a in rest if fnmatchcase(a.name, manifest_pattern)]
    else:
        manifests = [a for a in rest if a.name == f"{archive.name}.sha256"]
        manifests = manifests or [a for a in rest if a.name in MANIFEST_NAMES]
        manifests = manifests or [a for a in rest if a.name.endswith(".sha256")]
    if bundle_pattern:
        bundles = [a for a in rest if fnmatchcase(a.name, bundle_pattern)]
    else:
        bundles = [a for a in rest if a.name in {archive.name + s for s in BUNDLE_SUFFIXES}]
    manifest = _one(manifests, "manifest pattern", "manifest_pattern")
    bundle = _one(bundles, "bundle pattern", "bundle_pattern")
    for chosen in (manifest, bundle):
        if chosen is not None:
            safe_name(chosen.name)
    return SelectedAssets(archive=archive, manifest=manifest, bundle=bundle)
