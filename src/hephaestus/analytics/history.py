"""Churn per file from the commit cache, brought up to HEAD with only the commits git adds.

The cache holds every commit read (one row each: its paths as one column), and beside it the
per-file tally of one window (start, large-commit limit). A run after new commits reads those
commits from git and adds them to the tally, so its work follows the new commits, not the
history. The tally is recomputed from the cached commits (never from git) when the window or
the limit changed, or when a new commit renamed a file (old changes are relabelled first).
The whole history is read again when ``.mailmap`` changed: cached author names are its names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from hephaestus.analytics import churn as git
from hephaestus.analytics.store import NUL

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from pathlib import Path

    from hephaestus.analytics.store import Store, Tally
    from hephaestus.core.progress import Progress

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FileChurn:
    """History of one file in the window, renames followed, large commits left out.

    ``commits`` are its revisions; ``added`` and ``removed`` lines are ``None`` when line
    counts were not read; ``authors`` counts distinct author names; ``last_change`` is the
    author date of its latest change (ISO 8601 UTC). An internal record, like the tally.
    """

    path: str
    commits: int
    added: int | None
    removed: int | None
    authors: int
    last_change: str


def add_commit(tally: Tally, commit: git.Commit, *, since: int, large: int) -> None:
    """Count ``commit`` in ``tally`` when it is in the window and not a large commit.

    Per path: [commits, lines added, lines removed, last change, set of authors]; a path named
    twice by one commit (two old names of one file) counts that commit once.
    """
    paths = commit.paths
    when = commit.time
    if when < since or len(paths) > large or not paths:
        return
    author = commit.author
    get = tally.get
    for path in dict.fromkeys(paths) if len(paths) > 1 else paths:  # each path once
        entry = get(path)
        if entry is None:
            tally[path] = [1, 0, 0, when, {author}]
            continue
        entry[0] += 1
        if when > entry[3]:  # noqa: PLR1730  # a call to max() costs more in this loop
            entry[3] = when
        authors = entry[4]
        if type(authors) is str:  # as read from the store
            authors = entry[4] = set(authors.split(NUL))
        authors.add(author)
    if commit.lines is not None:
        for path, (added, removed) in zip(paths, commit.lines, strict=True):
            entry = tally[path]
            entry[1] += added
            entry[2] += removed


def _recount(store: Store, *, since: int, large: int) -> Tally:
    tally: Tally = {}
    for commit in store.cached_commits(since=since):
        add_commit(tally, commit, since=since, large=large)
    return tally


def _counted(
    commits: Iterable[git.Commit], tally: Tally, touched: set[str] | None, **window: int
) -> Iterator[git.Commit]:
    for commit in commits:
        add_commit(tally, commit, **window)
        if touched is not None:
            touched.update(commit.paths)
        yield commit


def update(  # noqa: PLR0913  # keyword-only, each needed
    store: Store,
    root: Path,
    *,
    head: str,
    since: int,
    large: int,
    lines: bool,
    progress: Progress,
    meanwhile: Callable[[], T],
    cut: tuple[str, ...],
) -> tuple[int, Tally, T]:
    """Bring the commit cache and the tally up to ``head``; return (commits read, tally, ...).

    ``cut`` is a shallow clone's cut (:func:`~hephaestus.analytics.shallow.shallow_boundary`):
    commits never read.

    ``meanwhile`` runs once git has started, before its output is read: work done there
    overlaps git's pass (the pipe holds its output). Its result is returned third.

    Raises:
        ExternalError: git failed (exit 5).

    """
    with store.transaction():  # the state is read under the write lock: no double counting
        forget_if_mailmap_changed(store, root)
        forget_if_cut_changed(store, cut)
        return _update(
            store, root, head=head, since=since, large=large, lines=lines, progress=progress,
            meanwhile=meanwhile, boundary=cut,
        )  # fmt: skip


def _mailmap_digest(root: Path) -> str:
    """Return the SHA-256 of the work tree's ``.mailmap`` ('' when there is none)."""
    try:
        return hashlib.sha256((root / ".mailmap").read_bytes()).hexdigest()
    except OSError:  # none, or unreadable: git reads none either
        return ""


def forget_if_mailmap_changed(store: Store, root: Path) -> None:
    """Forget the cached history when ``.mailmap`` changed since it was read (in a transaction).

    Cached commits keep the author names ``.mailmap`` gave them when git read them (``%aN``);
    a changed ``.mailmap`` would otherwise merge or rename authors only in new commits.
    """
    digest = _mailmap_digest(root)
    row = store.db.execute("SELECT value FROM meta WHERE key = 'mailmap'").fetchone()
    if (row[0] if row else "") != digest:
        store.db.execute("DELETE FROM meta WHERE key = 'head'")  # the next pass reads it all
        store.db.execute("INSERT OR REPLACE INTO meta VALUES ('mailmap', ?)", (digest,))


def forget_if_cut_changed(store: Store, boundary: tuple[str, ...]) -> None:
    """Forget the cached history when the shallow clone's cut moved (deepened, unshallowed).

    The commits at the cut are never read (:func:`~hephaestus.analytics.shallow.shallow_boundary`)
    and the ones before it were not there: a deeper history must be read again, not continued.
    """
    digest = hashlib.sha256(" ".join(boundary).encode()).hexdigest() if boundary else ""
    row = store.db.execute("SELECT value FROM meta WHERE key = 'shallow'").fetchone()
    if (row[0] if row else "") != digest:
        store.db.execute("DELETE FROM meta WHERE key = 'head'")  # the next pass reads it all
        store.db.execute("INSERT OR REPLACE INTO meta VALUES ('shallow', ?)", (digest,))


def _update(  # noqa: PLR0913  # keyword-only, each needed
    store: Store,
    root: Path,
    *,
    head: str,
    since: int,
    large: int,
    lines: bool,
    progress: Progress,
    meanwhile: Callable[[], T],
    boundary: tuple[str, ...],
) -> tuple[int, Tally, T]:
    state = store.history()
    window = {"since": since, "large": large}
    touched: set[str] = set()
    if (
        state is not None
        and state.since <= since
        and (state.lines or not lines)
        and (state.head == head or git.is_ancestor(root, state.head, head))
    ):
        tally = store.tally(since=since, large=large, lines=state.lines)
        if state.head == head and tally is not None:
            return 0, tally, meanwhile()
        fetched, reader = 0, None
        if state.head != head:
            reader = git.LogReader(
                root, lines=state.lines, revisions=f"{state.head}..{head}", exclude=boundary
            )
            extra = _beside(reader, meanwhile)
            progress.note(f"reading commits since {state.head[:12]}")
            cached = store.last_row()
            fetched = store.add_commits(_counted(reader.commits(), tally or {}, touched, **window))
        else:
            extra = meanwhile()
        if reader is not None and reader.aliases:  # relabel older rows: count again
            renamed = {old: new for old, new in reader.aliases.items() if git.is_text(new)}
            store.relabel(renamed, upto=cached)
            tally = None
        whole = tally is None
        if tally is None:
            tally = _recount(store, since=since, large=large)
        store.save_tally(
            tally, since=since, large=large, lines=state.lines, only=None if whole else touched
        )
        store.set_history(head=head, since=state.since, lines=state.lines)
        return fetched, tally, extra
    reader = git.LogReader(root, lines=lines, since=since, revisions=head, exclude=boundary)
    extra = _beside(reader, meanwhile)
    progress.note("reading history")
    tally = {}
    store.clear_commits()
    fetched = store.add_commits(_counted(reader.commits(), tally, None, **window))
    store.save_tally(tally, since=since, large=large, lines=lines, only=None)
    store.set_history(head=head, since=since, lines=lines)
    return fetched, tally, extra


def _beside(reader: git.LogReader, meanwhile: Callable[[], T]) -> T:
    """Start ``reader``'s git, run ``meanwhile``; stop git if ``meanwhile`` fails."""
    reader.start()
    try:
        return meanwhile()
    except BaseException:
        reader.close()
        raise


def file_churn(tally: Tally, *, lines: bool) -> dict[str, FileChurn]:
    """Per-file churn of a tally (line counts ``None`` unless ``lines``)."""
    return {
        path: FileChurn(
            path=path,
            commits=commits,
            added=added if lines else None,
            removed=removed if lines else None,
            authors=authors.count(NUL) + 1 if type(authors) is str else len(authors),
            last_change=git.iso(last),
        )
        for path, (commits, added, removed, last, authors) in tally.items()
    }
