"""Filesystem safety rules shared by every operation that deletes or writes.

- :func:`check_deletable_root` refuses the filesystem root, the home directory and its ancestors,
  and system directories, on *resolved* paths so ``..`` and symlinks cannot get around it.
- :func:`is_inside` answers "is this inside root" on resolved paths.
- :func:`is_virtualenv` recognises a virtual environment by its contents, never by its name.
- :func:`tracked_paths` asks git once per repository which paths it tracks.
- :func:`remove_path` removes one file, link or tree without ever following a symlink.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Iterator

from hephaestus.core.errors import SafetyError
from hephaestus.core.proc import stream_records

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
    return stream_records(
        ["git", "-c", "core.quotepath=off", "ls-files", "-z", "--recurse-submodules"],
        cwd=repository,
        timeout=timeout,
        install_hint="install git: hephaestus needs it to know which files are tracked",
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
