"""``release install``: the steps in order, each its own function.

Look up the release, select its assets, fetch the manifest and bundle, download the archive,
verify the checksum, verify the signature, extract, install offline. Everything written is
staged under a hidden name in the destination and removed if any later step fails; only a
complete success leaves the wheelhouse (and, unless asked otherwise, the archive) behind. One
exception: when only the installation fails (no pip and no uv, a missing dependency), the
verified archive is kept under its name, and the error says where; nothing verified is thrown
away before the install succeeded.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from typing import TYPE_CHECKING

from hephaestus.core.errors import ExternalError, SafetyError, UsageError, field_ref
from hephaestus.core.events import Event
from hephaestus.core.fs import remove_path
from hephaestus.core.logging import get_logger
from hephaestus.core.progress import NO_PROGRESS, Progress
from hephaestus.release.assets import select_assets
from hephaestus.release.download import download_asset
from hephaestus.release.evidence import check_policy, fetch_evidence, verify_evidence
from hephaestus.release.extract import extract_archive
from hephaestus.release.install import plan_install, run_install
from hephaestus.release.models import InstallPlan, InstallReport, Timings
from hephaestus.release.options import InstallOptions, archive_stem, install_digest, with_tag
from hephaestus.release.wheelhouse import remove_cruft

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from hephaestus.release.github import GitHub

__all__ = ["InstallOptions", "install_release", "with_tag"]
_log = get_logger(__name__)


def _make_directory(path: Path) -> list[Path]:
    """Create ``path`` and missing parents; return the directories created, outermost first."""
    missing = [p for p in (path, *path.parents) if not p.exists()][::-1]
    path.mkdir(parents=True, exist_ok=True)
    return missing


@contextlib.contextmanager
def _staged(paths: list[Path], made: list[Path]) -> Iterator[None]:
    """If the block fails, remove ``paths`` (which may grow inside it), then ``made`` if empty."""
    try:
        yield
    except BaseException:
        for path in reversed(paths):
            remove_path(path)
        for directory in reversed(made):
            with contextlib.suppress(OSError):  # only while still empty
                directory.rmdir()
        raise


def _check_destination(
    destination: Path, target: Path, archive: Path, options: InstallOptions
) -> None:
    if not destination.is_dir() and not (options.create_destination and not destination.exists()):
        raise UsageError(
            f"{field_ref('destination')} {destination} is not a directory",
            hint="create it, or choose another",
        )
    for path in (target, *(() if options.remove_archive else (archive,))):
        if path.exists() and not options.overwrite and not options.dry_run:
            raise UsageError(
                f"{path} already exists",
                hint=f"replace it with {field_ref('overwrite')}",
                code="exists",
            )


def _checked_plan(options: InstallOptions, tag: str, asset: str, sha256: str) -> str:
    """Return this install's plan id; refuse if ``options.plan_id`` names another plan.

    Raises:
        SafetyError: the release, its archive or the options changed since that plan (exit 3).

    """
    plan_id = install_digest(options, tag=tag, asset=asset, sha256=sha256)
    if options.plan_id is not None and options.plan_id != plan_id:
        raise SafetyError(
            f"the release changed since plan {options.plan_id}: nothing was installed",
            hint=f"plan again (a dry run) and pass the new {field_ref('plan_id')}",
            code="stale-plan",
        )
    return plan_id


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


def _keep_archive(
    error: ExternalError, archive: Path, kept: Path, created: list[Path]
) -> ExternalError:
    """Keep the verified ``archive`` as ``kept`` after a failed install; return the error to raise.

    The archive stays in ``created`` (and is removed) only if ``kept`` is taken.
    """
    if kept.exists():
        return error
    archive.replace(kept)
    created.remove(archive)
    hint = f"{error.hint}; " if error.hint else ""
    return type(error)(
        error.message,
        hint=f"{hint}the verified archive is kept at {kept}: run again with "
        f"{field_ref('overwrite')}",
        code=error.code,
    )


def install_release(  # one straight line of steps, each timed
    github: GitHub, *, options: InstallOptions, progress: Progress = NO_PROGRESS
) -> InstallReport:
    """Install a release's wheelhouse after verifying it; see the module docstring.

    Raises:
        UsageError: bad options, ambiguous assets, no identity pinned (exit 2).
        SafetyError: ``options.plan_id`` names another plan (``stale-plan``, exit 3).
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
    evidence = fetch_evidence(github, selected, options)
    looked_up = clock()
    made = _make_directory(destination)
    created: list[Path] = []
    with _staged(created, made):
        progress.note(f"downloading {selected.archive.name}")
        download = download_asset(
            github,
            selected.archive,
            directory=destination,
            progress=progress,
            max_bytes=options.limits.max_bytes,
            staging=created,
        )
        plan_id = _checked_plan(options, release.tag, selected.archive.name, download.sha256)
        downloaded = clock()
        progress.note("verifying")
        checksum, signature = verify_evidence(options, selected, download.sha256, evidence)
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
        remove_cruft(staging)
        extracted = clock()
        wheelhouse = archive = None
        if options.dry_run:
            plan = _plan(staging, options)
            remove_path(staging)
            remove_path(download.path)
            for directory in reversed(made):
                directory.rmdir()
        else:
            progress.note("installing")
            try:
                plan = _install(staging, target, options)
            except ExternalError as exc:  # the environment's failure, not the archive's
                kept = destination / selected.archive.name
                raise _keep_archive(exc, download.path, kept, created) from exc
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
        plan_id=plan_id,
        timings=Timings(
            lookup=looked_up - started,
            download=downloaded - looked_up,
            verify=verified - downloaded,
            extract=extracted - verified,
            install=clock() - extracted,
        ),
    )
