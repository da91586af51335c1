"""The state directory ``<root>/.hephaestus``: made in one place, always ignored by git.

Audit manifests, the gate cache, the latest guard-rails report, the analytics database and
release downloads live there. Whatever writes one of them first calls :func:`state_directory`,
which creates the directory with a ``.gitignore`` holding ``*``: ``git status`` never shows it
and ``git add -A`` never commits it, whichever command ran first. A ``.hephaestus`` that is a
symbolic link, or anything but a directory of the root, is refused rather than written
through: it could send hephaestus' files anywhere.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path
from typing import Final

from hephaestus.core.errors import SafetyError
from hephaestus.core.fs import printable_path

__all__ = [
    "STATE_IGNORE",
    "STATE_NAME",
    "StateNotADirectoryError",
    "UnsafeStateError",
    "state_directory",
    "state_directory_for",
]

STATE_NAME: Final = ".hephaestus"
"""The state directory's name, directly below the repository root."""
STATE_IGNORE: Final = "# written by hephaestus: its state is never committed\n*\n"
"""The ``.gitignore`` of the state directory: it ignores everything in it, itself included."""
_IGNORE_NAME: Final = ".gitignore"
_DIRECTORY_FLAGS: Final = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_CREATE_FLAGS: Final = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class UnsafeStateError(SafetyError):
    """``.hephaestus`` is a symbolic link, or resolves outside the root: refused, exit 3."""

    code = "unsafe-state-directory"


class StateNotADirectoryError(UnsafeStateError, NotADirectoryError):
    """``.hephaestus`` exists and is no directory (a file, a FIFO, a device): refused, exit 3.

    It is an :class:`OSError` too: where state is best effort (the gate cache, the latest
    guard-rails report), a blocked state directory is handled like an unwritable one.
    """

    code = "state-not-a-directory"


def _refuse(
    state: Path, reason: str, error: type[UnsafeStateError] = UnsafeStateError
) -> UnsafeStateError:
    return error(
        f"refusing to use {printable_path(state)}: {reason}",
        hint=f"make {STATE_NAME} a plain directory of the repository (or remove it)",
    )


def _open_checked(state: Path, root: Path) -> int:
    """Open ``state`` as a real directory of ``root`` (never through a link); return its fd."""
    mode = os.lstat(state).st_mode
    if stat.S_ISLNK(mode):
        raise _refuse(state, "it is a symbolic link")
    if not stat.S_ISDIR(mode):
        raise _refuse(state, "it is not a directory", StateNotADirectoryError)
    try:
        descriptor = os.open(state, _DIRECTORY_FLAGS)
    except OSError as exc:
        if exc.errno in {errno.ELOOP, errno.ENOTDIR}:  # swapped since it was checked
            raise _refuse(state, "it is not a plain directory") from exc
        raise
    if state.resolve().parent != root.resolve():
        os.close(descriptor)
        raise _refuse(state, f"it resolves outside {printable_path(root)}")
    return descriptor


def _write_ignore(directory: int) -> None:
    """Create the ``.gitignore`` in the open ``directory`` unless a regular one is there."""
    try:
        found = os.lstat(_IGNORE_NAME, dir_fd=directory)
    except FileNotFoundError:
        found = None
    if found is not None and stat.S_ISREG(found.st_mode):
        return  # kept as it is: written by an earlier run, or edited on purpose
    if found is not None:  # a link or something stranger: replace it, never write through it
        os.unlink(_IGNORE_NAME, dir_fd=directory)
    try:
        descriptor = os.open(_IGNORE_NAME, _CREATE_FLAGS, 0o644, dir_fd=directory)
    except FileExistsError:
        return  # a concurrent run wrote it
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(STATE_IGNORE)


def state_directory(root: Path) -> Path:
    """Create ``<root>/.hephaestus`` (if needed) with its ``.gitignore``; return its path.

    The directory is made first, then its ``.gitignore`` is written if it is missing (also
    when someone removed it since), through a descriptor of the directory opened without
    following links, so the file lands in the directory that was checked.

    Raises:
        UnsafeStateError: ``.hephaestus`` is a symbolic link or resolves outside ``root``
            (exit 3); nothing is written then.
        StateNotADirectoryError: ``.hephaestus`` is not a directory (exit 3; an ``OSError``).
        OSError: the directory or its ``.gitignore`` cannot be created (a read-only checkout).

    """
    state = root / STATE_NAME
    with contextlib.suppress(FileExistsError):
        state.mkdir()
    descriptor = _open_checked(state, root)
    try:
        _write_ignore(descriptor)
    finally:
        os.close(descriptor)
    return state


def state_directory_for(path: Path, *, root: Path, create: bool = True) -> Path | None:
    """Make the state directory of ``root`` if ``path`` lies in it; return it, else ``None``.

    For paths a user may point into ``.hephaestus`` (a release destination, a manifest), so
    that writing there never leaves the directory without its ``.gitignore``. ``path`` is
    compared as written and made absolute, never resolved: a link would hide where it points.
    With ``create=False`` an absent state directory stays absent (``None``): one that exists
    is checked, and given its ``.gitignore``, before an operation that creates it only when it
    succeeds.

    Raises:
        UnsafeStateError: as :func:`state_directory`.
        OSError: as :func:`state_directory`.

    """
    target = Path(os.path.abspath(path))  # noqa: PTH100  # lexical: ".." folded, no link followed
    for base in dict.fromkeys((Path(os.path.abspath(root)), root.resolve())):  # noqa: PTH100
        if target.is_relative_to(base / STATE_NAME):
            if not create and not os.path.lexists(root / STATE_NAME):
                return None
            return state_directory(root)
    return None
