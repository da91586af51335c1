"""The gate result cache in ``<root>/.hephaestus/cache/gates/``: passes only, keyed by content.

A key is the SHA-256 of everything a pass depends on (docs/adr/0006-gate-cache.md): the gate's
name and contract version, its tool's version, its effective configuration, the environment's
installed distributions, and the fingerprint of what its tool may read
(:mod:`hephaestus.gates.fingerprint`). One JSON file per entry, written atomically.

An entry is bound to this checkout and this machine: it names the resolved root and carries an
HMAC-SHA256 under a per-user secret in ``$XDG_CACHE_HOME/hephaestus/cache-secret``. It is
trusted only if the HMAC verifies, the file is this user's and writable by no other, git does
not track it, and it holds a pass. Anything else is a miss; the oldest entries go first when the
cache outgrows its bound.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel, ConfigDict, ValidationError

from hephaestus.core.errors import ExternalError, ToolNotFoundError
from hephaestus.core.events import Event
from hephaestus.core.fs import write_atomic
from hephaestus.core.git import stream_git
from hephaestus.core.logging import get_logger
from hephaestus.core.state import state_directory
from hephaestus.gates.models import GateResult, GateStatus, Severity

if TYPE_CHECKING:
    from collections.abc import Mapping

_log = get_logger(__name__)
FORMAT: Final = 2
"""Bumped when the entry layout or the key's parts change; older entries then never match."""
SECRET_SIZE: Final = 32
_DOMAIN: Final = b"hephaestus gate cache entry\0"
_PRIVATE: Final = stat.S_IRWXG | stat.S_IRWXO
READ_FLAGS: Final = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
"""How state files are opened: never through a symlink, never waiting on a FIFO."""


class _Signed(BaseModel):
    """What the HMAC covers: the entry and where and for what it was made."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int
    root: str
    gate: str
    key: str
    result: GateResult


class _Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int
    payload: str
    """The JSON of a :class:`_Signed`, exactly as signed."""
    mac: str


def cache_key(parts: Mapping[str, Any]) -> str:
    """Return the SHA-256 of ``parts`` in canonical JSON (sorted keys, no whitespace)."""
    canonical = json.dumps({"format": FORMAT, **parts}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def owned_by_current_user(status: os.stat_result) -> bool:
    """Return whether a regular file is owned by this process's user and writable by no other."""
    return (
        stat.S_ISREG(status.st_mode)
        and status.st_uid == os.getuid()
        and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def is_pass(result: GateResult) -> bool:
    """Return whether ``result`` may be cached: status passed and no error-severity finding."""
    return result.status is GateStatus.passed and all(
        f.severity is not Severity.error for f in result.findings
    )


def secret_path() -> Path:
    """Return where the cache secret lives: ``$XDG_CACHE_HOME`` (else ``~/.cache``)/hephaestus."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    home = Path(base) if Path(base).is_absolute() else Path.home() / ".cache"
    return home / "hephaestus" / "cache-secret"


def _read_secret(path: Path) -> bytes | None:
    """Return the secret at ``path`` if it is this user's alone (mode 0600 or stricter)."""
    try:
        descriptor = os.open(path, READ_FLAGS)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(handle.fileno())
        if not owned_by_current_user(status) or status.st_mode & _PRIVATE:
            return None
        data = handle.read(SECRET_SIZE + 1)
    return data if len(data) == SECRET_SIZE else None


def machine_secret() -> bytes | None:
    """Return this user's cache secret, creating it if needed; ``None`` if that is impossible.

    A new secret is 32 random bytes written to a private temporary file, then linked into place
    (a concurrent run's secret wins). One that is not this user's, readable or writable by
    others, a symlink or of the wrong size is replaced.
    """
    path = secret_path()
    found = _read_secret(path)
    if found is not None:
        return found
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".cache-secret-")
        try:
            with os.fdopen(descriptor, "wb") as handle:  # mkstemp: mode 0600
                handle.write(secrets.token_bytes(SECRET_SIZE))
            try:
                os.link(temporary, path)
            except FileExistsError:
                if _read_secret(path) is None:  # the refused one
                    Path(temporary).replace(path)
            except OSError:  # no hard links on this filesystem
                Path(temporary).replace(path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)  # noqa: PTH108  # a str path from mkstemp
    except OSError:
        return None
    return _read_secret(path)


def _inside_git(root: Path) -> bool:
    return any(os.path.lexists(d / ".git") for d in (root, *root.parents))


def tracked_state(root: Path, *, timeout: float = 60.0) -> frozenset[str] | None:
    """Return the paths below ``.hephaestus`` that git tracks (root-relative).

    Returns an empty set outside git, and ``None`` when git fails inside a repository (so the
    cache cannot tell a committed entry from its own).
    """
    try:
        return frozenset(stream_git(root, "ls-files", "-z", "--", ".hephaestus", timeout=timeout))
    except (ToolNotFoundError, ExternalError):
        return None if _inside_git(root) else frozenset()


class ResultCache:
    """Cached passes of gates, bounded to ``max_bytes`` on disk, signed with ``secret``."""

    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int,
        secret: bytes,
        root: Path,
        tracked: frozenset[str] = frozenset(),
    ) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.root = root.resolve()
        self._secret = secret
        # git names tracked files relative to root; an entry is one name in ``directory``
        inside = directory.is_relative_to(root)
        prefix = f"{directory.relative_to(root).as_posix()}/" if inside else None
        self._tracked = frozenset(
            p.removeprefix(prefix) for p in tracked if prefix is not None and p.startswith(prefix)
        )
        """Names of the entries in ``directory`` that git tracks."""

    @classmethod
    def for_repository(cls, root: Path, *, max_bytes: int) -> ResultCache | None:
        """Open (creating it) the cache of the repository at ``root``.

        Returns ``None`` (logging ``cache.unavailable``) when the cache directory cannot be
        created (a read-only checkout), the machine's secret cannot be read or created, or git
        cannot say which state files it tracks: gates then simply run.
        """
        try:
            directory = state_directory(root) / "cache" / "gates"
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            _log.warning(Event.CACHE_UNAVAILABLE, root=str(root), error=exc.strerror)
            return None
        secret = machine_secret()
        if secret is None:
            error = f"no private cache secret at {secret_path()}"
            _log.warning(Event.CACHE_UNAVAILABLE, root=str(root), error=error)
            return None
        tracked = tracked_state(root)
        if tracked is None:
            error = "git cannot say which files of .hephaestus it tracks"
            _log.warning(Event.CACHE_UNAVAILABLE, root=str(root), error=error)
            return None
        return cls(directory, max_bytes=max_bytes, secret=secret, root=root, tracked=tracked)

    def _path(self, gate: str, key: str) -> Path:
        return self.directory / f"{gate}-{key}.json"

    def _is_tracked(self, name: str) -> bool:
        return name in self._tracked

    def _mac(self, payload: str) -> str:
        message = _DOMAIN + payload.encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def get(self, gate: str, key: str) -> GateResult | None:
        """Return the cached pass of ``gate`` under ``key``, or ``None``.

        An entry that git tracks, that is not this user's or is writable by others, is ignored
        (and left alone); one that is corrupt, forged, made for another checkout, key or gate,
        or that holds anything but a pass, is removed.
        """
        path = self._path(gate, key)
        if self._is_tracked(path.name):
            return None
        try:
            descriptor = os.open(path, READ_FLAGS)
        except OSError:  # absent (the usual miss), a symlink, or an unusable cache
            return None
        with os.fdopen(descriptor, "rb") as handle:
            if not owned_by_current_user(os.fstat(handle.fileno())):
                return None
            data = handle.read()
        signed = self._verified(data)
        if (
            signed is None
            or signed.format != FORMAT
            or signed.root != str(self.root)
            or (signed.gate, signed.key, signed.result.name) != (gate, key, gate)
            or not is_pass(signed.result)
        ):
            self._drop(path)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: pruned last
        return signed.result

    def _verified(self, data: bytes) -> _Signed | None:
        """Return the entry in ``data`` if its HMAC verifies under this machine's secret."""
        try:
            envelope = _Envelope.model_validate_json(data)
            if envelope.format != FORMAT:
                return None
            if not hmac.compare_digest(envelope.mac, self._mac(envelope.payload)):
                return None
            return _Signed.model_validate_json(envelope.payload)
        except (ValidationError, ValueError):
            return None

    @staticmethod
    def _drop(path: Path) -> None:
        with contextlib.suppress(OSError):  # gone already, or the cache itself is unusable
            path.unlink()

    def put(self, result: GateResult, key: str) -> None:
        """Store the pass ``result`` under ``key``, signed, atomically (temp file, then rename).

        Nothing is written over a file git tracks; a write that fails is logged and costs a
        re-run later, never the result.

        Raises:
            ValueError: ``result`` is not a pass (failures are never cached).

        """
        if not is_pass(result):
            raise ValueError(f"only passes are cached, not {result.status} of {result.name}")
        path = self._path(result.name, key)
        if self._is_tracked(path.name):
            return
        signed = _Signed(
            format=FORMAT, root=str(self.root), gate=result.name, key=key, result=result
        )
        payload = signed.model_dump_json()
        data = _Envelope(format=FORMAT, payload=payload, mac=self._mac(payload)).model_dump_json()
        try:
            write_atomic(path, data.encode())
        except OSError as exc:  # a full or read-only disk costs a re-run later, never the result
            _log.warning(Event.CACHE_UNAVAILABLE, gate=result.name, error=exc.strerror)

    def prune(self) -> int:
        """Remove the least recently used entries until the cache fits; return how many went."""
        entries = []
        for item in os.scandir(self.directory):
            with contextlib.suppress(OSError):
                status = item.stat(follow_symlinks=False)
                if not self._is_tracked(item.name):
                    entries.append((status.st_mtime_ns, status.st_size, item.path))
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
