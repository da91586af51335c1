"""The fingerprint of what a gate's tool may read: the inputs part of its cache key.

One :class:`Fingerprint` per guard-rails run. :meth:`Fingerprint.digest` covers, for a gate:

- the names and contents of the files of the input universe (:func:`input_listing`: tracked,
  untracked and git-ignored files, environments and tool state excluded) that match the gate's
  ``inputs`` patterns, plus ``pyproject.toml``, each with whether git ignores it (ruff and the
  file-level gates check only the files git does not ignore, so un-ignoring a failing file in
  ``.git/info/exclude`` or ``core.excludesFile``, outside the universe, must re-run them);
- each of the gate's ``config_files`` in the root and every directory above it up to ``/``
  (present: its content; absent: marked absent, so creating one changes the digest);
- its ``user_config`` files (in ``$XDG_CONFIG_HOME``, default ``~/.config``; ``~/`` names in the
  home directory), through symlinks, as the tool reads them;
- the environment variables its tool sees that match its ``environment_variables`` patterns or
  :data:`UNIVERSAL_VARIABLES` (hashed: values are never stored).

Contents are hashed through a :class:`StatCache` kept in ``<root>/.hephaestus/cache/``, so an
unchanged file is not read again (docs/adr/0006-gate-cache.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import threading
import time
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from hephaestus.core.fs import write_atomic
from hephaestus.gates.cache import READ_FLAGS, owned_by_current_user
from hephaestus.gates.inputs import InputListing, input_listing, select

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping

    from hephaestus.gates.spec import Gate

UNIVERSAL_VARIABLES: Final = (
    "PYTHON*",  # PYTHONPATH, PYTHONHOME, PYTHONSAFEPATH, PYTHONUTF8, PYTHONWARNINGS…
    "PATH",  # which executables a tool starts
    "VIRTUAL_ENV",
    "LANG",  # the locale: the default encoding of the files a tool reads
    "LC_*",
    "LD_PRELOAD",  # which native code runs inside compiled tools (mypyc, ruff)
    "LD_LIBRARY_PATH",
    "DYLD_*",
)
"""Variables every Python tool reads. Not HOME: tools read files under it, not its value, and
those files are in the digest by content (``user_config``); a HOME that differs between shells,
containers or ``sudo`` would only turn identical runs into misses."""
STAT_CACHE_NAME: Final = "stat-cache.json"
RACY_NS: Final = 2_000_000_000
"""A file changed less than this long before its hash was recorded is hashed again next time."""
STAT_CACHE_FORMAT: Final = 1
MISSING: Final = "missing"

Signature = tuple[int, int, int, int, int]
"""(size, mtime_ns, ctime_ns, inode, device) of a regular file."""


def _signature(status: os.stat_result) -> Signature:
    return (
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
        status.st_ino,
        status.st_dev,
    )


def _other_kind(full: str, status: os.stat_result) -> str:
    """Describe what is not a regular file: a symlink by its target text, never followed."""
    if stat.S_ISLNK(status.st_mode):
        try:
            target = Path(full).readlink()
        except OSError as exc:
            return f"unreadable:{exc.errno}"
        return "link:" + hashlib.sha256(os.fsencode(target)).hexdigest()
    if stat.S_ISDIR(status.st_mode):
        return "directory"
    return f"special:{stat.S_IFMT(status.st_mode):o}"


def _hash_open(full: str) -> tuple[Signature, str] | str:
    """Hash a regular file's content: its stat signature (taken before reading) and SHA-256.

    Returns a description instead when it is no longer a regular file or cannot be read.
    """
    try:
        with os.fdopen(os.open(full, READ_FLAGS), "rb") as handle:
            status = os.fstat(handle.fileno())
            if not stat.S_ISREG(status.st_mode):
                return _other_kind(full, status)
            return _signature(status), hashlib.file_digest(handle, "sha256").hexdigest()
    except FileNotFoundError:
        return MISSING
    except OSError as exc:
        return f"unreadable:{exc.errno}"


def describe_path(full: str, *, follow: bool) -> str:
    """Describe the file at ``full`` by its content, without the stat cache (``file:<sha256>``).

    With ``follow``, a symlink is described by what it points to (a configuration file a tool
    reads through a link); else by its target text.
    """
    try:
        status = Path(full).stat() if follow else os.lstat(full)
    except (FileNotFoundError, NotADirectoryError):
        return MISSING
    except OSError as exc:
        return f"unreadable:{exc.errno}"
    if not stat.S_ISREG(status.st_mode):
        return _other_kind(full, status)
    hashed = _hash_open(os.path.realpath(full) if follow else full)
    return hashed if isinstance(hashed, str) else _file(hashed[1], status)


def _file(digest: str, status: os.stat_result) -> str:
    return f"file:{digest}" + (":x" if status.st_mode & 0o111 else "")


@dataclass(frozen=True, slots=True)
class _Known:
    signature: Signature
    """(size, mtime_ns, ctime_ns, inode, device) when the content was read."""
    recorded: int
    """Wall-clock time (ns) just before the content was read."""
    digest: str

    def settled(self) -> bool:
        """Whether the file last changed clearly before it was read (git's racy-clean rule)."""
        _, mtime, ctime, _, _ = self.signature
        return max(mtime, ctime) < self.recorded - RACY_NS


class StatCache:
    """Content digests of the files below ``root``, re-hashed only when their stat changes.

    ``path`` persists it between runs (``None``: memory only). A persisted file that is not
    this user's, is writable by others, belongs to another root or cannot be parsed is ignored
    and rebuilt. Safe to use from several threads.
    """

    def __init__(self, root: Path, *, path: Path | None) -> None:
        self.root = root
        self.path = path
        self._base = str(root.resolve())
        self._lock = threading.Lock()
        self._known = self._load()
        self._changed = False
        self.hashed = 0
        """Files read and hashed so far (the rest were answered from their stat)."""

    def _load(self) -> dict[str, _Known]:
        if self.path is None:
            return {}
        try:
            with os.fdopen(os.open(self.path, READ_FLAGS)) as file:
                if not owned_by_current_user(os.fstat(file.fileno())):
                    return {}
                data = json.loads(file.read())
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("format") != STAT_CACHE_FORMAT:
            return {}
        entries = data.get("entries")
        if data.get("root") != self._base or not isinstance(entries, dict):
            return {}
        return {path: known for path, row in entries.items() if (known := _row(row)) is not None}

    def describe(self, relative: str) -> str:
        """Describe the file at root-relative ``relative`` by content, like :func:`describe_path`.

        A regular file's hash is reused while its stat signature is unchanged and it was
        settled when hashed; else it is read again.
        """
        full = os.path.join(self._base, relative)  # noqa: PTH118  # str: non-UTF-8 names exact
        try:
            status = os.lstat(full)
        except (FileNotFoundError, NotADirectoryError):
            return MISSING
        except OSError as exc:
            return f"unreadable:{exc.errno}"
        if not stat.S_ISREG(status.st_mode):
            return _other_kind(full, status)
        with self._lock:
            known = self._known.get(relative)
        if known is not None and known.signature == _signature(status) and known.settled():
            return _file(known.digest, status)
        recorded = time.time_ns()
        hashed = _hash_open(full)
        if isinstance(hashed, str):
            return hashed
        signature, digest = hashed
        with self._lock:
            self._known[relative] = _Known(signature, recorded, digest)
            self._changed = True
            self.hashed += 1
        return _file(digest, status)

    def save(self, keep: Collection[str]) -> None:
        """Persist the digests of the files in ``keep`` (best effort: a failure only costs time)."""
        if self.path is None:
            return
        with self._lock:
            rows = {
                path: [*known.signature, known.recorded, known.digest]
                for path in keep
                if (known := self._known.get(path)) is not None
            }
            if not self._changed and len(rows) == len(self._known):
                return
            self._changed = False
        data = {"format": STAT_CACHE_FORMAT, "root": self._base, "entries": rows}
        with contextlib.suppress(OSError):  # read-only, full, or no state: hashed again next run
            self.path.parent.mkdir(exist_ok=True)  # never the state directory (its .gitignore)
            write_atomic(self.path, json.dumps(data, separators=(",", ":")))


def _row(row: object) -> _Known | None:
    """Read one persisted entry: ``[size, mtime, ctime, inode, device, recorded, sha256]``."""
    if not isinstance(row, list) or len(row) != 7:  # noqa: PLR2004  # the layout above
        return None
    *numbers, digest = row
    if not all(type(n) is int for n in numbers) or not isinstance(digest, str):
        return None
    size, mtime, ctime, inode, device, recorded = numbers
    return _Known((size, mtime, ctime, inode, device), recorded, digest)


class Fingerprint:
    """The digests of what gates' tools may read, for one guard-rails run (thread-safe).

    ``state`` is ``<root>/.hephaestus``, where the stat cache is kept between runs (``None``
    for a read-only checkout: then it lives for this run only). The universe is listed once, at
    the first :meth:`digest`; a file is read at most once for all the gates that share it, and
    gates with the same patterns share one digest.
    """

    def __init__(self, root: Path, *, state: Path | None) -> None:
        self.root = root
        given, real = Path(os.path.abspath(root)), root.resolve()  # noqa: PTH100  # not resolved
        self._up = tuple(dict.fromkeys((given, *given.parents, real, *real.parents)))
        """The directories a tool's configuration discovery looks in, root first (both spellings
        of a root reached through a symlink)."""
        stat_cache = None if state is None else state / "cache" / STAT_CACHE_NAME
        self._contents = StatCache(root, path=stat_cache)
        self._listing = threading.Lock()
        self._universe: InputListing | None = None
        self._latest: InputListing | None = None
        # Filled by several workers at once: a lost race computes the same value again.
        self._described: dict[str, str] = {}
        self._shared: dict[tuple[str, ...], str] = {}
        self._outside: dict[str, str] = {}

    @property
    def hashed(self) -> int:
        """How many files were read and hashed so far (the others were known by their stat)."""
        return self._contents.hashed

    def digest(
        self,
        gate: Gate[Any],
        *,
        fresh: bool = False,
        environ: Mapping[str, str | None] | None = None,
    ) -> str:
        """Return the SHA-256 of everything ``gate``'s tool may read (see the module docstring).

        ``environ`` holds the variables the gate's process gets on top of ``os.environ``
        (``None`` removes one), exactly as given to :func:`hephaestus.core.proc.run`, so that
        the digest covers the variables the tool sees. With ``fresh``, the universe is listed
        again and every file, configuration file and variable examined anew (a file is re-read
        only if its stat changed or it changed recently): call it after the gate ran, and store
        the pass only if the digest equals the one taken before.
        """
        patterns = tuple(sorted(set(gate.inputs)))
        if fresh:
            listing = self._list()
            inputs = self._combine(select(listing.files, patterns), listing.ignored, memo=None)
        else:
            inputs = self._shared.get(patterns) or self._share(patterns)
        seen = {k: v for k, v in {**os.environ, **(environ or {})}.items() if v is not None}
        chain = [str(directory / name) for name in gate.config_files for directory in self._up]
        users = {name: str(_user_path(name, seen)) for name in gate.user_config}
        parts = {
            "patterns": patterns,
            "inputs": inputs,
            "config_files": {path: self._outside_file(path, fresh=fresh) for path in chain},
            "user_config": {n: self._outside_file(p, fresh=fresh) for n, p in users.items()},
            "environment": _variables(seen, (*UNIVERSAL_VARIABLES, *gate.environment_variables)),
        }
        canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def save(self) -> None:
        """Keep the stat cache for the next run (best effort; nothing if nothing was listed)."""
        if self._latest is not None:
            self._contents.save(keep=frozenset(self._latest.files))

    def _list(self) -> InputListing:
        self._latest = listing = input_listing(self.root)
        return listing

    def _share(self, patterns: tuple[str, ...]) -> str:
        with self._listing:
            if self._universe is None:
                self._universe = self._list()
        universe = self._universe
        digest = self._shared[patterns] = self._combine(
            select(universe.files, patterns), universe.ignored, memo=self._described
        )
        return digest

    def _combine(
        self, files: Iterable[str], ignored: Collection[str], *, memo: dict[str, str] | None
    ) -> str:
        """Digest the names, contents and ignored marks of ``files`` (sorted).

        ``memo`` keeps the descriptions of contents between calls.
        """
        digest = hashlib.sha256()
        for path in files:
            described = None if memo is None else memo.get(path)
            if described is None:
                described = self._contents.describe(path)
                if memo is not None:
                    memo[path] = described
            mark = "ignored\0" if path in ignored else ""
            digest.update(f"{path}\0{mark}{described}\n".encode("utf-8", "surrogateescape"))
        return digest.hexdigest()

    def _outside_file(self, path: str, *, fresh: bool) -> str:
        if fresh:
            return describe_path(path, follow=True)
        known = self._outside.get(path)
        if known is None:
            known = self._outside[path] = describe_path(path, follow=True)
        return known


def _user_path(name: str, environ: Mapping[str, str]) -> Path:
    """Where the tool finds its user-level file ``name`` (as the tool sees the environment)."""
    home = environ.get("HOME") or os.path.expanduser("~")  # noqa: PTH111  # HOME unset: pwd
    if name.startswith("~/"):
        return Path(home, name[2:])
    base = environ.get("XDG_CONFIG_HOME", "")
    return Path(base if Path(base).is_absolute() else Path(home, ".config"), name)


def _variables(environ: Mapping[str, str], patterns: tuple[str, ...]) -> str:
    """Digest the variables whose names match ``patterns`` (their values never leave here)."""
    chosen = sorted(
        f"{name}={value}"
        for name, value in environ.items()
        if any(fnmatchcase(name, pattern) for pattern in patterns)
    )
    return hashlib.sha256("\0".join(chosen).encode("utf-8", "surrogateescape")).hexdigest()
