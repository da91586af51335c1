"""Sigstore verification with the ``sigstore`` package, identity and issuer always pinned.

Verification is sigstore's own ``Verifier.verify_artifact``: signature, certificate chain to the
trust root, transparency-log inclusion and signed timestamp, and the certificate's identity and
issuer. Nothing here parses certificates to decide trust; :func:`signer_identity` reads the
(unverified) identity only to name it when none is pinned. A ``trust_root`` file verifies
offline against that trusted root; otherwise the production root is refreshed with TUF.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Final

from hephaestus.core.errors import ExternalError, UsageError, VerificationError, field_ref
from hephaestus.release.models import SignatureResult, SignatureVerdict

if TYPE_CHECKING:
    from pathlib import Path

    from sigstore.models import Bundle
    from sigstore.verify import Verifier

GITHUB_ACTIONS_ISSUER: Final = "https://token.actions.githubusercontent.com"
_ISSUER_OID: Final = "1.3.6.1.4.1.57264.1.8"  # Fulcio: issuer, DER UTF8String
_ISSUER_OID_V1: Final = "1.3.6.1.4.1.57264.1.1"  # Fulcio: issuer, raw bytes (deprecated)


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return " ".join(lines[0].split()) if lines else type(exc).__name__


def _der_utf8(value: bytes) -> str | None:
    """Decode a DER UTF8String (tag 0x0C), for display only."""
    if len(value) < 2 or value[0] != 0x0C:  # noqa: PLR2004  # tag and length
        return None
    length, start = value[1], 2
    if length & 0x80:
        start = 2 + (length & 0x7F)
        length = int.from_bytes(value[2:start], "big")
    return value[start : start + length].decode("utf-8", "replace")


def load_bundle(data: bytes, *, source: str) -> Bundle:
    """Parse a Sigstore bundle.

    Raises:
        VerificationError: the bundle is not a valid Sigstore bundle (exit 4).

    """
    from sigstore.errors import Error  # noqa: PLC0415  # sigstore: only when verifying
    from sigstore.models import Bundle  # noqa: PLC0415

    try:
        return Bundle.from_json(data)
    except (Error, ValueError, TypeError, KeyError) as exc:
        raise VerificationError(
            f"{source}: not a valid Sigstore bundle ({_one_line(exc)})",
            hint="the bundle is malformed or truncated: do not trust the artifact",
            code="bad-bundle",
        ) from exc


def signer_identity(bundle: Bundle) -> tuple[str | None, str | None]:
    """Return the (unverified) identity and issuer in the bundle's signing certificate."""
    from cryptography import x509  # noqa: PLC0415  # a sigstore dependency

    cert = bundle.signing_certificate
    identity = None
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = san.get_values_for_type(x509.UniformResourceIdentifier)
        names += san.get_values_for_type(x509.RFC822Name)
        identity = names[0] if names else None
    except x509.ExtensionNotFound:
        pass
    issuer = None
    for ext in cert.extensions:
        value = getattr(ext.value, "value", b"")
        if ext.oid.dotted_string == _ISSUER_OID:
            issuer = _der_utf8(value)
        elif ext.oid.dotted_string == _ISSUER_OID_V1 and issuer is None:
            issuer = value.decode("utf-8", "replace")
    return identity, issuer


def make_verifier(trust_root: Path | None) -> Verifier:
    """Return a verifier on ``trust_root`` (offline), else on the refreshed production root.

    Raises:
        UsageError: ``trust_root`` is not a readable Sigstore trusted root (exit 2).
        ExternalError: the production trust root could not be refreshed (exit 5).

    """
    from sigstore.errors import Error  # noqa: PLC0415
    from sigstore.models import TrustedRoot  # noqa: PLC0415
    from sigstore.verify import Verifier  # noqa: PLC0415

    if trust_root is not None:
        try:
            return Verifier(trusted_root=TrustedRoot.from_file(str(trust_root)))
        except (Error, OSError, ValueError) as exc:
            raise UsageError(
                f"{field_ref('trust_root')} {trust_root}: not a Sigstore trusted root "
                f"({_one_line(exc)})",
                hint="pass a trusted_root.json (e.g. from `sigstore` or the TUF repository)",
                code="bad-trust-root",
            ) from exc
    try:
        return Verifier.production()
    except Exception as exc:  # TUF and network errors of many kinds; re-raised as one
        raise ExternalError(
            f"cannot refresh the Sigstore trust root ({type(exc).__name__})",
            hint="check the network, or verify offline with a trusted_root.json as "
            f"{field_ref('trust_root')}",
            code="trust-root-unavailable",
        ) from exc


def _log_entry(data: bytes) -> tuple[int | None, int | None]:
    try:
        entry: Any = json.loads(data)["verificationMaterial"]["tlogEntries"][0]
        return int(entry["logIndex"]), int(entry["integratedTime"])
    except (ValueError, KeyError, IndexError, TypeError):
        return None, None


def require_pins(
    bundle: Bundle, *, bundle_name: str, identity: str | None, issuer: str | None
) -> tuple[str, str]:
    """Return the pinned identity and issuer, or raise naming the bundle's own.

    Raises:
        UsageError: identity or issuer is not pinned (exit 2); the message names the identity
            and issuer in the (still unverified) certificate, so the user can pin them knowingly.

    """
    if identity and issuer:
        return identity, issuer
    found, found_issuer = signer_identity(bundle)
    raise UsageError(
        f"no signer identity pinned; {bundle_name} is signed by {found!r} "
        f"(issuer {found_issuer!r})",
        hint="check that this is the release workflow you expect, then pin it with "
        f"{field_ref('identity')} and {field_ref('issuer')} (or identity/issuer in "
        "[tool.hephaestus.release])",
        code="identity-not-pinned",
    )


def verify_signature(  # noqa: PLR0913  # keyword-only: every pin is named at the call
    *,
    sha256: str,
    bundle_data: bytes,
    bundle_name: str,
    identity: str | None,
    issuer: str | None,
    trust_root: Path | None = None,
) -> SignatureResult:
    """Verify that ``bundle_data`` signs the file with SHA-256 ``sha256`` as identity+issuer.

    Raises:
        UsageError: no identity or issuer is pinned; the message names the certificate's (exit 2).
        VerificationError: the bundle is malformed or does not verify (exit 4).
        ExternalError: the trust root could not be loaded (exit 5).

    """
    from sigstore.errors import Error  # noqa: PLC0415
    from sigstore.hashes import Hashed  # noqa: PLC0415
    from sigstore.verify import policy  # noqa: PLC0415
    from sigstore_models.common.v1 import HashAlgorithm  # noqa: PLC0415

    bundle = load_bundle(bundle_data, source=bundle_name)
    identity, issuer = require_pins(
        bundle, bundle_name=bundle_name, identity=identity, issuer=issuer
    )
    verifier = make_verifier(trust_root)
    hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(sha256))
    try:
        verifier.verify_artifact(hashed, bundle, policy.Identity(identity=identity, issuer=issuer))
    except Error as exc:
        raise VerificationError(
            f"Sigstore verification of {bundle_name} failed: {_one_line(exc)}",
            hint="the signature, its certificate or the signer identity is not what was pinned: "
            "do not install",
            code="signature-invalid",
        ) from exc
    log_index, integrated = _log_entry(bundle_data)
    return SignatureResult(
        verdict=SignatureVerdict.verified,
        bundle=bundle_name,
        identity=identity,
        issuer=issuer,
        log_index=log_index,
        integrated_time=integrated,
    )


def sha256_bytes(data: bytes) -> str:
    """Return the hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()
