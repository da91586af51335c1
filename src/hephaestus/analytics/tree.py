"""The current tree: the selected tracked files with their git blob ids, and their complexity.

Blob ids come from the index (``git ls-files -s``); a file the work tree changed since
(``git diff-files``), a symbolic link or an unmerged path is read and hashed the way git
would. Complexity is cached in the store by blob id, so a run reads and parses only files whose
content it has not measured before; :func:`plan_complexity` finds those, the caller measures
them (beside the history pass) and :func:`finish_complexity` caches the results.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pathspec

from hephaestus.analytics.churn import is_text
from hephaestus.analytics.complexity import blob_id, from_cache
from hephaestus.analytics.measure import UNMEASURABLE, measure
from hephaestus.core.errors import UsageError, field_ref
from hephaestus.core.fs import display_path
from hephaestus.core.git import stream_git

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from hephaestus.analytics.complexity import FileComplexity
    from hephaestus.analytics.settings import AnalyticsSection
    from hephaestus.analytics.store import Store

_REGULAR = frozenset({"100644", "100755"})


@dataclass(frozen=True, slots=True)
class TreeFile:
    """A selected file: its path and blob id (``None``: read the work tree to know it)."""

    path: str
    blob: str | None


@dataclass(slots=True)
class ComplexityWork:
    """Measurements found in the cache, and the files still to measure (one per blob)."""

    measured: dict[str, FileComplexity] = field(default_factory=dict)
    fresh: dict[str, str] = field(default_factory=dict)
    """Cached form (JSON) of what was measured here, by blob id."""
    todo: list[str] = field(default_factory=list)
    """One path per blob still to measure, read from the work tree."""
    blobs: list[str] = field(default_factory=list)
    """Blob id of each ``todo`` entry."""
    paths: dict[str, list[str]] = field(default_factory=dict)
    """Every selected path of each blob still to measure."""
    unreadable: list[str] = field(default_factory=list)


def narrowing(extra: Sequence[str]) -> pathspec.GitIgnoreSpec | None:
    """Compile a request's ``paths`` patterns.

    Raises:
        UsageError: a pattern is not gitignore syntax (a lone trailing backslash): exit 2.

    """
    if not extra:
        return None
    try:
        return pathspec.GitIgnoreSpec.from_lines(extra)
    except ValueError as exc:  # pathspec's pattern error is a ValueError
        raise UsageError(
            f"{field_ref('paths')}: invalid pattern: {exc}",
            hint="use gitignore syntax (https://git-scm.com/docs/gitignore#_pattern_format)",
            code="invalid-pattern",
        ) from None


def list_tree(
    root: Path, section: AnalyticsSection, extra: Sequence[str]
) -> tuple[list[TreeFile], list[str]]:
    r"""Tracked files matching the include/exclude globs and ``extra``, sorted by path.

    Returns them, and the matching names that are not UTF-8 (shown with ``\xNN`` escapes):
    those are left out, as no store, terminal or JSON document can hold them as text.
    """
    include = pathspec.GitIgnoreSpec.from_lines(section.include)
    exclude = pathspec.GitIgnoreSpec.from_lines(section.exclude)
    narrow = narrowing(extra)
    entries: dict[str, str | None] = {}
    for record in stream_git(root, "ls-files", "-s", "-z", timeout=120):
        info, _, path = record.partition("\t")
        mode, blob, stage = info.split(" ")
        entries[path] = blob if mode in _REGULAR and stage == "0" else None
    changed = stream_git(root, "diff-files", "--name-only", "-z", timeout=120)
    for path in changed:
        if path in entries:
            entries[path] = None
    selected = set(include.match_files(entries))
    selected -= set(exclude.match_files(selected))
    if narrow is not None:
        selected = set(narrow.match_files(selected))
    unnamed = sorted(display_path(p) for p in selected if not is_text(p))
    named = sorted(p for p in selected if is_text(p)) if unnamed else sorted(selected)
    return [TreeFile(path, entries[path]) for path in named], unnamed


def plan_complexity(root: Path, files: Sequence[TreeFile], store: Store) -> ComplexityWork:
    """Look every file's blob up in the cache; list the blobs still to measure."""
    work = ComplexityWork()
    length = next((len(f.blob) for f in files if f.blob), 40)
    blobs: dict[str, str] = {}
    contents: dict[str, bytes] = {}
    for file in files:
        if file.blob is not None:
            blobs[file.path] = file.blob
            continue
        try:
            data = (root / file.path).read_bytes()
        except OSError:
            work.unreadable.append(file.path)
            continue
        blobs[file.path] = blob = blob_id(data, length=length)
        contents[blob] = data
    cached = store.cached_complexity(blobs.values())
    for path, blob in blobs.items():
        known = cached.get(blob)
        if known is None and blob in contents:  # changed in the work tree: few, measured now
            try:
                known = measure(path, contents[blob].decode("utf-8"))
            except UNMEASURABLE:
                work.unreadable.append(path)
                continue
            cached[blob] = known
            work.fresh[blob] = json.dumps(known)
        if known is not None:
            work.measured[path] = from_cache(path, known)
        elif blob in work.paths:
            work.paths[blob].append(path)
        else:
            work.paths[blob] = [path]
            work.blobs.append(blob)
            work.todo.append(path)
    return work


def finish_complexity(
    work: ComplexityWork, results: Sequence[tuple[list[Any], str] | None], store: Store
) -> tuple[dict[str, FileComplexity], list[str]]:
    """Cache the new measurements; return every file's measurement and the unreadable paths."""
    fresh = dict(work.fresh)
    measured = dict(work.measured)
    unreadable = list(work.unreadable)
    for blob, found in zip(work.blobs, results, strict=True):
        paths = work.paths[blob]
        if found is None:
            unreadable.extend(paths)
            continue
        data, fresh[blob] = found
        result = from_cache(paths[0], data)
        for path in paths:
            measured[path] = result if path == result.path else result.at(path)
    store.cache_complexity(fresh)
    return measured, sorted(unreadable)
