"""Execute a plan: remove exactly its candidates, re-checking each one just before removal."""

from __future__ import annotations

import os
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from hephaestus.cleanup.audit import write_manifest
from hephaestus.cleanup.models import (
    Candidate,
    CleanupPlan,
    CleanupReport,
    EntryKind,
    Removal,
    RemovalError,
    Skipped,
    SkipReason,
    totals_of,
)
from hephaestus.core.fs import remove_path
from hephaestus.core.progress import NO_PROGRESS, Progress

if TYPE_CHECKING:
    from pathlib import Path


REMOVAL_WORKERS = 8
"""Removals in flight at once (measured: 8 overlaps the filesystem's waits best here)."""


def _kind(mode: int) -> EntryKind:
    if stat.S_ISLNK(mode):
        return EntryKind.symlink
    return EntryKind.directory if stat.S_ISDIR(mode) else EntryKind.file


def _remove(candidate: Candidate) -> Removal | Skipped | RemovalError:  # one per outcome
    path = candidate.path
    parent = os.path.dirname(path)  # noqa: PTH120  # str paths keep non-UTF-8 names exact
    if os.path.realpath(parent) != parent:
        return Skipped(
            path=path,
            reason=SkipReason.changed,
            category=candidate.category,
            detail="a parent directory is now a symlink",
        )
    try:
        kind = _kind(os.lstat(path).st_mode)
    except FileNotFoundError:
        return Skipped(path=path, reason=SkipReason.vanished, category=candidate.category)
    if kind is not candidate.kind:
        return Skipped(
            path=path,
            reason=SkipReason.changed,
            category=candidate.category,
            detail=f"was a {candidate.kind.value}, now a {kind.value}",
        )
    failures = remove_path(path)
    if failures:
        more = f" (and {len(failures) - 5} more)" if len(failures) > 5 else ""  # noqa: PLR2004
        return RemovalError(path=path, message="; ".join(failures[:5]) + more)
    return Removal(path=path, category=candidate.category, kind=kind, size=candidate.size)


def execute_cleanup(
    plan: CleanupPlan,
    *,
    run_id: str,
    manifest: Path | None,
    progress: Progress = NO_PROGRESS,
    workers: int = REMOVAL_WORKERS,
) -> CleanupReport:
    """Remove every candidate of ``plan`` and return what happened.

    Each path is re-checked with ``lstat`` just before removal: a path whose type changed, or
    whose parent became a symlink, is skipped; a vanished path is fine; a permission error is
    recorded and the run goes on. When ``manifest`` is given, the report is written there
    atomically as the audit manifest.

    Candidates never overlap (the walk does not enter what it plans), so up to ``workers``
    are removed at once: removal mostly waits on the filesystem, and the waits overlap. The
    report lists outcomes in plan order whatever the order of completion.

    Raises:
        OSError: the manifest could not be written (everything else was still done).

    """
    started = time.perf_counter()
    removed: list[Removal] = []
    skipped: list[Skipped] = list(plan.skipped)
    errors: list[RemovalError] = []
    progress.start(len(plan.candidates))
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="cleanup") as pool:
        for outcome in pool.map(_remove, plan.candidates):
            if isinstance(outcome, Removal):
                removed.append(outcome)
            elif isinstance(outcome, Skipped):
                skipped.append(outcome)
            else:
                errors.append(outcome)
            progress.advance()
    report = CleanupReport(
        run_id=run_id,
        root=plan.root,
        bases=plan.bases,
        options=plan.options,
        removed=removed,
        skipped=skipped,
        errors=errors,
        totals=totals_of(removed),
        plan_seconds=plan.seconds,
        delete_seconds=time.perf_counter() - started,
        manifest=str(manifest) if manifest else None,
    )
    if manifest is not None:
        write_manifest(report, manifest)
    return report
