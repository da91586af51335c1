"""Filesystem safety rules shared by every operation that deletes or writes.

- :func:`check_deletable_root` refuses the filesystem root, the home directory and its ancestors,
  and system directories, on *resolved* paths so ``..`` and symlinks cannot get around it.
- :func:`is_inside` answers "is this inside root" on resolved paths.
- :func:`is_virtualenv` recognises a virtual environment by its contents, never by its name.
- :func:`tracked_paths` asks git once per repository which paths it tracks.
- :func:`remove_path` removes one file, link or tree without ever following a symlink.
- :func:`walk_directories` walks through directory descriptors, at any depth, never following
  a symlink and never crossing a mount point (cleanup removes the same way).
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator

from hephaestus.core.errors import SafetyError
from hephaestus.core.git import stream_git

SYSTEM_DIRECTORIES: Final = (
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/opt",
    "/proc",
    "/root",
    "/sbin",
    "/srv",
    "/sys",
    "/usr",
    "/var",
)
"""Refused, with everything under them; plus every top-level ``/lib*``."""
MACOS_SYSTEM_DIRECTORIES: Final = ("/System", "/Library", "/Applications")
VENV_MARKERS: Final = frozenset({"pyvenv.cfg", "conda-meta"})

if not shutil.rmtree.avoids_symlink_attacks:  # pragma: no cover  # every supported POSIX has it
    msg = "this platform's shutil.rmtree is not safe against symlink attacks"
    raise ImportError(msg)


def display_path(path: str | Path) -> str:
    r"""Return ``path`` as JSON-safe text: bytes that are not UTF-8 become ``\xNN`` escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def printable_path(path: str | Path) -> str:
    r"""Return ``path`` safe for one terminal line: control characters escaped (``Icon\r``)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in display_path(path))


def _system_directories() -> tuple[str, ...]:
    extra = MACOS_SYSTEM_DIRECTORIES if sys.platform == "darwin" else ()
    return SYSTEM_DIRECTORIES + extra


def _refusal(resolved: Path, home: Path) -> str | None:
    """Name the rule that forbids deleting inside ``resolved``, or ``None``."""
    if resolved == Path(resolved.anchor):
        return "it is the filesystem root"
    if resolved == home or resolved in home.parents:
        return f"it is the home directory or an ancestor of it ({home})"
    top = Path(resolved.anchor, resolved.parts[1]) if len(resolved.parts) > 1 else resolved
    if top.name.startswith("lib"):
        return f"it is under the system directory {top}"
    for system in _system_directories():
        if resolved == Path(system) or Path(system) in resolved.parents:
            return f"it is under the system directory {system}"
    return None


def check_deletable_root(path: Path, *, home: Path | None = None) -> Path:
    """Return ``path`` resolved if deleting inside it is allowed; else raise.

    Raises:
        SafetyError: ``path`` is the filesystem root, the home directory or an ancestor of it,
            or a system directory or anything under one (exit 3).

    """
    resolved = path.expanduser().resolve()
    home_dir = (home or Path.home()).resolve()
    reason = _refusal(resolved, home_dir)
    if reason is not None:
        raise SafetyError(
            f"refusing to clean {printable_path(path)}: {reason}",
            hint="name a project directory inside your home or work area",
            code="dangerous-path",
        )
    return resolved


def is_inside(path: Path, root: Path) -> bool:
    """Return whether ``path`` is ``root`` or below it, both resolved."""
    resolved, base = path.resolve(), root.resolve()
    return resolved == base or base in resolved.parents


def is_virtualenv(names: set[str] | frozenset[str]) -> bool:
    """Return whether a directory listing ``names`` is a virtual or conda environment."""
    return not VENV_MARKERS.isdisjoint(names)


def tracked_paths(repository: Path, *, timeout: float = 120) -> Iterator[str]:
    """Yield the paths git tracks in ``repository`` and its submodules, relative, ``/``-separated.

    Streamed: a repository with a million files is never held in memory at once. Names are
    decoded like :func:`os.fsdecode` (surrogate escapes), so names that are not UTF-8 compare
    exactly with what :func:`os.scandir` returns. Fails closed: if git cannot answer, this
    raises rather than pretend nothing is tracked.

    Raises:
        ToolNotFoundError: git is not installed (exit 5).
        ExternalError: git failed or timed out (exit 5).

    """
    hint = "install git: hephaestus needs it to know which files are tracked"
    return stream_git(
        repository, "ls-files", "-z", "--recurse-submodules", timeout=timeout, install_hint=hint
    )


def remove_path(path: str | Path) -> list[str]:
    """Remove ``path`` (a file, a symlink or a directory tree) without following symlinks.

    The type is re-checked with ``lstat`` just before removal: a symlink is unlinked as a link,
    never followed, and a tree is removed with the symlink-attack-safe :func:`shutil.rmtree`.
    A path (or part of a tree) that vanished meanwhile is not an error.

    Returns:
        What could not be removed, one message per failure; empty when ``path`` is gone.

    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return []
    failures: list[str] = []

    def record(_func: object, failed: str, error: BaseException | tuple[Any, ...]) -> None:
        exc = error[1] if isinstance(error, tuple) else error
        if not isinstance(exc, FileNotFoundError):
            failures.append(f"{printable_path(failed)}: {getattr(exc, 'strerror', None) or exc}")

    if stat.S_ISDIR(mode):
        if sys.version_info >= (3, 12):
            shutil.rmtree(path, onexc=record)
        else:  # pragma: no cover  # Python 3.11 has only onerror
            shutil.rmtree(path, onerror=record)
        return failures
    try:
        os.unlink(path)  # noqa: PTH108  # str or Path; str keeps non-UTF-8 names exact
    except FileNotFoundError:
        return []
    except OSError as exc:
        return [f"{printable_path(path)}: {exc.strerror or exc}"]
    return []


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temporary file beside it, then a rename.

    Readers never see a half-written file and a failure leaves any previous file intact. There
    is no fsync: this protects against crashes of the process, not of the machine (ADR 0004).
    The parent directory must exist.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}-", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- fd-relative walking and removal ------------------------------------------------------------
# Every directory is opened by name relative to its parent's descriptor with O_NOFOLLOW, so no
# path is ever resolved again: a parent swapped for a symlink cannot redirect anything, and
# depth is limited by open descriptors, not by PATH_MAX. A mount point is never entered: it is
# on another device, or (a bind mount of the same filesystem) the inode its parent's listing
# names is not the inode that opening it gives.

DIRECTORY_FLAGS: Final = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
MOUNT_POINT: Final = "a mount point (another filesystem), kept"


def open_directory(name: str, *, dir_fd: int | None = None) -> int:
    """Open directory ``name`` (relative to ``dir_fd``) without following a symlink.

    Raises:
        OSError: ``name`` is missing, a symlink (``ELOOP``), not a directory, or unreadable.

    """
    return os.open(name, DIRECTORY_FLAGS, dir_fd=dir_fd)


class _Held:
    """A directory descriptor shared by the children still waiting to be opened from it."""

    __slots__ = ("fd", "waiting")

    def __init__(self, fd: int, waiting: int) -> None:
        self.fd, self.waiting = fd, waiting

    def release(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            os.close(self.fd)


@dataclass(slots=True)
class Listing:
    """One directory reached by :func:`walk_directories`; fill ``enter`` with entries to descend.

    ``fd`` stays open until the walker moves on, so ``entries[i].stat()`` works.
    """

    path: str
    depth: int
    fd: int
    entries: list[os.DirEntry[str]]
    enter: list[os.DirEntry[str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Blocked:
    """A directory the walk could not enter: ``error`` is ``None`` for a mount point."""

    path: str
    depth: int
    error: OSError | None


def crossed(fd: int, *, device: int, inode: int) -> bool:
    """Whether the just-opened directory ``fd`` is not what its parent listed: a mount point."""
    status = os.fstat(fd)
    return status.st_dev != device or status.st_ino != inode


def walk_directories(  # noqa: C901, PLR0912  # one loop owning every descriptor it opens
    top_fd: int, top: str, *, device: int
) -> Generator[Listing | Blocked, None, None]:
    """Walk depth first from the open directory ``top_fd`` (taken over and closed at the end).

    Yields a :class:`Listing` per directory; the caller puts in ``listing.enter`` the entries of
    the subdirectories to descend into. A subdirectory that vanished is passed over silently; one
    that cannot be opened or listed (a symlink now, permission, too many open descriptors), or
    lies on another device than ``device``, is yielded as :class:`Blocked`. At most one
    descriptor per level is open at once.
    """
    stack: list[tuple[_Held | None, str, int, str, int]] = [(None, "", 0, top, 0)]
    held: list[_Held] = []
    try:
        while stack:
            parent, name, inode, path, depth = stack.pop()
            if parent is None:
                fd = top_fd
            else:
                try:
                    fd = open_directory(name, dir_fd=parent.fd)
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    yield Blocked(path, depth, exc)
                    continue
                finally:
                    parent.release()
                if crossed(fd, device=device, inode=inode):
                    os.close(fd)
                    yield Blocked(path, depth, None)
                    continue
            try:
                with os.scandir(fd) as iterator:
                    entries = list(iterator)
            except OSError as exc:
                os.close(fd)
                yield Blocked(path, depth, exc)
                continue
            listing = Listing(path, depth, fd, entries)
            try:
                yield listing
            except BaseException:
                os.close(fd)
                raise
            if not listing.enter:
                os.close(fd)
                continue
            holder = _Held(fd, len(listing.enter))
            held.append(holder)
            stack.extend(
                (holder, e.name, e.inode(), f"{path}/{e.name}", depth + 1)
                for e in reversed(listing.enter)
            )
    finally:
        for holder in held:
            if holder.waiting > 0:
                os.close(holder.fd)
                holder.waiting = 0
