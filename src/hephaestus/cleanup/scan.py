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
    plan_digest,
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
    is_inside,
    is_virtualenv,
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


class _Measure:
    """Size and entry count of one candidate directory, or why it must stay whole."""

    __slots__ = ("container", "count", "detail", "excluded", "reason", "size")

    def __init__(self, *, container: bool, excluded: Callable[[str, bool], bool] | None) -> None:
        self.container, self.excluded, self.size, self.count = container, excluded, 0, 1
        self.reason: SkipReason | None = None
        self.detail: str | None = None

    def _enter(
        self, fd: int, inode: int, path: str, *, device: int, top: bool
    ) -> list[os.DirEntry[str]] | None:
        """Add the directory just opened as ``fd``; its subdirectories, or ``None`` to keep all.

        It must be what its parent listed (``inode``, on ``device``): else a mount point. Files
        and links cost one ``fstatat`` each (their size); directories none (``d_type``).
        """
        status = os.fstat(fd)
        if status.st_dev != device or status.st_ino != inode:
            self.reason = SkipReason.mount_point if top else SkipReason.contains_mount_point
            self.detail = None if top else path
            return None
        try:
            with os.scandir(fd) as iterator:
                listed = list(iterator)
        except OSError:
            self.reason, self.detail = SkipReason.unreadable, path
            return None
        self.count += len(listed)
        excluded, size = self.excluded, 0
        subdirectories: list[os.DirEntry[str]] = []
        for child in listed:
            if child.name in KEEP_MARKERS:
                self.reason = _keep(child.name, top=top, container=self.container)
                if self.reason is not None:
                    return None
            try:
                is_dir = child.is_dir(follow_symlinks=False)
                if excluded is not None and excluded(f"{path}/{child.name}", is_dir):
                    self.reason = SkipReason.excluded
                    return None
                if is_dir:
                    subdirectories.append(child)
                else:
                    size += child.stat(follow_symlinks=False).st_size
            except OSError:
                continue  # vanished meanwhile
        self.size += size
        return subdirectories

    def walk(  # noqa: C901, PLR0912  # one loop owning every descriptor it opens
        self, parent_fd: int, entry: os.DirEntry[str], path: str, *, device: int
    ) -> SkipReason | None:
        """Measure the directory ``entry`` of ``parent_fd``; why it stays whole, if it does.

        Depth first through descriptors, like the removal, so both see the same tree at any
        depth: each directory is opened by name in its parent's descriptor (``O_NOFOLLOW``) and
        compared with what the parent listed, so neither a symlink nor a mount point is
        entered; whatever cannot be inspected keeps the whole candidate (``vanished``: gone).
        A descriptor stays open only while subdirectories of its own remain to be opened. No
        generator, no object per directory: most directories the plan opens are walked here.
        """
        frames: list[tuple[int, str, list[os.DirEntry[str]]]] = []  # (fd, path, to open)
        top, child, last, opened = True, entry, False, -1
        try:
            while True:
                try:
                    opened = os.open(child.name, DIRECTORY_FLAGS, dir_fd=parent_fd)
                except FileNotFoundError:
                    if top:
                        return SkipReason.vanished
                except OSError as exc:
                    self.reason, self.detail = SkipReason.unreadable, exc.strerror if top else path
                    return self.reason
                finally:
                    if last:  # the parent's last subdirectory: the parent is done
                        os.close(parent_fd)
                if opened >= 0:
                    enter = self._enter(opened, child.inode(), path, device=device, top=top)
                    if enter is None:
                        return self.reason
                    if enter:
                        frames.append((opened, path, enter[::-1]))
                    else:
                        os.close(opened)
                    opened = -1
                top = False
                if not frames:
                    return None
                parent_fd, parent_path, waiting = frames[-1]
                child = waiting.pop()
                last = not waiting
                if last:
                    frames.pop()
                path = f"{parent_path}/{child.name}"
        finally:
            if opened >= 0:
                os.close(opened)
            for frame in frames:
                os.close(frame[0])


class _Walk:
    """State of one planning walk."""

    def __init__(self, options: CleanupOptions) -> None:
        self.matcher = Matcher.for_categories(options.categories)
        self.max_depth = options.max_depth
        self.exclude: pathspec.GitIgnoreSpec | None = compile_exclude(options.exclude)
        self.tracked = TrackedIndex()
        self.candidates: list[Candidate] = []
        self.skipped: list[Skipped] = []
        self.scanned = 0
        self.base = ""
        self.device = 0
        self.ignored = NEVER_ENTERED | (
            {"node_modules"} if Category.node_modules not in options.categories else frozenset()
        )

    def _excluded(self, full: str, is_dir: bool) -> bool:  # noqa: FBT001  # a callback
        """Whether ``full`` (below the base being walked) matches an --exclude pattern."""
        assert self.exclude is not None  # noqa: S101  # only called when there are patterns
        relative = full[len(self.base) + 1 :] + ("/" if is_dir else "")
        return self.exclude.match_file(relative)

    def _skip(
        self,
        path: str,
        reason: SkipReason,
        category: Category | None = None,
        detail: str | None = None,
    ) -> None:
        """Record that ``path`` is left alone, and why."""
        self.skipped.append(Skipped(path=path, reason=reason, category=category, detail=detail))

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
            self._skip(full, SkipReason.tracked, category)
            return False
        if kind is EntryKind.directory:
            measure = _Measure(
                container=entry.name in VENV_CONTAINERS,
                excluded=self._excluded if self.exclude is not None else None,
            )
            reason = measure.walk(parent_fd, entry, full, device=self.device)
            if reason is not None:
                if reason is not SkipReason.vanished:
                    self._skip(full, reason, category, measure.detail)
                return False
            size, entries = measure.size, measure.count
        else:
            try:
                size, entries = entry.stat(follow_symlinks=False).st_size, 1
            except OSError:
                return False  # vanished while we looked
        # Validated: pydantic-core checks these five fields in half the time that the
        # pure-Python model_construct takes to skip checking them.
        self.candidates.append(
            Candidate(path=full, category=category, kind=kind, size=size, entries=entries)
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
            self._skip(full, SkipReason.excluded)
            return False
        if is_link:
            category = self.matcher.match_link(entry.name)
            if category is not None and entry.name in OUTPUT_DIRECTORIES and not has_marker:
                self._skip(full, SkipReason.no_project_marker, category)
            elif category is not None:
                self._consider(full, category, EntryKind.symlink, entry, parent_fd)
            return False  # a symlink is never entered
        if category is None:
            return is_dir
        bare = is_dir and entry.name in OUTPUT_DIRECTORIES and not has_marker
        if bare and not self.tracked.covers(full):  # tracked is the stronger reason
            self._skip(full, SkipReason.no_project_marker, category)
            return True
        kind = EntryKind.directory if is_dir else EntryKind.file
        return not self._consider(full, category, kind, entry, parent_fd) and is_dir

    def _repository(self, directory: str) -> bool:
        """Load the tracked paths of a nested repository; ``False`` if git cannot run there."""
        if len(os.fsencode(directory)) >= GIT_PATH_LIMIT:
            detail = "a repository too deep for git to answer: kept whole"
            self._skip(directory, SkipReason.unreadable, detail=detail)
            return False
        self.tracked.load(Path(directory))
        return True

    def _directory(  # noqa: C901  # the hot loop of the walk, kept flat
        self, directory: str, depth: int, fd: int, entries: list[os.DirEntry[str]]
    ) -> list[os.DirEntry[str]]:
        """Plan the ``entries`` of ``directory`` (open as ``fd``); return those to descend into.

        The common entry (a directory or file that matches nothing) costs one ``d_type`` check
        and one dictionary or pattern look-up; everything else goes to :meth:`_entry`.
        """
        names = {entry.name for entry in entries}
        if is_virtualenv(names):
            self._skip(directory, SkipReason.virtual_environment)
            return []
        if ".git" in names and depth and not self._repository(directory):
            return []
        has_marker = not names.isdisjoint(PROJECT_MARKERS)
        deeper = self.max_depth is None or depth + 1 < self.max_depth
        match_directory, match_file = self.matcher.match_directory, self.matcher.match_file
        plain, ignored = self.exclude is None, self.ignored
        enter: list[os.DirEntry[str]] = []
        for entry in entries:
            name = entry.name
            if name in ignored:
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    category = match_directory(name)
                    if category is None and plain:
                        if deeper:
                            enter.append(entry)
                        continue
                else:
                    category = match_file(name)
                    if category is None and plain and not entry.is_symlink():
                        continue
                full = f"{directory}/{name}"
                if self._entry(full, entry, category, fd, has_marker=has_marker) and deeper:
                    enter.append(entry)
            except OSError:
                continue  # vanished while we looked
        return enter

    def walk(self, base: str, progress: Progress) -> None:
        """Walk ``base`` through descriptors (never into a symlink or a mount point), planning."""
        self.base = base
        self.tracked.load_enclosing(Path(base))
        try:
            base_fd = os.open(base, DIRECTORY_FLAGS)
        except OSError as exc:
            self._skip(base, SkipReason.unreadable, detail=exc.strerror)
            return
        self.device = os.fstat(base_fd).st_dev
        for listing in walk_directories(base_fd, base, device=self.device):
            if isinstance(listing, Blocked):
                error, path = listing.error, listing.path
                if error is None:
                    self._skip(path, SkipReason.mount_point)
                else:
                    self._skip(path, SkipReason.unreadable, detail=error.strerror)
                continue
            self.scanned += len(listing.entries)
            progress.advance(len(listing.entries))
            listing.enter.extend(
                self._directory(listing.path, listing.depth, listing.fd, listing.entries)
            )


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
