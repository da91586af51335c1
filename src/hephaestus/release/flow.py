"""``release install`` and ``release verify``: the steps in order, each its own function.

Look up the release, select its assets, fetch the manifest and bundle, download the archive,
verify the checksum, verify the signature, extract, install offline. Everything written is
staged under a hidden name in the destination and removed if any later step fails; only a
complete success leaves the wheelhouse (and, unless asked otherwise, the archive) behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hephaestus.core.errors import UsageError, VerificationError
from hephaestus.core.events import Event
from hephaestus.core.fs import remove_path
from hephaestus.core.logging import get_logger
from hephaestus.core.progress import NO_PROGRESS, Progress
from hephaestus.release.assets import select_assets
from hephaestus.release.attest import load_bundle, require_pins, verify_signature
from hephaestus.release.checksums import verify_checksum
from hephaestus.release.download import download_asset
from hephaestus.release.extract import Limits, extract_archive
from hephaestus.release.install import plan_install, run_install
from hephaestus.release.models import (
    Asset,
    ChecksumResult,
    ChecksumVerdict,
    InstallPlan,
    InstallReport,
    SelectedAssets,
    SignatureResult,
    SignatureVerdict,
    Timings,
)
from hephaestus.release.wheelhouse import sanitize

if TYPE_CHECKING:
    from collections.abc import Iterator

    from hephaestus.release.github import GitHub

_log = get_logger(__name__)
UNSIGNED_WARNING = "NO CHECKSUM MANIFEST: the archive was installed unverified (--allow-unsigned)"
NO_BUNDLE_WARNING = "no Sigstore bundle: the archive's origin was not verified"
SMALL_ASSET = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallOptions:
    """Everything ``release install`` needs besides the GitHub client."""

    repository: str
    destination: Path
    python: str
    tag: str | None = None
    asset_pattern: str | None = None
    manifest_pattern: str | None = None
    bundle_pattern: str | None = None
    identity: str | None = None
    issuer: str | None = None
    trust_root: Path | None = None
    require_sigstore: bool = False
    allow_unsigned: bool = False
    overwrite: bool = False
    remove_archive: bool = False
    upgrade: bool = True
    dry_run: bool = False
    pip_args: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)


def archive_stem(name: str) -> str:
    """Return the wheelhouse directory name of an archive (its name without the suffix)."""
    for suffix in (".tar.gz", ".tgz", ".zip", ".whl"):
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


def with_tag(options: InstallOptions, tag: str) -> InstallOptions:
    """Fill ``{tag}`` in the pinned identity: a release workflow's identity names its tag ref.

    The tag asked for (or else the release found) is used, so one configured identity pins
    every release of the workflow, and a bundle made for another tag does not verify.
    """
    if options.identity is None or "{tag}" not in options.identity:
        return options
    return dataclasses.replace(options, identity=options.identity.replace("{tag}", tag))


def check_policy(selected: SelectedAssets, options: InstallOptions) -> list[str]:
    """Refuse missing evidence before anything is downloaded; return the warnings to state.

    Raises:
        VerificationError: no manifest without --allow-unsigned, or no bundle with
            --require-sigstore (exit 4).

    """
    warnings = []
    if selected.manifest is None:
        if not options.allow_unsigned:
            raise VerificationError(
                f"the release has no SHA-256 manifest for {selected.archive.name}",
                hint="installing unverified code takes --allow-unsigned (not recommended)",
                code="checksum-missing",
            )
        warnings.append(UNSIGNED_WARNING)
    if selected.bundle is None:
        if options.require_sigstore:
            raise VerificationError(
                f"the release has no Sigstore bundle for {selected.archive.name}",
                hint="--require-sigstore (or require-sigstore in the config) demands one",
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
            hint="choose the right asset with --manifest-pattern or --bundle-pattern",
            code="asset-too-large",
        )
    with tempfile.TemporaryDirectory(prefix="hephaestus-") as scratch:
        done = download_asset(github, asset, directory=Path(scratch))
        return done.path.read_bytes()


@contextlib.contextmanager
def _staged(paths: list[Path]) -> Iterator[None]:
    """Remove every path in ``paths`` if the block fails (``paths`` may grow inside it)."""
    try:
        yield
    except BaseException:
        for path in reversed(paths):
            remove_path(path)
        raise


def _check_destination(
    destination: Path, target: Path, archive: Path, options: InstallOptions
) -> None:
    if not destination.is_dir():
        raise UsageError(
            f"--destination {destination} is not a directory", hint="create it, or choose another"
        )
    for path in (target, *(() if options.remove_archive else (archive,))):
        if path.exists() and not options.overwrite and not options.dry_run:
            raise UsageError(
                f"{path} already exists", hint="pass --overwrite to replace it", code="exists"
            )


def _verify(
    options: InstallOptions,
    selected: SelectedAssets,
    sha256: str,
    evidence: tuple[bytes | None, bytes | None],
) -> tuple[ChecksumResult, SignatureResult]:
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


def _plan(wheelhouse: Path, options: InstallOptions) -> InstallPlan:
    return plan_install(
        wheelhouse, python=options.python, pip_args=options.pip_args, upgrade=options.upgrade
    )


def _move_into_place(staging: Path, target: Path) -> Path | None:
    """Rename ``staging`` to ``target``; an existing ``target`` is kept aside and returned."""
    backup = None
    if target.exists():
        backup = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.old")
        target.rename(backup)
    staging.rename(target)
    return backup


def _fetch_evidence(
    github: GitHub, selected: SelectedAssets, options: InstallOptions
) -> tuple[bytes | None, bytes | None]:
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


def _install(staging: Path, target: Path, options: InstallOptions) -> InstallPlan:
    """Move the wheelhouse into place and install from it; on failure put back what was there."""
    backup = _move_into_place(staging, target)
    try:
        plan = run_install(_plan(target, options))
    except BaseException:
        remove_path(target)
        if backup is not None:
            backup.rename(target)
        raise
    if backup is not None:
        remove_path(backup)
    return plan


def install_release(  # one straight line of steps, each timed
    github: GitHub, *, options: InstallOptions, progress: Progress = NO_PROGRESS
) -> InstallReport:
    """Install a release's wheelhouse after verifying it; see the module docstring.

    Raises:
        UsageError: bad options, ambiguous assets, no identity pinned (exit 2).
        VerificationError: checksum, signature, size, digest or archive check failed (exit 4).
        ExternalError: GitHub, the network or pip failed (exit 5).

    """
    clock = time.perf_counter
    started = clock()
    progress.note("looking up the release")
    release = github.get_release(options.repository, options.tag)
    options = with_tag(options, options.tag or release.tag)
    selected = select_assets(
        release.assets,
        asset_pattern=options.asset_pattern,
        manifest_pattern=options.manifest_pattern,
        bundle_pattern=options.bundle_pattern,
    )
    destination = options.destination.resolve()
    target = destination / archive_stem(selected.archive.name)
    _check_destination(destination, target, destination / selected.archive.name, options)
    warnings = check_policy(selected, options)
    evidence = _fetch_evidence(github, selected, options)
    looked_up = clock()
    created: list[Path] = []
    with _staged(created):
        progress.note(f"downloading {selected.archive.name}")
        download = download_asset(
            github, selected.archive, directory=destination, progress=progress
        )
        created.append(download.path)
        downloaded = clock()
        progress.note("verifying")
        checksum, signature = _verify(options, selected, download.sha256, evidence)
        _log.info(
            Event.RELEASE_VERIFIED,
            asset=selected.archive.name,
            sha256=download.sha256,
            checksum=checksum.verdict.value,
            signature=signature.verdict.value,
            log_index=signature.log_index,
        )
        verified = clock()
        progress.note("extracting")
        staging = destination / f".{target.name}.{uuid.uuid4().hex[:8]}.staging"
        created.append(staging)
        extract_archive(
            download.path, name=selected.archive.name, target=staging, limits=options.limits
        )
        sanitize(staging)
        extracted = clock()
        wheelhouse = archive = None
        if options.dry_run:
            plan = _plan(staging, options)
            remove_path(staging)
            remove_path(download.path)
        else:
            progress.note("installing")
            plan = _install(staging, target, options)
            wheelhouse = str(target)
            if options.remove_archive:
                remove_path(download.path)
            else:
                kept = destination / selected.archive.name
                download.path.replace(kept)
                archive = str(kept)
    return InstallReport(
        repository=options.repository,
        tag=release.tag,
        asset=selected.archive.name,
        size=download.size,
        sha256=download.sha256,
        checksum=checksum,
        signature=signature,
        wheelhouse=wheelhouse,
        archive=archive,
        install=plan,
        dry_run=options.dry_run,
        warnings=warnings,
        timings=Timings(
            lookup=looked_up - started,
            download=downloaded - looked_up,
            verify=verified - downloaded,
            extract=extracted - verified,
            install=clock() - extracted,
        ),
    )
