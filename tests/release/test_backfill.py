"""Backfill: manifests and bundles for old releases; signing is the one thing mocked."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

import pytest

from hephaestus.core.errors import ExternalError
from hephaestus.release.backfill import ambient_signer, backfill_releases
from hephaestus.release.checksums import verify_checksum
from hephaestus.release.github import GitHub
from hephaestus.release.models import BackfillReport

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.release.standin import StandIn

DATA = b"an old wheelhouse" * 1000


class FakeSigner:
    """Stands in for Sigstore's signing services (Fulcio, Rekor), which cannot exist here."""

    def __init__(self) -> None:
        self.signed: list[str] = []

    def __call__(self) -> Callable[[str], bytes]:
        """Return a signer that records what it signed and returns a placeholder bundle."""

        def sign(sha256: str) -> bytes:
            self.signed.append(sha256)
            return json.dumps({"fake-bundle-for": sha256}).encode()

        return sign


def test_backfill_uploads_what_is_missing(standin: StandIn, tmp_path: Path) -> None:
    """Missing manifest and bundle are written, signed, uploaded and recorded."""
    standin.add_release("v0.9", {"w.tar.gz": DATA})
    signer = FakeSigner()
    inventory = tmp_path / "state" / "backfill.json"
    with GitHub(api_url=standin.api_url) as github:
        report = backfill_releases(
            github, repository=standin.repository, sign=signer, inventory=inventory
        )
    digest = hashlib.sha256(DATA).hexdigest()
    assert signer.signed == [digest]
    entry = report.entries[0]
    assert entry.action == "backfilled"
    assert entry.uploaded == ["w.tar.gz.sha256", "w.tar.gz.sigstore.json"]
    assets = {a["name"]: a["id"] for a in standin.releases[0]["assets"]}
    manifest = standin.blobs[assets["w.tar.gz.sha256"]][1].decode()
    verify_checksum(manifest, name="w.tar.gz", sha256=digest)
    assert BackfillReport.model_validate_json(inventory.read_text()) == report
    assert report.inventory == str(inventory)


def test_complete_releases_are_left_alone(standin: StandIn, tmp_path: Path) -> None:
    """A release with manifest and bundle: nothing downloaded, signed or uploaded."""
    standin.add_release("v1", {"w.zip": b"z", "w.zip.sha256": b"m", "w.zip.sigstore.json": b"b"})
    signer = FakeSigner()
    with GitHub(api_url=standin.api_url) as github:
        report = backfill_releases(
            github, repository=standin.repository, tags=["v1"], sign=signer,
            inventory=tmp_path / "inv.json",
        )  # fmt: skip
    assert report.entries[0].action == "complete"
    assert signer.signed == []
    assert not standin.requests("objects")


def test_dry_run_writes_nothing(standin: StandIn, tmp_path: Path) -> None:
    """--dry-run lists what would be uploaded; no download, no signing, no file, no upload."""
    standin.add_release("v1", {"w.zip": b"z", "w.zip.sha256": b"m"})
    signer = FakeSigner()
    inventory = tmp_path / "inv.json"
    with GitHub(api_url=standin.api_url) as github:
        report = backfill_releases(
            github, repository=standin.repository, dry_run=True, sign=signer, inventory=inventory
        )
    assert report.entries[0].action == "would-backfill"
    assert report.entries[0].uploaded == ["w.zip.sigstore.json"]
    assert not inventory.exists()
    assert signer.signed == []
    assert all(r.method == "GET" for r in standin.log)
    assert not standin.requests("objects")


def test_signing_failure_uploads_nothing(standin: StandIn, tmp_path: Path) -> None:
    """If signing fails, neither the manifest nor the bundle is uploaded."""
    standin.add_release("v1", {"w.zip": b"z"})

    def broken() -> Callable[[str], bytes]:
        def sign(sha256: str) -> bytes:
            raise ExternalError(f"Fulcio refused {sha256[:8]}")

        return sign

    with GitHub(api_url=standin.api_url) as github, pytest.raises(ExternalError):
        backfill_releases(
            github, repository=standin.repository, sign=broken, inventory=tmp_path / "i.json"
        )
    assert not [r for r in standin.log if r.method == "POST"]
    assert not (tmp_path / "i.json").exists()


def test_no_ambient_identity_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside CI there is no identity to sign with: a clear exit-5 error."""
    for name in (
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "SIGSTORE_ID_TOKEN",
        "GITHUB_ACTIONS",
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ExternalError, match="no ambient OIDC identity"):
        ambient_signer()
