"""Churn from git: one streamed ``git log`` pass, renames followed, never the whole log in memory.

Revisions need only tree diffs (``--name-status``, as cheap as ``--name-only`` but naming both
sides of a rename); line counts (``--numstat``) are read only when a command needs them. The
log is read newest first, so a rename seen in a commit re-labels every older change of the old
path with the file's current name.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from hephaestus.core.errors import UsageError
from hephaestus.core.proc import run, stream_records

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

GIT_HINT: Final = "install git: the analytics read the repository's history"
_RELATIVE = re.compile(r"\s*(\d+)\s*(day|week|month|year)s?\s*", re.IGNORECASE)
_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}
_HEADER = "\x01"
_FIELD = "\x1f"
LOG_TIMEOUT: Final = 3600.0


def parse_since(value: str, *, now: float | None = None) -> int:
    """Return the window start of ``value`` (ISO date or 'N days|weeks|months|years') as epoch.

    Raises:
        UsageError: ``value`` is neither form.

    """
    match = _RELATIVE.fullmatch(value)
    if match:
        days = int(match.group(1)) * _DAYS[match.group(2).lower()]
        return int((now if now is not None else time.time()) - days * 86400)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(
            f"--since {value!r}: not a date",
            hint="give an ISO date (2025-01-31) or 'N days', 'N weeks', 'N months', 'N years'",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def iso(epoch: float) -> str:
    """Format an epoch as ISO 8601 UTC, seconds precision."""
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def _git(root: Path, *args: str) -> tuple[bool, str]:
    result = run(["git", *args], cwd=root, timeout=60, install_hint=GIT_HINT)
    return result.ok, result.stdout.strip()


def require_repository(root: Path) -> None:
    """Check that ``root`` is inside a git work tree.

    Raises:
        UsageError: it is not (exit 2).

    """
    ok, out = _git(root, "rev-parse", "--is-inside-work-tree")
    if not ok or out != "true":
        raise UsageError(
            f"{root} is not a git repository",
            hint="run the analytics inside a git work tree: they read its history",
            code="not-a-repository",
        )


def head_commit(root: Path) -> str | None:
    """Return the commit HEAD points at, or ``None`` in a repository without commits."""
    ok, out = _git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}")
    return out if ok and out else None


def is_ancestor(root: Path, older: str, newer: str) -> bool:
    """Return whether commit ``older`` is an ancestor of (or equal to) ``newer``."""
    ok, _ = _git(root, "merge-base", "--is-ancestor", older, newer)
    return ok


@dataclass(slots=True)
class Commit:
    """One commit of the log: its changed files (current names), lines when read."""

    sha: str
    time: int
    author: str
    changes: list[tuple[str, int | None, int | None]] = field(default_factory=list)


@dataclass(slots=True)
class LogReader:
    """Streams commits of one ``git log`` pass; ``aliases`` maps old names to current ones."""

    root: Path
    lines: bool
    since: int | None = None
    revisions: str = "HEAD"
    aliases: dict[str, str] = field(default_factory=dict)

    def argv(self) -> list[str]:
        """Return the git command line of this pass."""
        diff = "--numstat" if self.lines else "--name-status"
        argv = ["git", "-c", "core.quotepath=off", "-c", "log.showSignature=false", "log", "-z"]
        argv += [diff, "-M", "--no-color", f"--format={_HEADER}%H{_FIELD}%at{_FIELD}%aN"]
        if self.since is not None:
            argv.append(f"--since=@{self.since}")
        return [*argv, self.revisions, "--"]

    def _current(self, path: str) -> str:
        return self.aliases.get(path, path)

    def _rename(self, old: str, new: str) -> str:
        current = self._current(new)
        self.aliases[old] = current
        return current

    def commits(self) -> Iterator[Commit]:
        """Yield every commit of the pass, newest first.

        Raises:
            ExternalError: git failed (exit 5).

        """
        commit: Commit | None = None
        expect = 0  # paths still to read for the current name-status or numstat entry
        status = ""
        added: int | None = None
        removed: int | None = None
        old = ""
        tokens = stream_records(self.argv(), cwd=self.root, timeout=LOG_TIMEOUT)
        for raw in tokens:
            token = raw.removeprefix("\n")
            if token.startswith(_HEADER):
                if commit is not None:
                    yield commit
                sha, at, author = token[1:].split(_FIELD, 2)
                commit = Commit(sha, int(at), author)
                expect = 0
                continue
            if commit is None:
                continue
            if expect == 0:
                if self.lines:
                    a, r, path = token.split("\t", 2)
                    added = int(a) if a.isdigit() else 0  # binary files: '-'
                    removed = int(r) if r.isdigit() else 0
                    if path:
                        commit.changes.append((self._current(path), added, removed))
                    else:
                        expect, status = 2, "R"
                else:
                    status, added, removed = token, None, None
                    expect = 2 if token[:1] in {"R", "C"} else 1
                continue
            if expect == 2 and status[:1] in {"R", "C"}:  # noqa: PLR2004  # two paths follow
                old, expect = token, 1
                continue
            expect = 0
            path = self._rename(old, token) if status[:1] == "R" else self._current(token)
            commit.changes.append((path, added, removed))
        if commit is not None:
            yield commit
