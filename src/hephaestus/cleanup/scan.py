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
)
from hephaestus.cleanup.tracked import TrackedIndex
from hephaestus.core.config import CleanupCategory as Category
from hephaestus.core.errors import SafetyError, UsageError
from hephaestus.core.fs import (
    VENV_MARKERS,
    check_deletable_root,
    is_inside,
    is_virtualenv,
    printable_path,
)
from hephaestus.core.progress import NO_PROGRESS, Progress

if TYPE_CHECKING:
    from collections.abc import Callable

    import pathspec

NEVER_ENTERED = frozenset({".git", ".hephaestus"})


def _existing_directory(path: Path) -> Path:
    path = path.expanduser()
    if not path.is_dir():
        raise UsageError(f"{path} is not a directory", hint="name an existing directory")
    return check_deletable_root(path)


def _measure(
    path: str, *, container: bool, excluded: Callable[[str, bool], bool] | None
) -> tuple[int, int, SkipReason | None]:
    """Size and entry count of the tree at ``path``, or why it must not be removed."""
    size, entries, stack, top = 0, 1, [path], True
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as listing:
                children = list(listing)
        except OSError:
            continue  # removal will report what it cannot do
        for child in children:
            entries += 1
            name = child.name
            if name == ".git":
                return size, entries, SkipReason.contains_repository
            if name == ".hephaestus":
                return size, entries, SkipReason.contains_state
            if name in VENV_MARKERS and (top or not container):
                return (
                    size,
                    entries,
                    (
                        SkipReason.virtual_environment
                        if top
                        else SkipReason.contains_virtual_environment
                    ),
                )
            try:
                is_dir = child.is_dir(follow_symlinks=False)
                if excluded is not None and excluded(child.path, is_dir):
                    return size, entries, SkipReason.excluded
                if is_dir:
                    stack.append(child.path)
                else:
                    size += child.stat(follow_symlinks=False).st_size
            except OSError:
                continue  # vanished meanwhile
        top = False
    return size, entries, None


class _Walk:
    """State of one planning walk."""

    def __init__(self, options: CleanupOptions) -> None:
        self.matcher = Matcher.for_categories(options.categories)
        self.max_depth = options.max_depth
        self.exclude: pathspec.GitIgnoreSpec | None = None
        if options.exclude:
            import pathspec  # noqa: PLC0415  # only when there are patterns

            self.exclude = pathspec.GitIgnoreSpec.from_lines(options.exclude)
        self.keep_node_modules = Category.node_modules not in options.categories
        self.tracked = TrackedIndex()
        self.candidates: list[Candidate] = []
        self.skipped: list[Skipped] = []
        self.scanned = 0
        self.base = ""

    def _excluded(self, full: str, is_dir: bool) -> bool:  # noqa: FBT001  # a callback
        """Whether ``full`` (below the base being walked) matches an --exclude pattern."""
        assert self.exclude is not None  # noqa: S101  # only called when there are patterns
        relative = full[len(self.base) + 1 :] + ("/" if is_dir else "")
        return self.exclude.match_file(relative)

    def _consider(
        self, full: str, category: Category, kind: EntryKind, entry: os.DirEntry[str]
    ) -> bool:
        """Plan ``full`` for removal, or record why not; return whether it was planned."""
        if self.tracked.covers(full):
            self.skipped.append(
                Skipped.model_construct(path=full, reason=SkipReason.tracked, category=category)
            )
            return False
        if kind is EntryKind.directory:
            size, entries, reason = _measure(
                full,
                container=entry.name in VENV_CONTAINERS,
                excluded=self._excluded if self.exclude is not None else None,
            )
            if reason is not None:
                self.skipped.append(
                    Skipped.model_construct(path=full, reason=reason, category=category)
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
                self._consider(full, category, EntryKind.symlink, entry)
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
        return not self._consider(full, category, kind, entry) and is_dir

    def walk(self, base: str, progress: Progress) -> None:  # noqa: C901, PLR0912  # the hot loop, kept flat
        """Walk ``base`` depth first, collecting candidates and skips.

        The common entry (a directory or file that matches nothing) costs one ``d_type`` check
        and one dictionary or pattern look-up; everything else goes to :meth:`_entry`.
        """
        self.base = base
        self.tracked.load_enclosing(Path(base))
        match_directory, match_file = self.matcher.match_directory, self.matcher.match_file
        plain = self.exclude is None
        ignored = NEVER_ENTERED | ({"node_modules"} if self.keep_node_modules else frozenset())
        stack = [(base, 0)]
        push = stack.append
        while stack:
            directory, depth = stack.pop()
            try:
                with os.scandir(directory) as listing:
                    entries = list(listing)
            except FileNotFoundError:
                continue
            except OSError as exc:
                self.skipped.append(
                    Skipped.model_construct(
                        path=directory, reason=SkipReason.unreadable, detail=exc.strerror
                    )
                )
                continue
            self.scanned += len(entries)
            progress.advance(len(entries))
            names = {entry.name for entry in entries}
            if is_virtualenv(names):
                self.skipped.append(
                    Skipped.model_construct(path=directory, reason=SkipReason.virtual_environment)
                )
                continue
            if ".git" in names and directory != base:
                self.tracked.load(Path(directory))
            has_marker = not names.isdisjoint(PROJECT_MARKERS)
            deeper = self.max_depth is None or depth + 1 < self.max_depth
            for entry in entries:
                name = entry.name
                if name in ignored:
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        category = match_directory(name)
                        if category is None and plain:
                            if deeper:
                                push((f"{directory}/{name}", depth + 1))
                            continue
                    else:
                        category = match_file(name)
                        if category is None and plain and not entry.is_symlink():
                            continue
                    full = f"{directory}/{name}"
                    if self._entry(full, entry, category, has_marker=has_marker) and deeper:
                        push((full, depth + 1))
                except OSError:
                    continue  # vanished while we looked


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
                hint="pass --allow-outside-root (and confirm) to clean it too",
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
    return CleanupPlan(
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
