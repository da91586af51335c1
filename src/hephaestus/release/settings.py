"""``[tool.hephaestus.release]``: defaults of ``release`` and ``wheelhouse``."""

from __future__ import annotations

from pydantic import Field

from hephaestus.core.config import Section


class ReleaseSection(Section):
    """``[tool.hephaestus.release]``: defaults of ``hephaestus release`` and ``wheelhouse``."""

    repository: str | None = None
    """GitHub repository (OWNER/REPO) whose releases ``release install`` installs."""
    asset_pattern: str | None = None
    """Shell glob choosing the archive among the assets (default: the one .tar.gz, .tgz, .zip or
    .whl)."""
    manifest_pattern: str | None = None
    """Shell glob choosing the SHA-256 manifest (default: <archive>.sha256, SHA256SUMS or
    *.sha256)."""
    bundle_pattern: str | None = None
    """Shell glob choosing the Sigstore bundle (default: <archive>.sigstore.json or .sigstore)."""
    identity: str | None = None
    """Signer identity pinned for Sigstore verification (the certificate's SAN, e.g. a workflow
    URL with its ref); ``{tag}`` stands for the release's tag. No default: choose it knowingly."""
    issuer: str = "https://token.actions.githubusercontent.com"
    """OIDC issuer pinned for Sigstore verification."""
    require_sigstore: bool = False
    """Refuse a release without a Sigstore bundle (exit 4)."""
    trust_root: str | None = None
    """Sigstore trusted_root.json for offline verification, relative to the root."""
    api_url: str = Field(default="https://api.github.com", pattern=r"^https?://[^/\s]+")
    """GitHub REST API root, an http(s) URL (GitHub Enterprise: https://HOST/api/v3)."""
    destination: str = ".hephaestus/release"
    """Directory, relative to the root, receiving archives and extracted wheelhouses."""
    timeout: float = Field(default=30.0, gt=0)
    """Seconds to connect, between bytes, and for each whole request; a download may take
    this plus its size at 64 KiB/s."""
    max_retries: int = Field(default=4, ge=0)
    """Retries of a request after a connection error, 5xx, 429 or rate-limit 403."""
    max_wait: float = Field(default=120.0, ge=0)
    """Seconds all retry waits of one request may add up to; a longer wait is an error."""
    max_members: int = Field(default=20_000, ge=1)
    """Most members an archive may hold (archive bombs)."""
    max_extracted_mb: int = Field(default=2048, ge=1)
    """Most MiB an archive may unpack to (archive bombs)."""
