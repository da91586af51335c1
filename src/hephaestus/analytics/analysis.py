"""Gather what every analytics command reads: churn, complexity, coverage, ingested metrics.

History comes through the store's commit cache: the first run reads the window with one
``git log`` pass; later runs read only the commits added since the cached HEAD (or start over
when history was rewritten, the window grew, or line counts are needed for the first time).
With ``store=False`` the same cache lives in memory and nothing is written.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pathspec

from hephaestus.analytics import churn as git
from hephaestus.analytics.complexity import measure_tree
from hephaestus.analytics.coverage import MISSING_HINT, find_coverage, read_coverage
from hephaestus.analytics.models import (
    CoverageData,
    FileChurn,
    FileComplexity,
    MissingData,
    Window,
)
from hephaestus.analytics.store import Store, open_memory_store, open_store
from hephaestus.core.proc import stream_records
from hephaestus.core.progress import NO_PROGRESS, Progress

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

    from hephaestus.core.config import AnalyticsSection


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    """What to read. ``None`` values fall back to ``[tool.hephaestus.analytics]``."""

    since: str | None = None
    paths: tuple[str, ...] = ()
    """gitignore-style patterns narrowing the files further (--path)."""
    lines: bool = False
    """Read line counts (--numstat) too: needed by rankings and coverage risk."""
    coverage: Path | None = None
    """Coverage file to read (default: the newest one found in the root)."""
    want_coverage: bool = False
    store: bool = True


@dataclass(slots=True)
class Inputs:
    """Everything measured for one analysis, keyed by path (current tree, filtered)."""

    root: Path
    section: AnalyticsSection
    window: Window
    files: list[str]
    churn: dict[str, FileChurn]
    complexity: dict[str, FileComplexity]
    coverage: CoverageData | None
    ingested: dict[str, dict[str, float]]
    since: int
    missing: list[MissingData] = field(default_factory=list)


def _selected(root: Path, section: AnalyticsSection, extra: Sequence[str]) -> list[str]:
    include = pathspec.GitIgnoreSpec.from_lines(section.include)
    exclude = pathspec.GitIgnoreSpec.from_lines(section.exclude)
    narrow = pathspec.GitIgnoreSpec.from_lines(extra) if extra else None
    tracked = stream_records(
        ["git", "-c", "core.quotepath=off", "ls-files", "-z"], cwd=root, timeout=120
    )
    return sorted(
        path
        for path in tracked
        if include.match_file(path)
        and not exclude.match_file(path)
        and (narrow is None or narrow.match_file(path))
    )


def _update_history(  # noqa: PLR0913  # keyword-only, each needed
    store: Store, root: Path, *, head: str, since: int, lines: bool, progress: Progress
) -> int:
    """Bring the commit cache up to ``head``; return the number of commits read from git."""
    state = store.history()
    if (
        state is not None
        and state.since <= since
        and (state.lines or not lines)
        and (state.head == head or git.is_ancestor(root, state.head, head))
    ):
        if state.head == head:
            return 0
        reader = git.LogReader(root, lines=state.lines, revisions=f"{state.head}..{head}")
        progress.note(f"reading commits since {state.head[:12]}")
        return store.save_history(
            reader.commits(),
            head=head,
            since=state.since,
            lines=state.lines,
            replace=False,
            aliases=reader.aliases,
        )
    reader = git.LogReader(root, lines=lines, since=since, revisions=head)
    progress.note("reading history")
    return store.save_history(reader.commits(), head=head, since=since, lines=lines, replace=True)


def _churn(
    store: Store,
    section: AnalyticsSection,
    since: int,
    lines: bool,  # noqa: FBT001  # private helper
) -> dict[str, FileChurn]:
    return {
        path: FileChurn(
            path=path,
            commits=commits,
            added=added if lines else None,
            removed=removed if lines else None,
            authors=authors,
            last_change=git.iso(last),
        )
        for path, commits, added, removed, authors, last in store.churn(
            since=since, large=section.large_commit
        )
    }


@contextmanager
def analysis_store(root: Path, *, persist: bool) -> Iterator[Store]:
    """Open the store of ``root`` (``persist``), or a throw-away one in memory."""
    with open_store(root) if persist else open_memory_store() as store:
        yield store


def collect(
    root: Path,
    *,
    section: AnalyticsSection,
    options: AnalysisOptions,
    store: Store,
    progress: Progress = NO_PROGRESS,
) -> Inputs:
    """Measure the repository at ``root`` as ``options`` ask.

    Raises:
        UsageError: not a git repository, a bad --since, or a bad --coverage file (exit 2).
        ExternalError: git failed (exit 5).

    """
    git.require_repository(root)
    since = git.parse_since(options.since or section.since)
    head = git.head_commit(root)
    missing: list[MissingData] = []
    fetched = 0
    if head is None:
        missing.append(MissingData(factor="history", message="the repository has no commits yet"))
    else:
        fetched = _update_history(
            store, root, head=head, since=since, lines=options.lines, progress=progress
        )
    files = _selected(root, section, options.paths)
    churn = _churn(store, section, since, options.lines) if head else {}
    total, large = store.window_counts(since=since, large=section.large_commit)
    progress.note("measuring complexity")
    complexity, unreadable = measure_tree(root, files, store=store)
    missing.extend(
        MissingData(factor="complexity", message=f"{path}: not readable as Python source")
        for path in unreadable
    )
    coverage = None
    source = options.coverage or (find_coverage(root) if options.want_coverage else None)
    if source is not None:
        coverage = read_coverage(root, source)
    elif options.want_coverage:
        missing.append(
            MissingData(
                factor="coverage",
                message=f"no coverage data in {root} (.coverage, coverage.xml, coverage.json)",
                hint=MISSING_HINT,
            )
        )
    window = Window(
        since=git.iso(since), head=head, commits=total, large_commits=large, fetched=fetched
    )
    return Inputs(
        root=root,
        section=section,
        window=window,
        files=[f for f in files if f in complexity],
        churn={p: c for p, c in churn.items() if p in complexity},
        complexity=complexity,
        coverage=coverage,
        ingested=store.path_metrics(),
        since=since,
        missing=missing,
    )
