"""Typed inputs and results of cleanup: options, the plan and its id, the report (the manifest)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path  # noqa: TC003  # pydantic resolves the annotation at run time
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_serializer,
    field_validator,
)

from hephaestus.cleanup.settings import CleanupCategory as Category
from hephaestus.cleanup.settings import CleanupSection
from hephaestus.core.fs import display_path

FsPath = Annotated[str, PlainSerializer(display_path, when_used="json")]
"""A path as the filesystem spells it (exact in Python, escaped in JSON)."""


class EntryKind(StrEnum):
    """What a path is on disk, seen without following symlinks."""

    directory = "directory"
    file = "file"
    symlink = "symlink"


class SkipReason(StrEnum):
    """Why a path that matched (or a place the walk reached) is left alone."""

    tracked = "tracked"
    """It is, or contains, a path git tracks."""
    virtual_environment = "virtual-environment"
    """It is a virtual or conda environment (holds pyvenv.cfg or conda-meta/)."""
    contains_virtual_environment = "contains-virtual-environment"
    contains_repository = "contains-git-repository"
    contains_state = "contains-hephaestus-state"
    """It holds a .hephaestus directory (audit manifests, caches), which is never removed."""
    excluded = "excluded"
    """It matches an --exclude pattern."""
    no_project_marker = "no-project-marker"
    """A build/ or dist/ with no pyproject.toml, setup.py or setup.cfg beside it."""
    unreadable = "unreadable"
    """The walk could not open or list it (or something in it): kept whole."""
    mount_point = "mount-point"
    """It is another filesystem mounted here: never entered, never removed."""
    contains_mount_point = "contains-mount-point"
    """A filesystem is mounted somewhere inside it (``detail`` names where)."""
    vanished = "vanished"
    """It was gone when its turn came."""
    changed = "changed"
    """It is no longer what was planned (its type changed, or a parent became a symlink)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class CleanupOptions(_Frozen):
    """What to clean. The library enforces every safety rule whatever these say."""

    categories: frozenset[Category] = Field(
        default_factory=lambda: frozenset(CleanupSection().categories)
    )
    exclude: tuple[str, ...] = Field(
        default=(), description="gitignore-style patterns never touched."
    )
    extra_paths: tuple[Path, ...] = Field(default=(), description="More directories to clean.")
    allow_outside_root: bool = Field(
        default=False, description="Allow extra paths outside the root (callers confirm first)."
    )
    max_depth: int | None = Field(
        default=None, ge=1, description="Deepest level looked at below each directory cleaned."
    )

    @field_validator("exclude")
    @classmethod
    def _valid_patterns(cls, exclude: tuple[str, ...]) -> tuple[str, ...]:
        """Refuse a pattern gitignore syntax cannot compile, as a usage error naming it."""
        from hephaestus.cleanup.patterns import compile_exclude  # noqa: PLC0415  # no cycle

        compile_exclude(exclude)
        return exclude

    @field_serializer("categories")
    def _ordered(self, categories: frozenset[Category]) -> list[Category]:
        """Serialise categories in their documented order, not hash order."""
        return [c for c in Category if c in categories]


class Candidate(_Frozen):
    """A path the plan will remove."""

    path: FsPath
    category: Category
    kind: EntryKind
    size: int = Field(description="Bytes (apparent size, symlinks not followed).")
    entries: int = Field(description="Files, links and directories it holds, itself included.")


class Skipped(_Frozen):
    """A path left alone, and why."""

    path: FsPath
    reason: SkipReason
    category: Category | None = None
    detail: str | None = None


class CategoryTotal(_Frozen):
    """Count and bytes of one category."""

    category: Category
    count: int
    bytes: int


class CleanupPlan(_Frozen):
    """Everything one walk found: what will be removed and what is left alone, and why."""

    root: FsPath
    bases: list[FsPath] = Field(description="Directories walked: the root, then extra paths.")
    outside_root: list[FsPath] = Field(description="Extra paths outside the root (confirmed).")
    options: CleanupOptions
    candidates: list[Candidate]
    skipped: list[Skipped]
    totals: list[CategoryTotal]
    scanned: int = Field(description="Directory entries looked at.")
    seconds: float
    plan_id: str = Field(
        default="",
        description="Digest of the root, options and candidates: a run given it refuses to "
        "remove anything if a fresh plan differs.",
    )


class Removal(_Frozen):
    """A path that left the disk."""

    path: FsPath
    category: Category
    kind: EntryKind
    size: int


class RemovalError(_Frozen):
    """A path that could not be (fully) removed."""

    path: FsPath
    message: str


class CleanupReport(_Frozen):
    """What a real run did; written as the audit manifest too."""

    run_id: str
    root: FsPath
    bases: list[FsPath]
    options: CleanupOptions
    removed: list[Removal]
    skipped: list[Skipped]
    errors: list[RemovalError]
    totals: list[CategoryTotal] = Field(description="Freed, per category.")
    plan_seconds: float
    delete_seconds: float
    manifest: FsPath | None = Field(description="The audit manifest written, if any.")
    complete: bool = Field(
        default=True,
        description="False when the run was interrupted: ``removed`` lists what went so far.",
    )


def totals_of(items: list[Candidate] | list[Removal]) -> list[CategoryTotal]:
    """Sum count and bytes per category, in category order."""
    sums: dict[Category, list[int]] = {}
    for item in items:
        count_bytes = sums.setdefault(item.category, [0, 0])
        count_bytes[0] += 1
        count_bytes[1] += item.size
    return [
        CategoryTotal(category=c, count=sums[c][0], bytes=sums[c][1]) for c in Category if c in sums
    ]


def plan_digest(root: str, options: CleanupOptions, candidates: list[Candidate]) -> str:
    """Return the ``plan_id`` of a plan: what it would do, as 32 hex digits of a SHA-256.

    It covers the root, the options and each candidate's path, kind, size and entry count, so
    a fresh plan of a tree that changed gets another id.
    """
    import hashlib  # noqa: PLC0415  # only once per plan

    digest = hashlib.sha256(root.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(options.model_dump_json().encode())
    lines = "".join(f"{c.path}\0{c.kind.value}\0{c.size}\0{c.entries}\n" for c in candidates)
    digest.update(lines.encode("utf-8", "surrogateescape"))  # one update: same bytes, same digest
    return digest.hexdigest()[:32]
