"""Function-level hotspots: which functions of the top hotspot files changed, in how many commits.

An approximation from ONE extra ``git log`` limited to the top files (never the whole log):
``git log -U0 --format=<marker>%H --since=<window start> HEAD -- <top files>`` with git's
``python`` diff driver for ``*.py`` (a temporary ``core.attributesFile`` holding
``*.py diff=python``), so each hunk header names the nearest ``def``/``class`` line above the
hunk, indented methods included. A hunk names that function, unless its first non-blank
changed line is itself a ``def``, ``class`` or decorator; it also names each function whose
``def`` line it changes (so the commit creating a function counts for it, as ``git log -L``
would). Per file, a function's count is the number of distinct commits with a hunk naming
it; commits the history pass leaves out as large
(more files than ``large-commit``) are skipped, and merges show no diff, as in that pass.

Names are matched onto the functions of the current tree (:mod:`.complexity`) by their last
part: a header ``def size(`` counts for ``Box.size``. Approximate, and said in the reference:

- a hunk is attributed by where it starts (git searches upwards from the line before it): a
  hunk starting in one function and running into the next names only the first, unless it
  changes the next one's ``def`` line; a hunk changing only a decorator names no function;
- a hunk in a class body outside its methods names the class, not a function: not counted;
  a hunk after a nested function inside its outer one is attributed to the nested one;
- functions sharing a last name in one file (``A.size`` and ``B.size``) each count the commit;
- renames are not followed: changes made under an older path are not counted;
- a function changed and since deleted or renamed is not listed (only current names match).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from hephaestus.analytics.churn import GIT_HINT, LOG_TIMEOUT
from hephaestus.core.git import stream_git

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from collections.abc import Set as AbstractSet

    from hephaestus.analytics.analysis import Inputs
    from hephaestus.analytics.complexity import FileComplexity

_MARKER: Final = "\x01"
_DEFINITION: Final = re.compile(r"^\s*(?:async\s+)?def\s+([A-Za-z_]\w*)")
_HUNK: Final = re.compile(r"^@@ [^@]* @@ ?(.*)$")
_BOUNDARY: Final = re.compile(r"^\s*(?:@|class\s|(?:async\s+)?def\s)")


def hunk_names(
    root: Path, *, head: str, since: int, paths: list[str], timeout: float = LOG_TIMEOUT
) -> Iterator[tuple[str, str, str]]:
    """Run the one ``git log`` of ``paths``; yield what :func:`named_hunks` finds in it.

    Raises:
        ToolNotFoundError: git is not installed.
        ExternalError: git failed (exit 5).

    """
    if not paths:
        return
    handle, attributes = tempfile.mkstemp(prefix="hephaestus-attributes-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as written:
            written.write("*.py diff=python\n")
        lines = stream_git(
            root, "--literal-pathspecs", "-c", f"core.attributesFile={attributes}",
            "-c", "log.showSignature=false",
            "log", "-U0", "--no-color", "--no-ext-diff", "--no-renames", "--src-prefix=a/",
            "--dst-prefix=b/",
            f"--format={_MARKER}%H", f"--since=@{since} +0000", head, "--", *paths,
            timeout=timeout, separator=b"\n", install_hint=GIT_HINT,
        )  # fmt: skip
        yield from named_hunks(lines)
    finally:
        Path(attributes).unlink()


def named_hunks(lines: Iterable[str]) -> Iterator[tuple[str, str, str]]:  # noqa: C901  # one state machine
    """Yield (commit, path, function name) from ``git log -U0`` output with python hunk headers.

    A hunk names the function of its header, unless its first non-blank changed line is
    itself a ``def``, ``class`` or decorator (the change starts a definition, not the one
    above); and every function whose ``def`` line is among its changed lines.
    """
    commit = path = ""
    hunk: _Hunk | None = None
    for line in lines:
        if line.startswith((_MARKER, "diff --git ", "@@")):
            for name in _rest(hunk):
                yield commit, path, name
            hunk = None
            if line.startswith(_MARKER):
                commit, path = line[1:].strip(), ""
            elif line.startswith("diff --git "):
                path = ""
            elif path and (match := _HUNK.match(line)):
                found = _DEFINITION.match(match.group(1))
                hunk = _Hunk(found.group(1) if found else "")
        elif hunk is None:
            if line.startswith("+++ "):
                path = line[6:] if line.startswith("+++ b/") else ""
        elif line[:1] in {"+", "-"}:
            for name in hunk.names(line[1:]):
                yield commit, path, name
    for name in _rest(hunk):
        yield commit, path, name


def _rest(hunk: _Hunk | None) -> list[str]:
    """Return the header's function of a hunk that changed only blank lines, if any."""
    return [hunk.header] if hunk is not None and hunk.pending and hunk.header else []


@dataclass(slots=True)
class _Hunk:
    """One hunk being read: its header's function, until its first changed line decides."""

    header: str
    pending: bool = True

    def names(self, text: str) -> list[str]:
        """Return the functions one changed line (without its +/-) names."""
        found = []
        if self.pending and text.strip():
            self.pending = False
            if self.header and not _BOUNDARY.match(text):
                found.append(self.header)
        if name := _DEFINITION.match(text):
            found.append(name.group(1))
        return found


def function_commits(
    hunks: Iterable[tuple[str, str, str]],
    complexity: dict[str, FileComplexity],
    *,
    skipped: AbstractSet[str],
) -> dict[tuple[str, str], int]:
    """Count distinct commits per (path, qualified function name) of the current tree.

    A hunk's name matches every current function of its file with that last name part;
    commits in ``skipped`` (large ones) are not counted.
    """
    by_name: dict[str, dict[str, list[str]]] = {}
    for path, measured in complexity.items():
        names: dict[str, list[str]] = defaultdict(list)
        for fn in measured.functions:
            names[fn.name.rpartition(".")[2]].append(fn.name)
        by_name[path] = names
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for commit, path, name in hunks:
        if commit in skipped:
            continue
        for qualified in by_name.get(path, {}).get(name, ()):
            seen[path, qualified].add(commit)
    return {key: len(commits) for key, commits in seen.items()}


def changed_functions(inputs: Inputs, paths: Iterable[str]) -> dict[tuple[str, str], int]:
    """Each function of ``paths`` changed in the window: (path, name) -> its commits.

    One ``git log`` of those files (:func:`hunk_names`), the window's large commits skipped;
    nothing is read when no path is given or the repository has no commits.

    Raises:
        ExternalError: git failed (exit 5).

    """
    chosen = list(dict.fromkeys(paths))
    head = inputs.window.head
    if not chosen or head is None:
        return {}
    hunks = hunk_names(inputs.root, head=head, since=inputs.since, paths=chosen)
    measured = {path: inputs.complexity[path] for path in chosen}
    # A shallow clone's cut shows as adding every function it holds: never counted.
    return function_commits(hunks, measured, skipped=inputs.large | inputs.cut)
