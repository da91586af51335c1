"""Sigstore verification with the real bundles of tests/release/data/sigstore, offline."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


import pytest
from tests.release.fixtures import BEACON_ID, GHA_ISSUER, SIGSTORE, TRUST_ROOT

from hephaestus.core.errors import ExternalError, UsageError, VerificationError
from hephaestus.release.attest import load_bundle, signer_identity, verify_signature
from hephaestus.release.checksums import sha256_file
from hephaestus.release.models import SignatureVerdict

GOOD = sha256_file(SIGSTORE / "a.txt")
TAMPERED = sha256_file(SIGSTORE / "a.txt.tampered")
BUNDLE = (SIGSTORE / "a.txt.sigstore.json").read_bytes()
BAD_SIGNATURE = (SIGSTORE / "a.txt.bad-signature.sigstore.json").read_bytes()


def _verify(**change: object) -> object:
    arguments: dict[str, object] = {
        "sha256": GOOD,
        "bundle_data": BUNDLE,
        "bundle_name": "a.txt.sigstore.json",
        "identity": BEACON_ID,
        "issuer": GHA_ISSUER,
        "trust_root": TRUST_ROOT,
    }
    arguments.update(change)
    return verify_signature(**arguments)  # type: ignore[arg-type]


def test_the_real_bundle_verifies() -> None:
    """a.txt with its bundle, identity and issuer pinned, offline trust root: verified."""
    result = _verify()
    assert result.verdict is SignatureVerdict.verified  # type: ignore[attr-defined]
    assert result.identity == BEACON_ID  # type: ignore[attr-defined]
    assert result.issuer == GHA_ISSUER  # type: ignore[attr-defined]
    assert result.log_index == 79571823  # type: ignore[attr-defined]
    assert result.integrated_time == 1710869186  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "change",
    [
        {"sha256": TAMPERED},
        {"identity": BEACON_ID.replace("main", "evil")},
        {
            "identity": "https://github.com/example-org/hephaestus/.github/workflows/r.yml@refs/tags/v1"
        },
        {"issuer": "https://accounts.google.com"},
        {"bundle_data": BAD_SIGNATURE},
    ],
    ids=["tampered", "other-ref", "other-identity", "other-issuer", "bad-signature"],
)
def test_what_does_not_verify(change: dict[str, object]) -> None:
    """Each row of the testdata README that must fail raises VerificationError (exit 4)."""
    with pytest.raises(VerificationError) as info:
        _verify(**change)
    assert info.value.code == "signature-invalid"
    assert "\n" not in info.value.message


@pytest.mark.parametrize("data", [b"{}", b"[]", b"not json", b"", BUNDLE[: len(BUNDLE) // 2]])
def test_malformed_bundles(data: bytes) -> None:
    """Malformed bundles are exit-4 errors too (sigstore raises InvalidBundle, not a crash)."""
    with pytest.raises(VerificationError) as info:
        _verify(bundle_data=data)
    assert info.value.code == "bad-bundle"


@pytest.mark.parametrize("missing", ["identity", "issuer"])
def test_no_pin_names_the_signer(missing: str) -> None:
    """Without identity (or issuer) pinned: exit 2, naming what the certificate claims."""
    with pytest.raises(UsageError) as info:
        _verify(**{missing: None})
    assert info.value.code == "identity-not-pinned"
    assert BEACON_ID in info.value.message
    assert GHA_ISSUER in info.value.message


def test_signer_identity_reads_san_and_issuer() -> None:
    """The identity shown is the certificate's SAN URI and Fulcio issuer extension."""
    assert signer_identity(load_bundle(BUNDLE, source="b")) == (BEACON_ID, GHA_ISSUER)


def test_a_bad_trust_root_is_a_usage_error(tmp_path: Path) -> None:
    """--trust-root that is not a trusted root: exit 2 naming the file."""
    bad = tmp_path / "root.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(UsageError, match="not a Sigstore trusted root"):
        _verify(trust_root=bad)


def test_online_trust_root_unreachable_is_external(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --trust-root the production root is refreshed; unreachable, that is exit 5."""
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    with pytest.raises(ExternalError, match="cannot refresh the Sigstore trust root"):
        _verify(trust_root=None)
