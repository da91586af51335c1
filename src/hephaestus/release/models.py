"""Typed inputs and results of the release operations: what was found, checked and installed."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Asset(_Frozen):
    """One asset of a GitHub release, as the REST API describes it."""

    id: int
    name: str
    size: int = Field(ge=0, description="Bytes, as the API states them.")
    digest: str | None = Field(default=None, description="GitHub's 'sha256:<hex>', if given.")
    url: str = Field(description="API URL of the asset (downloaded as application/octet-stream).")


class Release(_Frozen):
    """A GitHub release and its assets."""

    id: int
    tag: str
    name: str | None = None
    upload_url: str | None = Field(default=None, description="Upload URL template of the API.")
    assets: list[Asset]


class SelectedAssets(_Frozen):
    """The archive to install and the files that vouch for it."""

    archive: Asset
    manifest: Asset | None = Field(description="SHA-256 manifest (GNU coreutils format).")
    bundle: Asset | None = Field(description="Sigstore bundle of the archive.")


class ChecksumVerdict(StrEnum):
    """What the manifest check concluded."""

    verified = "verified"
    """The manifest names the file and its SHA-256 matches."""
    skipped = "skipped"
    """No manifest was checked (only with ``allow_unsigned``): the archive is unverified."""


class ChecksumResult(_Frozen):
    """The manifest check of one file."""

    verdict: ChecksumVerdict
    manifest: str | None = Field(description="Name of the manifest checked, or null.")


class SignatureVerdict(StrEnum):
    """What the Sigstore check concluded."""

    verified = "verified"
    """The bundle's signature, certificate chain, transparency-log entry and identity verified."""
    missing = "missing"
    """There was no bundle (allowed because Sigstore was not required): a warning."""


class SignatureResult(_Frozen):
    """The Sigstore check of one file."""

    verdict: SignatureVerdict
    bundle: str | None = Field(default=None, description="Name of the bundle checked, or null.")
    identity: str | None = Field(default=None, description="Pinned signer identity (SAN).")
    issuer: str | None = Field(default=None, description="Pinned OIDC issuer.")
    log_index: int | None = Field(default=None, description="Rekor transparency-log index.")
    integrated_time: int | None = Field(
        default=None, description="When the log recorded the entry (Unix seconds)."
    )


class InstallPlan(_Frozen):
    """What the offline install installs, into which interpreter, with which command."""

    wheelhouse: str
    source: str = Field(description="'requirements file <name>' or 'top-level wheels'.")
    requirements: list[str] = Field(description="Requirement strings passed to the installer.")
    wheels: list[str] = Field(description="Every wheel in the wheelhouse.")
    python: str = Field(default="", description="The interpreter whose environment receives them.")
    installer: str = Field(default="pip", description="'uv' (uv pip install) or 'pip'.")
    command: list[str] = Field(description="The install command line (argv; never a shell).")
    installed: bool = Field(description="Whether the command ran and succeeded.")


class Timings(_Frozen):
    """Seconds each step took."""

    lookup: float = 0.0
    download: float = 0.0
    verify: float = 0.0
    extract: float = 0.0
    install: float = 0.0


class InstallReport(_Frozen):
    """Everything ``release install`` did: the release, the checks, the installation."""

    repository: str
    tag: str
    asset: str
    size: int
    sha256: str
    checksum: ChecksumResult
    signature: SignatureResult
    wheelhouse: str | None = Field(description="Extracted wheelhouse (null on a dry run).")
    archive: str | None = Field(description="Downloaded archive kept on disk, or null.")
    install: InstallPlan | None = Field(description="The pip plan (null: nothing to plan).")
    dry_run: bool
    warnings: list[str] = Field(description="Checks skipped or missing, stated loudly.")
    timings: Timings
    plan_id: str = Field(
        default="",
        description="Digest of the release, the archive's SHA-256, the destination and the "
        "interpreter: an install given the plan_id of a dry run refuses if it differs.",
    )


class VerifyReport(_Frozen):
    """What ``release verify`` checked about one local file."""

    artifact: str
    size: int
    sha256: str
    checksum: ChecksumResult
    signature: SignatureResult
    warnings: list[str]


class BackfillAction(StrEnum):
    """What backfill did (or would do) for one release."""

    complete = "complete"
    """It already has a manifest and a bundle: left alone."""
    backfilled = "backfilled"
    would_backfill = "would-backfill"
    """Dry run: it lacks a manifest or a bundle."""


class BackfillEntry(_Frozen):
    """One release in the backfill inventory."""

    tag: str
    archive: str
    action: BackfillAction
    sha256: str | None = None
    uploaded: list[str] = Field(default_factory=list, description="Asset names uploaded.")


class BackfillReport(_Frozen):
    """The inventory of one backfill run (also written to .hephaestus/release/)."""

    repository: str
    dry_run: bool
    entries: list[BackfillEntry]
    inventory: str | None = Field(description="Inventory file written, or null on a dry run.")


class SanitizeReport(_Frozen):
    """OS cruft found in (and, unless a dry run, removed from) a wheelhouse."""

    directory: str
    cruft: list[str] = Field(description="Paths relative to the directory.")
    dry_run: bool
    plan_id: str = Field(
        default="",
        description="Digest of the directory and its cruft: a sanitize given the plan_id of a "
        "dry run refuses to remove anything if it differs.",
    )


class WheelCheck(_Frozen):
    """The RECORD check of one wheel."""

    wheel: str
    problems: list[str] = Field(description="Files whose hash or size disagrees, and why.")


class WheelhouseReport(_Frozen):
    """``wheelhouse verify``: cruft and the RECORD check of every wheel."""

    directory: str
    cruft: list[str]
    wheels: list[WheelCheck]

    @property
    def clean(self) -> bool:
        """Whether there is no cruft and every wheel's RECORD holds."""
        return not self.cruft and not any(w.problems for w in self.wheels)
