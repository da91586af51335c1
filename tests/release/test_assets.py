"""Choosing the archive, manifest and bundle among a release's assets."""

from __future__ import annotations

import pytest

from hephaestus.core.errors import UsageError, VerificationError
from hephaestus.release.assets import safe_name, select_assets
from hephaestus.release.models import Asset


def _assets(*names: str) -> list[Asset]:
    return [Asset(id=i, name=n, size=1, url=f"https://x/{i}") for i, n in enumerate(names)]


def test_defaults_pick_archive_manifest_and_bundle() -> None:
    """<archive>.sha256 and <archive>.sigstore.json belong to the one archive."""
    chosen = select_assets(_assets("w.tar.gz", "w.tar.gz.sha256", "w.tar.gz.sigstore.json"))
    assert chosen.archive.name == "w.tar.gz"
    assert chosen.manifest is not None
    assert chosen.manifest.name == "w.tar.gz.sha256"
    assert chosen.bundle is not None
    assert chosen.bundle.name == "w.tar.gz.sigstore.json"


def test_sha256sums_and_sigstore_suffix() -> None:
    """SHA256SUMS is a manifest; <archive>.sigstore is a bundle; a single wheel is an archive."""
    chosen = select_assets(
        _assets("p-1.0-py3-none-any.whl", "SHA256SUMS", "p-1.0-py3-none-any.whl.sigstore")
    )
    assert chosen.manifest is not None
    assert chosen.manifest.name == "SHA256SUMS"
    assert chosen.bundle is not None


def test_several_archives_need_a_pattern() -> None:
    """Two archives: exit 2 naming both; --asset-pattern settles it."""
    assets = _assets("a.tar.gz", "b.zip", "b.zip.sha256")
    with pytest.raises(UsageError, match=r"2 assets match.*a\.tar\.gz, b\.zip"):
        select_assets(assets)
    chosen = select_assets(assets, asset_pattern="b.*")
    assert chosen.archive.name == "b.zip"
    assert chosen.manifest is not None


def test_no_archive() -> None:
    """No installable asset: exit 2 listing what there is."""
    with pytest.raises(UsageError, match=r"its assets: notes\.txt"):
        select_assets(_assets("notes.txt"))


def test_patterns_for_manifest_and_bundle() -> None:
    """Explicit patterns choose the manifest and bundle; nothing found means none."""
    chosen = select_assets(
        _assets("w.zip", "sums.txt", "sig.json"),
        manifest_pattern="sums.*",
        bundle_pattern="*.json",
    )
    assert chosen.manifest is not None
    assert chosen.manifest.name == "sums.txt"
    assert chosen.bundle is not None
    assert select_assets(_assets("w.zip")).bundle is None


@pytest.mark.parametrize("name", ["../x.tar.gz", "a/b.tar.gz", ".hidden.tar.gz", "x\n.tar.gz", ""])
def test_unsafe_names(name: str) -> None:
    """Asset names that are not plain file names are refused before touching the disk."""
    with pytest.raises(VerificationError):
        safe_name(name)
