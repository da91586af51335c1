"""Execute a plan: remove exactly its candidates, re-checking each one just before removal.

Removal is fd-relative: each candidate's parent is opened from its base one component at a
time with ``O_NOFOLLOW`` (never crossing a mount), and trees are removed through descriptors
by :func:`hephaestus.cleanup.removal.remove_entry`, re-checking on the way what the plan checked
(nested repositories, environments, state, excludes). Outcomes go to the journal as they
happen.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Final

from hephaestus.cleanup.audit import Journal
from hephaestus.cleanup.lock import cleanup_lock
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
from hephaestus.cleanup.patterns import VENV_CONTAINERS, compile_exclude
from hephaestus.cleanup.removal import remove_entry
from hephaestus.core.fs import DIRECTORY_FLAGS, MOUNT_POINT, VENV_MARKERS, open_directory
from hephaestus.core.progress import NO_PROGRESS, Progress

if TYPE_CHECKING:
    from collections.abc import Callable

    import pathspec

REMOVAL_WORKERS = min(8, os.cpu_count() or 1)
"""Parent directories worked on at once: 8 overlapped a disk's waits best, but more threads
than CPUs fight over the GIL when the filesystem does not wait (tmpfs, a warm cache: 2 M
futex calls for 200k entries with 8 threads on 2 CPUs, and 40 % more time than one)."""
UNIT: Final = 64
"""Candidates of one parent handled by one worker at once (interruptions wait for no more)."""
LOCK_TIMEOUT: Final = 60.0

Outcome = Removal | Skipped | RemovalError


def _kind(mode: int) -> EntryKind:
    if stat.S_ISLNK(mode):
        return EntryKind.symlink
    return EntryKind.directory if stat.S_ISDIR(mode) else EntryKind.file


def _guard(
    relative_top: str, *, container: bool, exclude: pathspec.GitIgnoreSpec | None
) -> Callable[[str, list[os.DirEntry[str]]], str | None]:
    """Build the check the removal makes in each directory of a candidate (as the plan did)."""

    def guard(relative: str, entries: list[os.DirEntry[str]]) -> str | None:
        names = {entry.name for entry in entries}
        if ".git" in names:
            return "holds a git repository"
        if ".hephaestus" in names:
            return "holds hephaestus state"
        if (not relative or not container) and not VENV_MARKERS.isdisjoint(names):
            return "holds a virtual environment"
        if exclude is not None:
            here = f"{relative_top}/{relative}" if relative else relative_top
            for entry in entries:
                slash = "/" if entry.is_dir(follow_symlinks=False) else ""
                if exclude.match_file(f"{here}/{entry.name}{slash}"):
                    return "matches an exclude pattern"
        return None

    return guard


class _Execution:
    """One execution: base descriptors, the journal, the stop signal, every outcome so far."""

    def __init__(self, plan: CleanupPlan, journal: Journal | None) -> None:
        self.plan, self.journal = plan, journal
        self.stop = threading.Event()
        self.outcomes: list[tuple[int, Outcome]] = []
        """Each outcome with its candidate's index, appended as it happens (by the workers):
        the report is built from it, so an interruption at any point reports every removal."""
        self._lock = threading.Lock()
        self._idle = threading.Condition()
        self._active = 0  # units being worked on: quiesce() waits until none is
        self.exclude = compile_exclude(plan.options.exclude)
        self.bases: dict[str, tuple[int, int]] = {}

    def open_bases(self) -> None:
        for base in sorted(self.plan.bases, key=len, reverse=True):
            fd = os.open(base, DIRECTORY_FLAGS)
            self.bases[base] = (fd, os.fstat(fd).st_dev)

    def close(self) -> None:
        for fd, _ in self.bases.values():
            os.close(fd)
        self.bases.clear()

    def units(self) -> list[tuple[str, str, list[int]]]:
        """Candidates grouped by (base, parent directory relative to it), in plan order."""
        groups: dict[tuple[str, str], list[int]] = {}
        for index, candidate in enumerate(self.plan.candidates):
            base = next(b for b in self.bases if candidate.path.startswith(b + "/"))
            parent = candidate.path[len(base) + 1 :].rpartition("/")[0]
            groups.setdefault((base, parent), []).append(index)
        return [
            (base, parent, indices[i : i + UNIT])
            for (base, parent), indices in groups.items()
            for i in range(0, len(indices), UNIT)
        ]

    def _record(self, index: int, outcome: Outcome) -> tuple[int, Outcome]:
        with self._lock:
            self.outcomes.append((index, outcome))
        if self.journal is not None:
            self.journal.record(outcome)
        return index, outcome

    def _open_parent(self, base: str, parent: str) -> tuple[int, str | None]:
        """Open ``parent`` below ``base`` one component at a time; or say why it cannot be."""
        base_fd, device = self.bases[base]
        fd = base_fd
        try:
            for part in parent.split("/") if parent else ():
                child = open_directory(part, dir_fd=fd)
                if fd != base_fd:
                    os.close(fd)
                fd = child
                if os.fstat(fd).st_dev != device:
                    return fd, f"a parent directory is now {MOUNT_POINT}"
        except FileNotFoundError:
            return fd, "vanished"
        except OSError as exc:
            return fd, f"a parent directory is now a symlink or unreadable ({exc.strerror})"
        return fd, None

    def quiesce(self) -> None:
        """Stop: wait until no unit is being worked on, and let none begin (idempotent).

        The pool's own shutdown is not enough: an interrupt landing inside ``submit`` can
        leave a started worker thread the pool does not know of, and does not wait for.
        """
        with self._idle:
            self.stop.set()
            self._idle.wait_for(lambda: self._active == 0)

    def run_unit(self, unit: tuple[str, str, list[int]]) -> list[tuple[int, Outcome]]:
        """Remove the candidates of one parent directory; stop early when asked to."""
        with self._idle:
            if self.stop.is_set():
                return []
            self._active += 1
        try:
            return self._run_unit(unit)
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def _run_unit(self, unit: tuple[str, str, list[int]]) -> list[tuple[int, Outcome]]:
        base, parent, indices = unit
        base_fd, device = self.bases[base]
        fd, problem = self._open_parent(base, parent)
        done: list[tuple[int, Outcome]] = []
        try:
            for index in indices:
                if self.stop.is_set():
                    break
                candidate = self.plan.candidates[index]
                outcome: Outcome
                if problem == "vanished":
                    outcome = Skipped(
                        path=candidate.path, reason=SkipReason.vanished, category=candidate.category
                    )
                elif problem is not None:
                    outcome = Skipped(
                        path=candidate.path,
                        reason=SkipReason.changed,
                        category=candidate.category,
                        detail=problem,
                    )
                else:
                    outcome = self._remove(fd, device, candidate, base)
                done.append(self._record(index, outcome))
        finally:
            if fd != base_fd:
                os.close(fd)
        return done

    def _remove(self, parent_fd: int, device: int, candidate: Candidate, base: str) -> Outcome:
        path = candidate.path
        name = path.rpartition("/")[2]
        try:
            kind = _kind(os.stat(name, dir_fd=parent_fd, follow_symlinks=False).st_mode)
        except FileNotFoundError:
            return Skipped(path=path, reason=SkipReason.vanished, category=candidate.category)
        if kind is not candidate.kind:
            return Skipped(
                path=path,
                reason=SkipReason.changed,
                category=candidate.category,
                detail=f"was a {candidate.kind.value}, now a {kind.value}",
            )
        if kind is EntryKind.directory:
            guard = _guard(
                path[len(base) + 1 :], container=name in VENV_CONTAINERS, exclude=self.exclude
            )
            failures = remove_entry(
                parent_fd, name, device=device, path=path, guard=guard, directory=True
            )
        else:
            failures = []
            try:
                os.unlink(name, dir_fd=parent_fd)
            except FileNotFoundError:
                return Skipped(path=path, reason=SkipReason.vanished, category=candidate.category)
            except OSError as exc:
                failures = [f"{path}: {exc.strerror or exc}"]
        if failures:
            more = f" (and {len(failures) - 5} more)" if len(failures) > 5 else ""  # noqa: PLR2004
            return RemovalError(path=path, message="; ".join(failures[:5]) + more)
        return Removal(path=path, category=candidate.category, kind=kind, size=candidate.size)


def execute_cleanup(  # noqa: PLR0913  # keyword-only knobs of one operation
    plan: CleanupPlan,
    *,
    run_id: str,
    manifest: Path | None,
    progress: Progress = NO_PROGRESS,
    workers: int = REMOVAL_WORKERS,
    lock_timeout: float = LOCK_TIMEOUT,
) -> CleanupReport:
    """Remove every candidate of ``plan`` and return what happened.

    The manifest (when given) is opened first, so an unwritable location is refused before
    anything is removed; outcomes are appended to it as they happen, and at the end it is
    replaced by the report. An interruption (``KeyboardInterrupt``, SIGTERM in the console
    script) lets the removals in flight finish, writes the report with ``complete=False`` and
    re-raises. Only one execution per root runs at a time (:func:`cleanup_lock`, taken when
    there is anything to remove).

    Each path is re-checked just before removal through descriptors: a path whose type changed,
    or whose parent became a symlink or a mount point, is skipped; a vanished path is fine; a
    permission error is recorded and the run goes on. Candidates never overlap, so up to
    ``workers`` parent directories are worked on at once; the report lists outcomes in plan
    order.

    Raises:
        UsageError: the manifest cannot be created (nothing was removed).
        ExternalError: another cleanup of the same root held the lock for ``lock_timeout``.

    """
    started = time.perf_counter()
    journal = (
        Journal.open(manifest, run_id=run_id, root=plan.root, options=plan.options)
        if manifest is not None
        else None
    )
    execution = _Execution(plan, journal)

    def report(*, complete: bool) -> CleanupReport:
        outcomes = [o for _, o in sorted(execution.outcomes, key=lambda pair: pair[0])]
        removed = [o for o in outcomes if isinstance(o, Removal)]
        return CleanupReport(
            run_id=run_id,
            root=plan.root,
            bases=plan.bases,
            options=plan.options,
            removed=removed,
            skipped=[*plan.skipped, *(o for o in outcomes if isinstance(o, Skipped))],
            errors=[o for o in outcomes if isinstance(o, RemovalError)],
            totals=totals_of(removed),
            plan_seconds=plan.seconds,
            delete_seconds=time.perf_counter() - started,
            manifest=str(manifest) if manifest else None,
            complete=complete,
        )

    progress.start(len(plan.candidates))
    final: CleanupReport | None = None
    try:
        lock = (
            cleanup_lock(Path(plan.root), timeout=lock_timeout)
            if plan.candidates
            else contextlib.nullcontext()
        )
        with lock:
            execution.open_bases()
            pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="cleanup")
            try:
                futures = [pool.submit(execution.run_unit, u) for u in execution.units()]
                for future in as_completed(futures):
                    progress.advance(len(future.result()))
            except BaseException:
                execution.quiesce()  # removals in flight finish and are recorded
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            finally:
                pool.shutdown(wait=True)
        final = report(complete=True)
        if journal is not None:
            journal.finish(final)
    except BaseException:
        # Also when the signal lands after the last removal, or inside finish: the manifest is
        # (re)written from every recorded outcome, complete only if every candidate was done.
        execution.quiesce()  # wherever it landed, nothing is removed after this
        if journal is not None:
            journal.finish(final or report(complete=False))
        raise
    finally:
        execution.close()
    return final
