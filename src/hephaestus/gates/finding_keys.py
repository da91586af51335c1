"""Keys of findings that survive moved code, matched as a multiset; SARIF fingerprints.

A finding's key is its gate, rule, path and the SHA-256 of its source line with every
whitespace character removed, so code that moves (lines added above it, re-indented, re-spaced
by a formatter) keeps its key. When the line cannot be read (no line, file gone, line past the
end, not a regular file) the key has no line hash and :func:`match` falls back on (gate, rule,
path). Keys form a multiset: N entries with one key absorb at most N findings with that key.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections import Counter, defaultdict
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Sequence

    from hephaestus.gates.models import Finding

FINGERPRINT_KEY: Final = "hephaestus/v1"
"""The key of SARIF ``partialFingerprints``; bumped when the key's parts change."""

_MAX_BYTES: Final = 16 << 20
"""Larger files are not read for line hashes (their findings are matched by count)."""
_FLAGS: Final = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC

Key = tuple[str, str | None, str | None, str | None]
"""(gate, rule, path, line hash or ``None``)."""


def normalise(line: str) -> str:
    """Return ``line`` with every whitespace character removed (moves and reformatting keep it)."""
    return "".join(line.split())


def line_hash(text: str) -> str:
    """Return the first 16 hex digits of the SHA-256 of the normalised ``text``."""
    return hashlib.sha256(normalise(text).encode("utf-8", "surrogatepass")).hexdigest()[:16]


class SourceLines:
    """Lines of the repository's files, each file read at most once (regular files only)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, list[str] | None] = {}

    def relative(self, path: str | None) -> str | None:
        """Return ``path`` relative to the root when it is an absolute path inside it."""
        if path is None or not PurePosixPath(path).is_absolute():
            return path
        try:
            return Path(path).relative_to(self.root).as_posix()
        except ValueError:
            return path

    def line(self, path: str | None, number: int | None) -> str | None:
        """Return line ``number`` (1-based) of ``path``, or ``None`` if it cannot be read."""
        if path is None or number is None:
            return None
        if path not in self._files:
            self._files[path] = self._read(self.root / path)
        lines = self._files[path]
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]

    @staticmethod
    def _read(path: Path) -> list[str] | None:
        try:  # never blocks on a FIFO, never reads a device or a directory
            descriptor = os.open(path, _FLAGS)
        except (OSError, ValueError):  # absent, unreadable, or a name with NUL
            return None
        try:
            status = os.fstat(descriptor)
            if not stat.S_ISREG(status.st_mode) or status.st_size > _MAX_BYTES:
                return None
            with os.fdopen(descriptor, "rb", closefd=False) as handle:
                data = handle.read(_MAX_BYTES)
        except OSError:
            return None
        finally:
            os.close(descriptor)
        return data.decode("utf-8", "surrogateescape").split("\n")

    def key(self, finding: Finding) -> Key:
        """Return ``finding``'s key: gate, rule, path and its line's hash (``None`` if unread)."""
        path = self.relative(finding.path)
        text = self.line(path, finding.line)
        return (finding.gate, finding.rule, path, None if text is None else line_hash(text))


def match(keys: Sequence[Key], baseline: Counter[Key]) -> tuple[list[bool], Counter[Key]]:
    """Say which findings (by key, in order) the multiset ``baseline`` absorbs, and what is left.

    Exact keys first; then, within one (gate, rule, path), a finding whose line could not be
    read takes any entry left, and an entry without a line takes any finding left. Each entry
    absorbs one finding. The input counter is not changed.
    """
    left = Counter({k: n for k, n in baseline.items() if n > 0})
    known = [False] * len(keys)
    for index, key in enumerate(keys):
        if left[key] > 0:
            left[key] -= 1
            known[index] = True
    groups: dict[tuple[str, str | None, str | None], list[Key]] = defaultdict(list)
    for key in sorted(left, key=_sortable):
        if left[key] > 0:
            groups[key[:3]].append(key)
    for index, key in enumerate(keys):
        if known[index]:
            continue
        candidates = groups.get(key[:3], [])
        pick = next(
            (k for k in candidates if left[k] > 0 and (key[3] is None or k[3] is None)), None
        )
        if pick is not None:
            left[pick] -= 1
            known[index] = True
    return known, +left


def _sortable(key: Key) -> tuple[str, ...]:
    return tuple("" if part is None else part for part in key)


def fingerprints(findings: Sequence[Finding], *, root: Path) -> list[str]:
    """Return each finding's SARIF partial fingerprint: ``<hash of its key>:<occurrence>``.

    The occurrence counts identical keys in line order, so identical lines stay distinct and a
    move keeps every fingerprint.
    """
    lines = SourceLines(root)
    keys = [lines.key(f) for f in findings]
    order = sorted(range(len(findings)), key=lambda i: (findings[i].line or 0, i))
    seen: Counter[Key] = Counter()
    occurrence = [0] * len(findings)
    for index in order:
        seen[keys[index]] += 1
        occurrence[index] = seen[keys[index]]
    digests = [
        hashlib.sha256("\0".join(_sortable(k)).encode("utf-8", "surrogatepass")).hexdigest()[:32]
        for k in keys
    ]
    return [f"{d}:{n}" for d, n in zip(digests, occurrence, strict=True)]
