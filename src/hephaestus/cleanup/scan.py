"""The plan: one ``os.scandir`` walk for every category, pruning what it must never enter.

Never entered: ``.git``, ``.hephaestus``, virtual environments (by content: ``pyvenv.cfg`` or
``conda-meta/``), symlinks, excluded paths, ``node_modules`` unless chosen, and matched
directories (they are measured, not searched). Nothing git tracks becomes a candidate.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from hephaestus.cleanup.models import (
    Candidate,
    CleanupOptions,
    CleanupPlan,
    EntryKind,
    Skipped,
    SkipReason,
    totals_of,
)
from hephaestus.cleanup.patterns import (
    OUTPUT_DIRECTORIES,
    PROJECT_MARKERS,
    VENV_CONTAINERS,
    Matcher,
    compile_exclude,
)
from hephaestus.cleanup.settings import CleanupCategory as Category
from hephaestus.cleanup.tracked import TrackedIndex
from hephaestus.core.errors import SafetyError, UsageError, field_ref
from hephaestus.core.fs import (
    DIRECTORY_FLAGS,
    VENV_MARKERS,
    Blocked,
    check_deletable_root,
    crossed,
    is_inside,
    is_virtualenv,
    open_directory,
    printable_path,
    walk_directories,
)
from hephaestus.core.progress import NO_PROGRESS, Progress

if TYPE_CHECKING:
    from collections.abc import Callable

    import pathspec

NEVER_ENTERED = frozenset({".git", ".hephaestus"})
KEEP_MARKERS = NEVER_ENTERED | VENV_MARKERS
"""Names that make a directory holding them stay whole (one set look-up per entry)."""
GIT_PATH_LIMIT = 4000
"""Longest repository path git can be run in (PATH_MAX is 4,096 bytes); deeper ones are kept."""


def _existing_directory(path: Path) -> Path:
    path = path.expanduser()
    if not path.is_dir():
        raise UsageError(f"{path} is not a directory", hint="name an existing directory")
    return check_deletable_root(path)


def _keep(name: str, *, top: bool, container: bool) -> SkipReason | None:
    """Why a directory holding an entry ``name`` must stay whole, or ``None``."""
    if name == ".git":
        return SkipReason.contains_repository
    if name == ".hephaestus":
        return SkipReason.contains_state
    if name in VENV_MARKERS and (top or not container):
        return SkipReason.virtual_environment if top else SkipReason.contains_virtual_environment
    return None


def _measure(  # noqa: C901, PLR0911, PLR0912, PLR0913  # one pass; each exit is a reason to keep
    parent_fd: int,
    entry: os.DirEntry[str],
    path: str,
    *,
    device: int,
    container: bool,
    excluded: Callable[[str, bool], bool] | None,
) -> tuple[int, int, SkipReason | None, str | None]:
    """Size and entry count of the directory ``entry`` in ``parent_fd``, or why it must stay.

    Walked through descriptors like the removal will be, so both see the same tree at any
    depth. Whatever cannot be inspected (unreadable, a symlink now, another filesystem) keeps
    the whole directory.
    """
    try:
        top_fd = open_directory(entry.name, dir_fd=parent_fd)
    except FileNotFoundError:
        return 0, 0, SkipReason.vanished, None
    except OSError as exc:
        return 0, 0, SkipReason.unreadable, exc.strerror
    if crossed(top_fd, device=device, inode=entry.inode()):
        os.close(top_fd)
        return 0, 0, SkipReason.mount_point, None
    size, entries = 0, 1
    walker = walk_directories(top_fd, path, device=device)
    try:
        for listing in walker:
            if isinstance(listing, Blocked):
                blocked = (
                    SkipReason.unreadable if listing.error else SkipReason.contains_mount_point
                )
                return size, entries, blocked, listing.path
            for child in listing.entries:
                entries += 1
                if child.name in KEEP_MARKERS:
                    keep = _keep(child.name, top=listing.depth == 0, container=container)
                    if keep is not None:
                        return size, entries, keep, None
                try:
                    is_dir = child.is_dir(follow_symlinks=False)
                    if excluded is not None and excluded(f"{listing.path}/{child.name}", is_dir):
                        return size, entries, SkipReason.excluded, None
                    if is_dir:
                        listing.enter.append(child)
                    else:
                        size += child.stat(follow_symlinks=False).st_size
                except OSError:
                    continue  # vanished meanwhile
    finally:
        walker.close()
    return size, entries, None, None


class _Walk:
    """State of one planning walk."""

    def __init__(self, options: CleanupOptions) -> None:
        self.matcher = Matcher.for_categories(options.categories)
        self.max_depth = options.max_depth
        self.exclude: pathspec.GitIgnoreSpec | None = compile_exclude(options.exclude)
        self.keep_node_modules = Category.node_modules not in options.categories
        self.tracked = TrackedIndex()
        self.candidates: list[Candidate] = []
        self.skipped: list[Skipped] = []
        self.scanned = 0
        self.base = ""
        self.device = 0

    def _excluded(self, full: str, is_dir: bool) -> bool:  # noqa: FBT001  # a callback
        """Whether ``full`` (below the base being walked) matches an --exclude pattern."""
        assert self.exclude is not None  # noqa: S101  # only called when there are patterns
        relative = full[len(self.base) + 1 :] + ("/" if is_dir else "")
        return self.exclude.match_file(relative)

    def _consider(
        self,
        full: str,
        category: Category,
        kind: EntryKind,
        entry: os.DirEntry[str],
        parent_fd: int,
    ) -> bool:
        """Plan ``full`` for removal, or record why not; return whether it was planned."""
        if self.tracked.covers(full):
            self.skipped.append(
                Skipped.model_construct(path=full, reason=SkipReason.tracked, category=category)
            )
            return False
        if kind is EntryKind.directory:
            size, entries, reason, detail = _measure(
                parent_fd,
                entry,
                full,
                device=self.device,
                container=entry.name in VENV_CONTAINERS,
                excluded=self._excluded if self.exclude is not None else None,
            )
            if reason is SkipReason.vanished:
                return False
            if reason is not None:
                self.skipped.append(
                    Skipped.model_construct(
                        path=full, reason=reason, category=category, detail=detail
                    )
                )
                return False
        else:
            try:
                size, entries = entry.stat(follow_symlinks=False).st_size, 1
            except OSError:
                return False  # vanished while we looked
        # Built from values this walk just produced: no validation needed on the hot path.
        self.candidates.append(
            Candidate.model_construct(
                path=full, category=category, kind=kind, size=size, entries=entries
            )
        )
        return True

    def _entry(  # the rare path of the walk: everything about one entry
        self,
        full: str,
        entry: os.DirEntry[str],
        category: Category | None,
        parent_fd: int,
        *,
        has_marker: bool,
    ) -> bool:
        """Handle an entry that matched, is a symlink, or meets excludes; return 'descend'."""
        is_link = entry.is_symlink()
        is_dir = not is_link and entry.is_dir(follow_symlinks=False)
        if self.exclude is not None and self._excluded(full, is_dir):
            self.skipped.append(Skipped.model_construct(path=full, reason=SkipReason.excluded))
            return False
        if is_link:
            category = self.matcher.match_link(entry.name)
            if category is not None and entry.name in OUTPUT_DIRECTORIES and not has_marker:
                self.skipped.append(
                    Skipped.model_construct(
                        path=full, reason=SkipReason.no_project_marker, category=category
                    )
                )
            elif category is not None:
                self._consider(full, category, EntryKind.symlink, entry, parent_fd)
            return False  # a symlink is never entered
        if category is None:
            return is_dir
        bare = is_dir and entry.name in OUTPUT_DIRECTORIES and not has_marker
        if bare and not self.tracked.covers(full):  # tracked is the stronger reason
            self.skipped.append(
                Skipped.model_construct(
                    path=full, reason=SkipReason.no_project_marker, category=category
                )
            )
            return True
        kind = EntryKind.directory if is_dir else EntryKind.file
        return not self._consider(full, category, kind, entry, parent_fd) and is_dir

    def _blocked(self, blocked: Blocked) -> None:
        """Record a directory the walk could not enter (kept whole, with its reason)."""
        if blocked.error is None:
            reason, detail = SkipReason.mount_point, None
        else:
            reason, detail = SkipReason.unreadable, blocked.error.strerror
        self.skipped.append(
            Skipped.model_construct(path=blocked.path, reason=reason, detail=detail)
        )

    def _repository(self, directory: str) -> bool:
        """Load the tracked paths of a nested repository; ``False`` if git cannot run there."""
        if len(os.fsencode(directory)) >= GIT_PATH_LIMIT:
            self.skipped.append(
                Skipped.model_construct(
                    path=directory,
                    reason=SkipReason.unreadable,
                    detail="a repository too deep for git to answer: kept whole",
                )
            )
            return False
        self.tracked.load(Path(directory))
        return True

    def walk(self, base: str, progress: Progress) -> None:  # noqa: C901, PLR0912  # the hot loop, kept flat
        """Walk ``base`` depth first through directory descriptors, collecting candidates and skips.

        The common entry (a directory or file that matches nothing) costs one ``d_type`` check
        and one dictionary or pattern look-up; everything else goes to :meth:`_entry`.
        """
        self.base = base
        self.tracked.load_enclosing(Path(base))
        match_directory, match_file = self.matcher.match_directory, self.matcher.match_file
        plain = self.exclude is None
        ignored = NEVER_ENTERED | ({"node_modules"} if self.keep_node_modules else frozenset())
        try:
            base_fd = os.open(base, DIRECTORY_FLAGS)
        except OSError as exc:
            self.skipped.append(
                Skipped.model_construct(
                    path=base, reason=SkipReason.unreadable, detail=exc.strerror
                )
            )
            return
        self.device = os.fstat(base_fd).st_dev
        for listing in walk_directories(base_fd, base, device=self.device):
            if isinstance(listing, Blocked):
                self._blocked(listing)
                continue
            directory, entries, fd = listing.path, listing.entries, listing.fd
            self.scanned += len(entries)
            progress.advance(len(entries))
            names = {entry.name for entry in entries}
            if is_virtualenv(names):
                self.skipped.append(
                    Skipped.model_construct(path=directory, reason=SkipReason.virtual_environment)
                )
                continue
            if ".git" in names and listing.depth and not self._repository(directory):
                continue
            has_marker = not names.isdisjoint(PROJECT_MARKERS)
            deeper = self.max_depth is None or listing.depth + 1 < self.max_depth
            enter = listing.enter.append
            for entry in entries:
                name = entry.name
                if name in ignored:
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        category = match_directory(name)
                        if category is None and plain:
                            if deeper:
                                enter(entry)
                            continue
                    else:
                        category = match_file(name)
                        if category is None and plain and not entry.is_symlink():
                            continue
                    full = f"{directory}/{name}"
                    if self._entry(full, entry, category, fd, has_marker=has_marker) and deeper:
                        enter(entry)
                except OSError:
                    continue  # vanished while we looked


def plan_digest(root: str, options: CleanupOptions, candidates: list[Candidate]) -> str:
    """Identify a plan by what it would do: the root, the options and every candidate."""
    import hashlib  # noqa: PLC0415  # only once per plan

    digest = hashlib.sha256(root.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(options.model_dump_json().encode())
    for c in candidates:
        line = f"{c.path}\0{c.kind.value}\0{c.size}\0{c.entries}\n"
        digest.update(line.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:32]


def plan_cleanup(
    root: Path, *, options: CleanupOptions, progress: Progress = NO_PROGRESS
) -> CleanupPlan:
    """Walk ``root`` (and ``options.extra_paths``) once and return what cleanup would remove.

    Raises:
        UsageError: ``root`` or an extra path is not an existing directory (exit 2).
        SafetyError: a path is dangerous (filesystem root, home or an ancestor, system
            directory), or an extra path is outside ``root`` without ``allow_outside_root``.
        ExternalError: git is needed (a repository is involved) and cannot answer (exit 5).

    """
    started = time.perf_counter()
    base = _existing_directory(root)
    chosen, outside = [base], []
    for extra in options.extra_paths:
        resolved = _existing_directory(extra)
        if is_inside(resolved, base):
            continue  # already walked as part of the root
        if not options.allow_outside_root:
            raise SafetyError(
                f"refusing to clean {printable_path(extra)}: it is outside the root {base}",
                hint=f"set {field_ref('allow_outside_root')} (and confirm) to clean it too",
                code="outside-root",
            )
        chosen.append(resolved)
        outside.append(str(resolved))
    # Walk each directory once: drop duplicates and any base inside another one.
    unique = list(dict.fromkeys(chosen))
    bases = [b for b in unique if not any(o != b and is_inside(b, o) for o in unique)]
    walk = _Walk(options)
    progress.start(None)
    for directory in bases:
        walk.walk(str(directory), progress)
    digest = plan_digest(str(base), options, walk.candidates)
    return CleanupPlan(
        plan_id=digest,
        root=str(base),
        bases=[str(b) for b in bases],
        outside_root=sorted(set(outside)),
        options=options,
        candidates=walk.candidates,
        skipped=walk.skipped,
        totals=totals_of(walk.candidates),
        scanned=walk.scanned,
        seconds=time.perf_counter() - started,
    )
