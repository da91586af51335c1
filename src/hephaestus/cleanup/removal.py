"""fd-relative tree removal: bottom-up through descriptors, never through a symlink or a mount.

Each directory is opened by name relative to its parent's descriptor with ``O_NOFOLLOW`` and
compared with what the parent listed (:func:`hephaestus.core.fs.crossed`), so no path is
resolved again during a removal, whatever its depth, and a parent swapped for a symlink cannot
redirect it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hephaestus.core.fs import MOUNT_POINT, crossed, open_directory, printable_path

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeAlias

    Guard: TypeAlias = Callable[[str, list[os.DirEntry[str]]], str | None]
    """Given a directory's path relative to the tree removed and its entries: why to keep it."""


@dataclass(slots=True)
class _Frame:
    """A directory being removed: its descriptor, where it sits, the subdirectories left."""

    fd: int
    parent_fd: int
    name: str
    label: str
    relative: str
    subdirectories: list[tuple[str, int]] = field(default_factory=list)


class _TreeRemoval:
    """Post-order removal of one directory tree through descriptors, without recursion."""

    def __init__(self, device: int, guard: Guard | None) -> None:
        self.device, self.guard = device, guard
        self.failures: list[str] = []
        self.kept: set[str] = set()
        self.frames: list[_Frame] = []

    def fail(self, label: str, message: str, relative: str) -> None:
        self.failures.append(f"{printable_path(label)}: {message}")
        self.kept.add(relative)

    def enter(self, frame: _Frame) -> None:
        """List ``frame``'s directory, unlink its non-directories, or keep it whole."""
        try:
            with os.scandir(frame.fd) as iterator:
                entries = list(iterator)
        except OSError as exc:
            os.close(frame.fd)
            self.fail(frame.label, exc.strerror or str(exc), frame.relative)
            return
        reason = self.guard(frame.relative, entries) if self.guard is not None else None
        if reason is not None:
            os.close(frame.fd)
            self.fail(frame.label, f"{reason}, kept", frame.relative)
            return
        prefix = f"{frame.relative}/" if frame.relative else ""
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    frame.subdirectories.append((entry.name, entry.inode()))
                else:
                    os.unlink(entry.name, dir_fd=frame.fd)
            except FileNotFoundError:
                pass
            except OSError as exc:
                label = f"{frame.label}/{entry.name}"
                self.fail(label, exc.strerror or str(exc), prefix + entry.name)
        self.frames.append(frame)

    def descend(self, frame: _Frame) -> None:
        """Open the next subdirectory of ``frame`` (same device, same inode as listed)."""
        name, inode = frame.subdirectories.pop()
        label = f"{frame.label}/{name}"
        relative = f"{frame.relative}/{name}" if frame.relative else name
        try:
            fd = open_directory(name, dir_fd=frame.fd)
        except FileNotFoundError:
            return
        except OSError as exc:
            self.fail(label, exc.strerror or str(exc), relative)
            return
        if crossed(fd, device=self.device, inode=inode):
            os.close(fd)
            self.fail(label, MOUNT_POINT, relative)
            return
        self.enter(_Frame(fd, frame.fd, name, label, relative))

    def leave(self, frame: _Frame) -> None:
        """Close ``frame`` and remove its (now empty, unless something was kept) directory."""
        self.frames.pop()
        os.close(frame.fd)
        try:
            os.rmdir(frame.name, dir_fd=frame.parent_fd)
        except FileNotFoundError:
            pass
        except OSError as exc:
            below = f"{frame.relative}/"
            if not any(not frame.relative or k.startswith(below) for k in self.kept):
                self.fail(frame.label, exc.strerror or str(exc), frame.relative)
            self.kept.add(frame.relative)

    def run(self, top: _Frame) -> list[str]:
        try:
            self.enter(top)
            while self.frames:
                frame = self.frames[-1]
                if frame.subdirectories:
                    self.descend(frame)
                else:
                    self.leave(frame)
        finally:
            for frame in self.frames:
                os.close(frame.fd)
        return self.failures


def remove_entry(  # noqa: PLR0913  # keyword-only options of one operation
    parent_fd: int,
    name: str,
    *,
    device: int,
    path: str,
    guard: Guard | None = None,
    directory: bool = False,
) -> list[str]:
    """Remove entry ``name`` of the open directory ``parent_fd``, never following a symlink.

    A directory is removed bottom-up through descriptors (``O_NOFOLLOW`` at every level); a
    subdirectory on another filesystem or bind-mounted is kept (:data:`MOUNT_POINT`), and so is
    any directory for which ``guard(relative_path, entries)`` names a reason (with its
    ancestors). ``path`` only labels messages. A vanished entry is not an error. With
    ``directory``, an entry that is no longer a directory (a symlink swapped in) is kept.

    Returns:
        What could not be removed or was kept, one message per place; empty when ``name`` is gone.

    """
    try:
        status = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
        if not stat.S_ISDIR(status.st_mode):
            if directory:
                return [f"{printable_path(path)}: no longer a directory, kept"]
            os.unlink(name, dir_fd=parent_fd)
            return []
        top_fd = open_directory(name, dir_fd=parent_fd)
    except FileNotFoundError:
        return []
    except OSError as exc:
        return [f"{printable_path(path)}: {exc.strerror or exc}"]
    if crossed(top_fd, device=device, inode=status.st_ino):
        os.close(top_fd)
        return [f"{printable_path(path)}: {MOUNT_POINT}"]
    return _TreeRemoval(device, guard).run(_Frame(top_fd, parent_fd, name, path, ""))
