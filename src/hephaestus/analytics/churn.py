"""Churn from git: one streamed ``git log`` pass, renames followed, never the whole log in memory.

Revisions need only tree diffs (``--name-status``, as cheap as ``--name-only`` but naming both
sides of a rename); line counts (``--numstat``) are read only when a command needs them. The
log is read newest first, so a rename seen in a commit re-labels every older change of the old
path with the file's current name.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from hephaestus.core.errors import UsageError, field_ref
from hephaestus.core.git import open_git, run_git
from hephaestus.core.streams import READ_SIZE, RecordStream

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from typing import IO

GIT_HINT: Final = "install git: the analytics read the repository's history"
_RELATIVE = re.compile(r"\s*(\d+)\s*(day|week|month|year)s?\s*", re.IGNORECASE)
_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}
_HEADER = "\x01"
_FIELD = "\x1f"
_RECORD = b"\0\x01"  # the NUL ending the last path of a commit, then the next header
_HEAD = re.compile("\x01?[0-9a-f]{40,64}\x1f-?[0-9]+\x1f")
EARLIEST: Final = -62_135_596_800
"""0001-01-01T00:00:00Z: the earliest window start a date can name."""
LATEST: Final = 253_402_300_799
"""9999-12-31T23:59:59Z: the latest one."""
LOG_TIMEOUT: Final = 3600.0
MAX_PARTS: Final = 4
"""The history is read by up to this many git processes side by side (one per core)."""
MIN_PART: Final = 1000
"""Fewer commits than this per process are not worth another one."""


def _copy(source: IO[bytes], start: int, end: int) -> IO[bytes]:
    """Copy bytes ``start:end`` of ``source`` into a new temporary file, at its start."""
    target = tempfile.TemporaryFile()  # noqa: SIM115  # handed to (and closed by) a RecordStream
    while start < end:
        chunk = os.pread(source.fileno(), min(end - start, READ_SIZE), start)
        if not chunk:
            break
        target.write(chunk)
        start += len(chunk)
    target.seek(0)
    return target


def cores() -> int:
    """Return how many cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover  # not Linux


def parse_since(value: str, *, now: float | None = None, name: str | None = None) -> int:
    """Return the window start of ``value`` (ISO date or 'N days|weeks|months|years') as epoch.

    A start before 1970 is 1970 (epoch 0): git dates no commit earlier. Errors name ``value``
    as ``name``: the request field `` `since` `` unless told otherwise (a configuration key).

    Raises:
        UsageError: ``value`` is neither form, or names no year from 1 to 9999 (exit 2).

    """
    shown = f"{name or field_ref('since')} {_shown(value)}"
    match = _RELATIVE.fullmatch(value)
    if match:
        count = match.group(1).lstrip("0")[:12]  # more digits are out of range anyway
        factor: int = 10 ** max(0, len(match.group(1).lstrip("0")) - 12)
        days = int(count or "0") * factor * _DAYS[match.group(2).lower()]
        start = int(now if now is not None else time.time()) - days * 86400
    else:
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise UsageError(
                f"{shown}: not a date",
                hint="give an ISO date (2025-01-31) or 'N days', 'N weeks', 'N months', 'N years'",
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        start = int(moment.timestamp())
    if not EARLIEST <= start <= LATEST:  # no date names it: refused before anything is read
        raise UsageError(
            f"{shown}: the window would start outside the years 1 to 9999",
            hint="give an ISO date (2025-01-31) or a shorter 'N days|weeks|months|years'",
        )
    # git answers a start before 1970 with no commits at all: 1970 holds the whole history.
    return max(start, 0)


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "...")  # noqa: PLR2004  # one line


def iso(epoch: float) -> str:
    """Format an epoch as ISO 8601 UTC, seconds precision."""
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def _git(root: Path, *args: str) -> tuple[bool, str]:
    result = run_git(root, *args, timeout=60, install_hint=GIT_HINT)
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
    """One commit of the log: one current path per change entry, and its lines when read."""

    sha: str
    time: int
    author: str
    paths: list[str]
    lines: list[tuple[int, int]] | None = None


def _count(value: str) -> int:
    return int(value) if value.isdigit() else 0  # binary files: '-'


def is_text(name: str) -> bool:
    r"""Return whether ``name`` is valid Unicode: no byte of another encoding (``\udcXX``).

    git prints raw bytes; a file name that is not UTF-8 arrives with surrogate escapes, which
    neither SQLite nor a UTF-8 terminal or JSON document can hold. The analytics leave such
    files out and say so (:func:`hephaestus.analytics.tree.list_tree`).
    """
    if name.isascii():
        return True
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def text_form(name: str) -> str:
    r"""Return ``name`` with each byte that is not UTF-8 written ``\xNN`` (valid Unicode text).

    Distinct byte strings stay distinct, so a non-UTF-8 author name still counts as one author.
    """
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@dataclass(slots=True)
class LogReader:
    """Streams commits of one ``git log`` pass; ``aliases`` maps old names to current ones.

    Output is split per commit (on the header marker that follows a NUL), not per token, so the
    Python work per commit is a few string operations: this pass runs beside git on the
    critical path of every cold analysis.
    """

    root: Path
    lines: bool
    since: int | None = None
    revisions: str = "HEAD"
    exclude: tuple[str, ...] = ()
    """Commits left out of the pass (a shallow clone's cut, :func:`.shallow.shallow_boundary`)."""
    aliases: dict[str, str] = field(default_factory=dict)
    parts: int = 0
    """git processes reading the history side by side (0: one per core, up to MAX_PARTS)."""
    listing: RecordStream | None = None
    streams: list[RecordStream] | None = None

    def start(self) -> LogReader:
        """Start git now (its output waits until :meth:`commits` reads it).

        On one core, one ``git log`` walks the history. On more, ``git rev-list`` lists the
        commits first (about a tenth of the log's time) and, when the history is read, the
        list is cut into consecutive parts, each shown by its own ``git log --no-walk
        --stdin``: their outputs, read in order, are exactly the single pass's. The newest
        part comes through a pipe, the others through temporary files, so no git process
        waits for the reader.

        Raises:
            ToolNotFoundError: git is not installed.

        """
        if self.streams is None and self.listing is None:
            if self._most() == 1:
                self.streams = [self._stream([*self._log(), *self._window(), "--"])]
            else:  # its output stays in a file: memory does not grow with the history
                args = ["rev-list", *self._window(), "--"]
                self.listing = open_git(
                    self.root, *args, timeout=LOG_TIMEOUT, install_hint=GIT_HINT, spool=True
                )
        return self

    def _most(self) -> int:
        return self.parts or min(cores(), MAX_PARTS)

    def _launch(self) -> list[RecordStream]:
        """Start the parts of the pass once the commit list is in (see :meth:`start`)."""
        self.start()
        if self.streams is not None:
            return self.streams
        assert self.listing is not None  # noqa: S101  # start() set one of the two
        self.streams = []
        try:
            with self.listing:
                listed = self.listing.spooled()
                width = len(listed.readline())  # one commit id and a newline per line
                count = os.fstat(listed.fileno()).st_size // width if width else 0
                parts = max(1, min(self._most(), count // MIN_PART))
                argv = [*self._log(), "--no-walk=unsorted", "--stdin", "--"]
                bounds = [count * k // parts * width for k in range(parts + 1)]
                for k in range(parts if count else 0):  # no commit, no git: it would show HEAD
                    given = _copy(listed, bounds[k], bounds[k + 1])
                    self.streams.append(self._stream(argv, stdin=given, spool=k > 0))
        except BaseException:
            self.close()
            raise
        return self.streams

    def close(self) -> None:
        """Stop git if it still runs (a reader given up before its end)."""
        if self.listing is not None:
            self.listing.close()
        for stream in self.streams or ():
            stream.close()

    def _stream(
        self, argv: list[str], *, stdin: IO[bytes] | None = None, spool: bool = False
    ) -> RecordStream:
        # GIT_FLUSH=0: git fills its buffer instead of flushing each commit into the pipe.
        return open_git(
            self.root, *argv, timeout=LOG_TIMEOUT, separator=_RECORD, install_hint=GIT_HINT,
            env={"GIT_FLUSH": "0"}, stdin=stdin, spool=spool,
        )  # fmt: skip

    def _log(self) -> list[str]:
        diff = "--numstat" if self.lines else "--name-status"
        argv = ["-c", "log.showSignature=false", "log", "-z"]
        return [*argv, diff, "-M", "--no-color", f"--format={_HEADER}%H{_FIELD}%at{_FIELD}%aN"]

    def _window(self) -> list[str]:
        left_out = ["--not", *self.exclude] if self.exclude else []
        if self.since is None:
            return [self.revisions, *left_out]
        # '@N +0000': git reads N as seconds whatever its size.
        return [f"--since=@{self.since} +0000", self.revisions, *left_out]

    def _records(self) -> Iterator[str]:
        # A path may itself hold the marker: a piece that is no header belongs to the one before.
        pending = ""
        separator = _RECORD.decode()
        for records in self._launch():
            for piece in records:
                if _HEAD.match(piece):
                    if pending:
                        yield pending
                    pending = piece
                elif pending:
                    pending += separator + piece
        if pending:
            yield pending

    def _name_status(self, body: str) -> list[str]:
        tokens = body.split("\0")
        aliases = self.aliases
        if "\0R" not in body and "\0C" not in body and body[:1] not in {"R", "C"}:
            paths = tokens[1::2]  # status, path, status, path, ...
            return [aliases.get(p, p) for p in paths] if aliases else paths
        paths = []
        i, n = 0, len(tokens)
        while i + 1 < n:
            status = tokens[i]
            if status[:1] in {"R", "C"}:
                old, new = tokens[i + 1], tokens[i + 2]
                i += 3
                current = aliases.get(new, new)
                if status[:1] == "R":
                    aliases[old] = current
            else:
                current = tokens[i + 1]
                current = aliases.get(current, current)
                i += 2
            paths.append(current)
        return paths

    def _numstat(self, body: str) -> tuple[list[str], list[tuple[int, int]]]:
        tokens = body.split("\0")
        aliases = self.aliases
        if "\t\0" not in body and body[-1:] != "\t":  # no rename entry (an empty path)
            entries = [token.split("\t", 2) for token in tokens]
            names = (
                [aliases.get(p, p) for _, _, p in entries] if aliases else [p for *_, p in entries]
            )
            # A binary file shows '-' for both counts; git prints nothing else but digits.
            return names, [(0, 0) if a == "-" else (int(a), int(r)) for a, r, _ in entries]
        paths: list[str] = []
        lines: list[tuple[int, int]] = []
        i, n = 0, len(tokens)
        while i < n:
            added, removed, path = tokens[i].split("\t", 2)
            i += 1
            if path:
                current = aliases.get(path, path)
            else:  # a rename: the old and the new name follow
                old, new = tokens[i], tokens[i + 1]
                i += 2
                current = aliases[old] = aliases.get(new, new)
            paths.append(current)
            lines.append((_count(added), _count(removed)))
        return paths, lines

    def commits(self) -> Iterator[Commit]:
        """Yield every commit of the pass, newest first.

        Raises:
            ExternalError: git failed (exit 5).

        """
        for record in self._records():
            header, _, body = record.partition("\0")
            sha, at, author = header.lstrip(_HEADER).split(_FIELD, 2)
            if not is_text(author):  # another encoding's bytes: kept distinct, stored as text
                author = text_form(author)
            author = sys.intern(author)  # one string per author, however many files keep it
            body = body.removeprefix("\n").removesuffix("\0")
            if not body:
                yield Commit(sha, int(at), author, [])
            elif self.lines:
                paths, lines = self._numstat(body)
                if not is_text(body):  # a name that is not UTF-8: left out (is_text)
                    kept = [(p, n) for p, n in zip(paths, lines, strict=True) if is_text(p)]
                    paths, lines = [p for p, _ in kept], [n for _, n in kept]
                yield Commit(sha, int(at), author, paths, lines)
            else:
                paths = self._name_status(body)
                if not is_text(body):
                    paths = [p for p in paths if is_text(p)]
                yield Commit(sha, int(at), author, paths)
