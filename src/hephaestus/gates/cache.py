"""The gate result cache in ``<root>/.hephaestus/cache/gates/``: passes only, keyed by content.

A key is the SHA-256 of everything a pass depends on (docs/adr/0006-gate-cache.md): the gate's
name and contract version, its tool's version, its effective configuration, the environment's
installed distributions, and the contents of the files it reads. One JSON file per entry,
written atomically; an unreadable or foreign entry is removed and treated as a miss; the oldest
entries go first when the cache outgrows its bound.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel, ConfigDict, ValidationError

from hephaestus.core.events import Event
from hephaestus.core.fs import write_atomic
from hephaestus.core.logging import get_logger
from hephaestus.gates.models import GateResult  # noqa: TC001  # pydantic resolves it at run time

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

_log = get_logger(__name__)
FORMAT: Final = 1
"""Bumped when the entry layout or the key's parts change; older entries then never match."""
STATE_IGNORE: Final = "# written by hephaestus: its state is never committed\n*\n"


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int
    key: str
    result: GateResult


def cache_key(parts: Mapping[str, Any]) -> str:
    """Return the SHA-256 of ``parts`` in canonical JSON (sorted keys, no whitespace)."""
    canonical = json.dumps({"format": FORMAT, **parts}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def ensure_state_directory(root: Path) -> Path:
    """Create ``<root>/.hephaestus`` with a ``.gitignore`` that ignores it, and return it."""
    state = root / ".hephaestus"
    state.mkdir(exist_ok=True)
    ignore = state / ".gitignore"
    if not ignore.exists():
        ignore.write_text(STATE_IGNORE, encoding="utf-8")
    return state


class ResultCache:
    """Cached passes of gates, bounded to ``max_bytes`` on disk."""

    def __init__(self, directory: Path, *, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes

    @classmethod
    def for_repository(cls, root: Path, *, max_bytes: int) -> ResultCache | None:
        """Open (creating it) the cache of the repository at ``root``.

        Returns ``None`` when it cannot be created (a read-only checkout): gates then simply run.
        """
        try:
            directory = ensure_state_directory(root) / "cache" / "gates"
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            _log.warning(Event.CACHE_UNAVAILABLE, root=str(root), error=exc.strerror)
            return None
        return cls(directory, max_bytes=max_bytes)

    def _path(self, gate: str, key: str) -> Path:
        return self.directory / f"{gate}-{key}.json"

    def get(self, gate: str, key: str) -> GateResult | None:
        """Return the cached pass of ``gate`` under ``key``, or ``None`` (a corrupt entry too)."""
        path = self._path(gate, key)
        try:
            entry = _Entry.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValidationError, ValueError):
            self._drop(path)  # corrupt or foreign: rebuilt by this run
            return None
        if entry.format != FORMAT or entry.key != key or entry.result.name != gate:
            self._drop(path)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: pruned last
        return entry.result

    @staticmethod
    def _drop(path: Path) -> None:
        with contextlib.suppress(OSError):  # gone already, or the cache itself is unusable
            path.unlink()

    def put(self, result: GateResult, key: str) -> None:
        """Store ``result`` under ``key`` atomically (temp file, then rename)."""
        data = _Entry(format=FORMAT, key=key, result=result).model_dump_json().encode()
        try:
            write_atomic(self._path(result.name, key), data)
        except OSError as exc:  # a full or read-only disk costs a re-run later, never the result
            _log.warning(Event.CACHE_UNAVAILABLE, gate=result.name, error=exc.strerror)

    def prune(self) -> int:
        """Remove the least recently used entries until the cache fits; return how many went."""
        entries = []
        for item in os.scandir(self.directory):
            with contextlib.suppress(OSError):
                stat = item.stat(follow_symlinks=False)
                entries.append((stat.st_mtime_ns, stat.st_size, item.path))
        total = sum(size for _, size, _ in entries)
        removed = 0
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                os.unlink(path)  # noqa: PTH108  # a str path from scandir
                total -= size
                removed += 1
        return removed
