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

from hephaestus.analytics import churn as git
from hephaestus.analytics import history
from hephaestus.analytics.complexity import Measuring
from hephaestus.analytics.coverage import MISSING_HINT, find_coverage, read_coverage
from hephaestus.analytics.models import (
    CoverageData,
    MissingData,
    Window,
)
from hephaestus.analytics.shallow import cut_inside, shallow_boundary
from hephaestus.analytics.store import Store, Tally, open_memory_store, open_store
from hephaestus.analytics.tree import (
    ComplexityWork,
    TreeFile,
    finish_complexity,
    list_tree,
    plan_complexity,
)
from hephaestus.core import telemetry
from hephaestus.core.errors import field_ref
from hephaestus.core.instruments import ANALYTICS_COMMITS
from hephaestus.core.progress import NO_PROGRESS, Progress

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from hephaestus.analytics.complexity import FileComplexity
    from hephaestus.analytics.history import FileChurn
    from hephaestus.analytics.settings import AnalyticsSection


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    """What to read. ``None`` values fall back to ``[tool.hephaestus.analytics]``."""

    since: str | None = None
    paths: tuple[str, ...] = ()
    """gitignore-style patterns narrowing the files further (a request's ``paths``)."""
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
    large: frozenset[str] = frozenset()
    """The window's commits left out as large (more files than ``large-commit``)."""
    cut: frozenset[str] = frozenset()
    """A shallow clone's cut (:mod:`.shallow`): commits no analysis counts."""
    missing: list[MissingData] = field(default_factory=list)


def _left_out(unnamed: list[str], shown: int = 3) -> MissingData:
    """Say which files were left out because their names are not UTF-8."""
    names = ", ".join(unnamed[:shown])
    if len(unnamed) > shown:
        names += f" and {len(unnamed) - shown} more"
    return MissingData(
        factor="paths",
        message=f"{len(unnamed)} file name(s) not valid UTF-8, left out: {names}",
        hint="rename them: the analytics store and report file names as UTF-8 text",
    )


SHALLOW_HINT = "git fetch --unshallow (in CI: fetch-depth: 0), then run again"


def _history_gaps(root: Path, *, since: int, total: int, cut: tuple[str, ...]) -> list[MissingData]:
    """Say when the history read is not the whole window: a shallow clone, or no commit."""
    gaps = []
    if cut_inside(root, cut, since=since):
        gaps.append(
            MissingData(
                factor="history",
                message=f"shallow clone: only the {total} commit(s) after the cut are counted"
                " (the commits at the cut, which git shows as adding every file, are left out);"
                " the history before it is not in this repository",
                hint=SHALLOW_HINT,
            )
        )
    if total == 0:
        gaps.append(
            MissingData(
                factor="history",
                message=f"no commits since {git.iso(since)}: revisions and coupling are unknown",
                hint=f"widen {field_ref('since')} to a window that holds commits",
            )
        )
    return gaps


@contextmanager
def analysis_store(root: Path, *, persist: bool) -> Iterator[Store]:
    """Open the store of ``root`` (``persist``), or a throw-away one in memory.

    The whole analysis is one transaction: what it caches is stored only if it succeeds.
    Outside a git work tree nothing is opened, so no state directory is left behind.

    Raises:
        UsageError: ``root`` is not in a git work tree (exit 2).

    """
    git.require_repository(root)
    with open_store(root) if persist else open_memory_store() as store, store.transaction():
        yield store


def collect(
    root: Path,
    *,
    section: AnalyticsSection,
    options: AnalysisOptions,
    store: Store,
    progress: Progress = NO_PROGRESS,
) -> Inputs:
    """Measure the repository at ``root`` (checked by :func:`analysis_store`) as ``options`` ask.

    Raises:
        UsageError: a bad ``since``, or a bad coverage file (exit 2).
        ExternalError: git failed (exit 5).

    """
    since = git.parse_since(options.since or section.since)
    head = git.head_commit(root)
    cut = shallow_boundary(root)
    missing: list[MissingData] = []

    def survey() -> tuple[list[TreeFile], ComplexityWork, Measuring]:
        # The current tree is listed and its new files parsed (in a worker process when many)
        # while git walks the history and this process reads it: the three share the cores.
        files, unnamed = list_tree(root, section, options.paths)
        if unnamed:
            missing.append(_left_out(unnamed))
        if options.paths and not files:  # else it reads as a quiet window
            shown = ", ".join(options.paths)
            missing.append(
                MissingData(
                    factor="paths",
                    message=f"no analysed file matches the patterns {shown}",
                    hint=f"give {field_ref('paths')} gitignore-style patterns, relative to the "
                    "root, of tracked files the include setting covers (default *.py)",
                )
            )
        work = plan_complexity(root, files, store)
        return files, work, Measuring.start(root, work.todo)

    fetched, tally = 0, Tally()
    if head is None:
        files, work, measuring = survey()
        missing.append(MissingData(factor="history", message="the repository has no commits yet"))
    else:
        with telemetry.span("analytics history") as span:  # git's parts are its children
            fetched, tally, (files, work, measuring) = history.update(
                store, root, head=head, since=since, large=section.large_commit,
                lines=options.lines, progress=progress, meanwhile=survey, cut=cut,
            )  # fmt: skip
            span.set_attributes({"hephaestus.analytics.commits": fetched})
        telemetry.record(ANALYTICS_COMMITS, fetched)
    with telemetry.span("analytics complexity") as span:
        complexity, unreadable = finish_complexity(work, measuring.result(), store)
        span.set_attributes({"hephaestus.analytics.files": len(complexity)})
    churn = history.file_churn(tally, lines=options.lines)
    total, large = store.window_counts(since=since, large=section.large_commit)
    if head is not None:
        missing.extend(_history_gaps(root, since=since, total=total, cut=cut))
    missing.extend(
        MissingData(
            factor="complexity",
            message=f"{path}: not readable as Python source",
            hint="not UTF-8, not valid Python, or nested too deeply to parse: left out",
        )
        for path in unreadable
    )
    coverage = None
    source = options.coverage or (find_coverage(root) if options.want_coverage else None)
    if source is not None:
        with telemetry.span("analytics coverage"):
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
        since=git.iso(since), head=head, commits=total, large_commits=len(large), fetched=fetched
    )
    return Inputs(
        root=root,
        section=section,
        window=window,
        files=[f.path for f in files if f.path in complexity],
        churn={p: c for p, c in churn.items() if p in complexity},
        complexity=complexity,
        coverage=coverage,
        ingested=store.path_metrics(),
        since=since,
        large=large,
        cut=frozenset(cut),
        missing=missing,
    )
