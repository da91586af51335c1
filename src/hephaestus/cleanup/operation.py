"""The cleanup operations: their requests, how configuration applies, the plan and the run.

``plan`` (read-only) walks once and returns the :class:`CleanupPlan` with its ``plan_id``;
``run`` plans again, refuses when a ``plan_id`` was given and the tree changed since, asks for
confirmation before touching anything outside the root, and removes exactly that plan, writing
the audit manifest as it goes.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import TYPE_CHECKING, Final

from pydantic import Field

from hephaestus.cleanup.audit import default_manifest_path
from hephaestus.cleanup.delete import execute_cleanup
from hephaestus.cleanup.lock import writable_state
from hephaestus.cleanup.models import CleanupOptions, CleanupPlan, CleanupReport
from hephaestus.cleanup.scan import plan_cleanup
from hephaestus.cleanup.settings import CleanupCategory as Category
from hephaestus.cleanup.settings import CleanupSection
from hephaestus.core import telemetry
from hephaestus.core.errors import SafetyError, UsageError, field_ref
from hephaestus.core.fs import printable_path
from hephaestus.core.instruments import CLEANUP_FREED, CLEANUP_REMOVED
from hephaestus.core.request import Request, directory_root
from hephaestus.core.state import state_directory_for

if TYPE_CHECKING:
    from hephaestus.core.context import Context


class CleanupRequest(Request):
    """What to clean: a directory, categories on top of the configured ones, limits."""

    root: Path | None = Field(
        default=None,
        description="Directory to clean (default: the repository of the working directory).",
    )
    deep_clean: bool = Field(
        default=False,
        description="Start from every category except node-modules instead of the configured ones.",
    )
    add_categories: tuple[Category, ...] = Field(
        default=(), description="Categories cleaned on top of the configured (or deep) ones."
    )
    remove_categories: tuple[Category, ...] = Field(
        default=(), description="Categories left out (wins over add_categories)."
    )
    exclude: tuple[str, ...] = Field(
        default=(),
        description="gitignore-style patterns never touched, on top of the configured ones.",
    )
    extra_paths: tuple[Path, ...] = Field(default=(), description="More directories to clean.")
    allow_outside_root: bool = Field(
        default=False,
        description="Allow extra_paths outside the root (a person must then confirm).",
    )
    max_depth: int | None = Field(
        default=None, ge=1, description="Look at most this many levels deep (default: no limit)."
    )

    def config_root(self, cwd: Path) -> Path:
        """Return the directory cleaned: ``root`` (from ``cwd``), else the repository of ``cwd``."""
        return directory_root(self.root, cwd)


class CleanupRunRequest(CleanupRequest):
    """A cleanup that removes: the plan's fields, the plan it must match, the manifest."""

    plan_id: str | None = Field(
        default=None,
        description="plan_id of the cleanup_plan to carry out; refused if the tree changed "
        "since (default: no check).",
    )
    audit_manifest: Path | None = Field(
        default=None,
        description="Where to write the audit manifest (default: "
        "ROOT/.hephaestus/audit/cleanup-<UTC time>-<run id>.json).",
    )


def resolve(request: CleanupRequest, section: CleanupSection) -> CleanupOptions:
    """Apply ``[tool.hephaestus.cleanup]`` to ``request``: the options the walk runs with."""
    chosen = (
        set(Category) - {Category.node_modules} if request.deep_clean else set(section.categories)
    )
    chosen |= set(request.add_categories)
    chosen -= set(request.remove_categories)
    return CleanupOptions(
        categories=frozenset(chosen),
        exclude=(*section.exclude, *request.exclude),
        extra_paths=request.extra_paths,
        allow_outside_root=request.allow_outside_root,
        max_depth=request.max_depth,
    )


def plan(request: CleanupRequest, context: Context) -> CleanupPlan:
    """Plan a cleanup of ``context.root``; nothing is removed."""
    options = resolve(request, context.section("cleanup", CleanupSection))
    extra = tuple(context.cwd / p for p in options.extra_paths)
    context.progress.note("scanning")
    with telemetry.span("cleanup plan") as span:
        planned = plan_cleanup(
            context.root,
            options=options.model_copy(update={"extra_paths": extra}),
            progress=context.progress,
        )
        span.set_attributes(
            {
                "hephaestus.cleanup.candidates": len(planned.candidates),
                "hephaestus.cleanup.bytes": sum(total.bytes for total in planned.totals),
                "hephaestus.cleanup.skipped": len(planned.skipped),
                "hephaestus.cleanup.scanned": planned.scanned,
            }
        )
    return planned


_NOT_REGULAR: Final = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
}


def manifest_path(root: Path, run_id: str, given: Path | None) -> Path:
    """Return where the audit manifest goes, checked (and its directory made) before removal.

    The default lies in the state directory, made here with its ``.gitignore``. A given path
    must be new or a regular file (links followed): a device or a FIFO is never opened, as
    opening one can block or act on the device.

    Raises:
        SafetyError: ``given`` is not a regular file, or the state directory is refused (exit 3).
        UsageError: ``given`` cannot be inspected or its directory made (exit 2).

    """
    field = field_ref("audit_manifest")
    if given is None:
        writable_state(root)
        chosen = default_manifest_path(root, run_id)
    else:
        try:
            mode: int | None = given.stat().st_mode
        except FileNotFoundError:
            mode = None
        except OSError as exc:
            raise UsageError(
                f"cannot inspect {field} {printable_path(given)}: {exc.strerror or exc}",
                hint=f"choose another {field}",
            ) from exc
        if mode is not None and not stat.S_ISREG(mode):
            kind = _NOT_REGULAR.get(stat.S_IFMT(mode), "not a regular file")
            raise SafetyError(
                f"refusing {field} {printable_path(given)}: it is {kind}; nothing was removed",
                hint="name a new file, or a regular file to replace",
                code="manifest-not-a-file",
            )
        state_directory_for(given, root=root)
        chosen = given
    try:
        chosen.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot write the audit manifest in {chosen.parent}: {exc.strerror}",
            hint=f"choose another {field}",
        ) from exc
    return chosen


def run(request: CleanupRunRequest, context: Context) -> CleanupReport:
    """Remove what a fresh plan of ``context.root`` lists, after every check passed.

    Raises:
        SafetyError: the plan no longer matches ``plan_id`` (``stale-plan``), or paths outside
            the root were not confirmed; nothing was removed (exit 3).

    """
    planned = plan(request, context)
    if request.plan_id is not None and request.plan_id != planned.plan_id:
        raise SafetyError(
            f"the tree changed since plan {request.plan_id}: nothing was removed",
            hint=f"plan again and pass the new {field_ref('plan_id')}",
            code="stale-plan",
        )
    if planned.outside_root:
        outside = ", ".join(printable_path(p) for p in planned.outside_root)
        if not context.confirm(f"clean outside {planned.root}: {outside}?"):
            raise SafetyError(
                f"cleaning outside the root ({outside}) was not confirmed: nothing was removed",
                hint="confirm, or leave those paths out",
                code="confirmation-required",
            )
    given = None if request.audit_manifest is None else context.cwd / request.audit_manifest
    manifest = manifest_path(Path(planned.root), context.run_id, given)
    context.progress.note("removing")
    with telemetry.span("cleanup delete") as span:
        report = execute_cleanup(
            planned, run_id=context.run_id, manifest=manifest, progress=context.progress
        )
        freed = sum(total.bytes for total in report.totals)
        span.set_attributes(
            {
                "hephaestus.cleanup.removed": len(report.removed),
                "hephaestus.cleanup.bytes": freed,
                "hephaestus.cleanup.errors": len(report.errors),
                "hephaestus.cleanup.complete": report.complete,
            }
        )
    telemetry.record(CLEANUP_REMOVED, len(report.removed))
    telemetry.record(CLEANUP_FREED, freed)
    return report
