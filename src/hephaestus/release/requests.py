"""What callers give the release operations: one request model each, fields documented.

``None`` means "from ``[tool.hephaestus.release]``, else the documented default"; the operation's
``resolve`` applies that (:mod:`hephaestus.release.operation`). Relative paths are relative to
the caller's working directory. The GitHub token is a :class:`~pydantic.SecretStr`: shown as
``**********`` in reprs and dumps, never a schema default, and registered for redaction the
moment a request holds it.
"""

from __future__ import annotations

from pathlib import Path  # noqa: TC003  # pydantic reads it
from typing import Final

from pydantic import Field, SecretStr, field_validator

from hephaestus.core.logging import register_secret
from hephaestus.core.request import Request

CONFIGURED: Final = "(default: from [tool.hephaestus.release])"


class GitHubRequest(Request):
    """Where the releases live and how to reach them."""

    repository: str | None = Field(
        default=None, description=f"GitHub repository, OWNER/REPO {CONFIGURED}."
    )
    token: SecretStr | None = Field(
        default=None,
        description="GitHub token; never shown or stored (default: the GITHUB_TOKEN environment "
        "variable, then GH_TOKEN; none for a public repository).",
    )
    api_url: str | None = Field(
        default=None, description=f"GitHub REST API root, an http(s) URL {CONFIGURED}."
    )
    timeout: float | None = Field(
        default=None,
        gt=0,
        description=f"Seconds per whole request; a download adds 1 s per 64 KiB {CONFIGURED}.",
    )
    max_retries: int | None = Field(
        default=None, ge=0, description=f"Retries of a failed request {CONFIGURED}."
    )

    @field_validator("token")
    @classmethod
    def _redacted_from_now_on(cls, value: SecretStr | None) -> SecretStr | None:
        """Have every log line, error and crash file hide the token from the moment it arrives."""
        if value is not None:
            register_secret(value.get_secret_value())
        return value


class PinsRequest(Request):
    """Whom a Sigstore bundle must name as its signer, and which trust root to check it on."""

    identity: str | None = Field(
        default=None,
        description="Signer identity to pin (the certificate's SAN); {tag} stands for the "
        f"release's tag {CONFIGURED}.",
    )
    issuer: str | None = Field(default=None, description=f"OIDC issuer to pin {CONFIGURED}.")
    trust_root: Path | None = Field(
        default=None,
        description="Sigstore trusted_root.json: verify offline (default: the configured one, "
        "relative to the repository root, else Sigstore's production root, fetched).",
    )


class InstallRequest(GitHubRequest, PinsRequest):
    """A release to download and verify, and how its wheelhouse would be installed."""

    tag: str | None = Field(default=None, description="Release tag (default: the latest).")
    asset_pattern: str | None = Field(
        default=None, description=f"Shell glob choosing the archive {CONFIGURED}."
    )
    manifest_pattern: str | None = Field(
        default=None, description=f"Shell glob choosing the SHA-256 manifest {CONFIGURED}."
    )
    bundle_pattern: str | None = Field(
        default=None, description=f"Shell glob choosing the Sigstore bundle {CONFIGURED}."
    )
    destination: Path | None = Field(
        default=None,
        description="Directory receiving the archive and the wheelhouse (default: the "
        "configured destination below the repository root, made when needed).",
    )
    python: str | None = Field(
        default=None,
        description="Interpreter whose environment receives the wheels (default: the one "
        "running hephaestus).",
    )
    pip_args: tuple[str, ...] = Field(
        default=(),
        description="Extra installer arguments that only change how the wheels are installed "
        "(dependencies, target directory, verbosity); any that could add a package source "
        "is refused.",
    )
    require_sigstore: bool | None = Field(
        default=None, description=f"Refuse a release without a Sigstore bundle {CONFIGURED}."
    )
    allow_unsigned: bool = Field(
        default=False, description="Install even without a checksum manifest (unverified)."
    )
    upgrade: bool = Field(default=True, description="Have the installer upgrade what is there.")


class InstallRunRequest(InstallRequest):
    """An install that changes things: what may be replaced, and the plan it must match."""

    overwrite: bool = Field(
        default=False, description="Replace an existing archive and wheelhouse."
    )
    remove_archive: bool = Field(default=False, description="Delete the archive after installing.")
    plan_id: str | None = Field(
        default=None,
        description="plan_id of the release_install_plan to carry out; refused if the release, "
        "its archive or the options changed since (default: no check).",
    )


class VerifyRequest(PinsRequest):
    """A local file and the evidence to check it against."""

    artifact: Path = Field(description="The file to verify.")
    manifest: Path | None = Field(
        default=None,
        description="SHA-256 manifest (default: ARTIFACT.sha256 or SHA256SUMS beside it).",
    )
    bundle: Path | None = Field(
        default=None,
        description="Sigstore bundle (default: ARTIFACT.sigstore.json or .sigstore beside it).",
    )


class BackfillRequest(GitHubRequest):
    """Which releases get their missing manifest and bundle."""

    tags: tuple[str, ...] = Field(default=(), description="Release tags (default: every one).")
    dry_run: bool = Field(
        default=False, description="List what is missing; download, sign and upload nothing."
    )
    upload_url: str | None = Field(
        default=None, description="Upload API root (default: the one the release names)."
    )
