"""The release operations: install (a dry run and the real one), verify and backfill.

Each takes its request model (:mod:`hephaestus.release.requests`), resolves it against
``[tool.hephaestus.release]`` of ``context.root`` (:mod:`hephaestus.release.resolution`) and
returns its report. ``install_plan`` downloads and verifies, and installs and keeps nothing;
``install`` given the dry run's ``plan_id`` refuses when the release changed since. Heavy
modules (httpx, sigstore) are imported only when an operation runs, so that describing the
requests stays cheap.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from hephaestus.core.state import state_directory_for
from hephaestus.release.requests import (
    BackfillRequest,
    InstallRequest,
    InstallRunRequest,
    VerifyRequest,
)
from hephaestus.release.resolution import resolve_backfill, resolve_install, resolve_verify
from hephaestus.release.settings import ReleaseSection

if TYPE_CHECKING:
    from hephaestus.core.context import Context
    from hephaestus.release.models import BackfillReport, InstallReport, VerifyReport

__all__ = [
    "BackfillRequest",
    "InstallRequest",
    "InstallRunRequest",
    "VerifyRequest",
    "backfill",
    "install",
    "install_plan",
    "resolve_backfill",
    "resolve_install",
    "resolve_verify",
    "verify",
]


def _install(request: InstallRequest, context: Context, *, dry_run: bool) -> InstallReport:
    from hephaestus.release.flow import install_release  # noqa: PLC0415  # httpx, sigstore

    section = context.section("release", ReleaseSection)
    resolved = resolve_install(
        request, section, root=context.root, cwd=context.cwd, dry_run=dry_run
    )
    target = resolved.options.destination
    state_directory_for(target, root=context.root, create=False)  # a linked one: refused now
    with resolved.github.client() as github:
        report = install_release(github, options=resolved.options, progress=context.progress)
    if not resolved.options.dry_run:  # the default destination lies in .hephaestus
        state_directory_for(target, root=context.root)
    return report


def install_plan(request: InstallRequest, context: Context) -> InstallReport:
    """Download and verify a release, and plan its install; install and keep nothing.

    Raises:
        UsageError: bad request or configuration, ambiguous assets, no identity pinned (exit 2).
        SafetyError: the state directory is a link (exit 3).
        VerificationError: a checksum, signature or archive check failed (exit 4).
        ExternalError: GitHub or the network failed (exit 5).

    """
    return _install(request, context, dry_run=True)


def install(request: InstallRunRequest, context: Context) -> InstallReport:
    """Install a release's wheelhouse once verified; see :func:`install_plan` for the errors.

    Raises:
        SafetyError: also when ``plan_id`` names another plan (``stale-plan``, exit 3).
        ExternalError: also when the installer fails (exit 5).

    """
    return _install(request, context, dry_run=False)


def verify(request: VerifyRequest, context: Context) -> VerifyReport:
    """Verify a local file against its SHA-256 manifest and Sigstore bundle.

    Raises:
        UsageError: no file, nothing to verify against, no identity pinned (exit 2).
        VerificationError: a check failed (exit 4).
        ExternalError: the production trust root could not be fetched (exit 5).

    """
    from hephaestus.release.verify import verify_local  # noqa: PLC0415  # sigstore: lazily

    section = context.section("release", ReleaseSection)
    resolved = resolve_verify(request, section, root=context.root, cwd=context.cwd)
    return verify_local(
        resolved.artifact,
        manifest=resolved.manifest,
        bundle=resolved.bundle,
        identity=resolved.identity,
        issuer=resolved.issuer,
        trust_root=resolved.trust_root,
    )


def backfill(request: BackfillRequest, context: Context) -> BackfillReport:
    """Add the missing manifest and bundle to releases; record an inventory (unless a dry run).

    Raises:
        UsageError: bad request or configuration, a release without one archive (exit 2).
        SafetyError: the state directory is a link (exit 3).
        ExternalError: GitHub, the download, the upload or signing failed (exit 5).

    """
    from hephaestus.release.backfill import backfill_releases  # noqa: PLC0415  # httpx: lazily

    section = context.section("release", ReleaseSection)
    repository, github = resolve_backfill(request, section)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    inventory = context.root / section.destination / f"backfill-{stamp}-{context.run_id}.json"
    state_directory_for(inventory, root=context.root, create=False)  # a linked one: refused now
    with github.client() as client:
        report = backfill_releases(
            client,
            repository=repository,
            tags=request.tags,
            dry_run=request.dry_run,
            inventory=inventory,
            progress=context.progress,
        )
    if report.inventory is not None:  # below .hephaestus by default: never committed
        state_directory_for(inventory, root=context.root)
    return report
