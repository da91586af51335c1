"""Unpack a downloaded archive safely: checked first, into a temporary directory, then renamed.

A tar is read with the ``data`` filter of :mod:`tarfile` after our own pass over its headers; a
zip is extracted member by member. Refused (exit 4): absolute paths, ``..``, links that leave
the directory, device files and FIFOs, zip symlinks, duplicate members, and archive bombs (more
members or more uncompressed bytes than the limits). The result appears under its final name by
one rename, so a failure never leaves a half-extracted wheelhouse.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from hephaestus.core.errors import ExternalError, VerificationError
from hephaestus.core.fs import remove_path

CHUNK: Final = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that make an archive bomb an error instead of a full disk."""

    max_members: int = 20_000
    max_bytes: int = 2 << 30


def _unsafe(archive: str, detail: str) -> VerificationError:
    return VerificationError(
        f"unsafe archive {archive}: {detail}",
        hint="the archive could write outside its directory or exhaust the disk: do not use it",
        code="unsafe-archive",
    )


def check_member_name(name: str, *, archive: str) -> str:
    """Return ``name`` normalised if it is a plain relative path inside the archive; else raise.

    Plain means already normal (an optional leading ``./`` and a trailing ``/`` aside): no
    ``//``, ``/./`` or ``..`` segment, nothing absolute, no backslash, no drive.
    """
    if not name or "\0" in name or "\\" in name or _DRIVE.match(name) or name.startswith("/"):
        raise _unsafe(archive, f"member {name!r} has an absolute or foreign path")
    body = name.removeprefix("./").removesuffix("/")
    if name in {".", "./"}:
        return "."  # the archive's own top directory, as `tar -C dir -czf x.tar.gz .` writes
    if ".." in body.split("/"):
        raise _unsafe(archive, f"member {name!r} points outside the archive")
    if not body or posixpath.normpath(body) != body:
        raise _unsafe(archive, f"member {name!r} is not a plain relative path")
    return body


class _Budget:
    def __init__(self, limits: Limits, archive: str) -> None:
        self.limits, self.archive = limits, archive
        self.members = self.bytes = 0

    def add(self, *, members: int = 0, size: int = 0) -> None:
        self.members += members
        self.bytes += size
        if self.members > self.limits.max_members:
            raise _unsafe(self.archive, f"more than {self.limits.max_members} members")
        if self.bytes > self.limits.max_bytes:
            raise _unsafe(self.archive, f"more than {self.limits.max_bytes} bytes uncompressed")


def _check_tar_member(member: tarfile.TarInfo, archive: str, seen: dict[str, bytes]) -> None:
    """Refuse what the ``data`` filter would let through but we never want in a wheelhouse.

    ``seen`` maps each earlier member's normalised name to its type: a name may appear once,
    and nothing may be written through a symlink of the archive.
    """
    name = check_member_name(member.name, archive=archive)
    if name == "." and member.isdir():
        return
    if (
        member.ischr()
        or member.isblk()
        or member.isfifo()
        or not (member.isfile() or member.isdir() or member.issym() or member.islnk())
    ):
        raise _unsafe(archive, f"member {member.name!r} is a device or special file")
    if name in seen or name == ".":
        raise _unsafe(archive, f"member {member.name!r} appears twice")
    parts = name.split("/")
    if any(seen.get("/".join(parts[:i])) == tarfile.SYMTYPE for i in range(1, len(parts))):
        raise _unsafe(archive, f"member {member.name!r} is written through a symlink")
    if member.issym():
        if not member.linkname or member.linkname.startswith("/"):
            raise _unsafe(archive, f"symlink {member.name!r} points to an absolute or empty path")
        target = posixpath.normpath(posixpath.join(posixpath.dirname(name), member.linkname))
        if target == ".." or target.startswith("../") or target in {".", name}:
            raise _unsafe(archive, f"symlink {member.name!r} leaves the archive or loops")
    if member.islnk():
        target = check_member_name(member.linkname, archive=archive)
        if seen.get(target) != tarfile.REGTYPE:
            raise _unsafe(archive, f"hard link {member.name!r} names no earlier file")
    seen[name] = tarfile.REGTYPE if member.isfile() else member.type


def _extract_tar(path: Path, into: Path, budget: _Budget) -> None:
    seen: dict[str, bytes] = {}
    with tarfile.open(path, "r:*") as tar:
        for member in tar:
            budget.add(members=1, size=member.size if member.isfile() else 0)
            _check_tar_member(member, budget.archive, seen)
        tar.extractall(into, filter="data")


def _extract_zip(path: Path, into: Path, budget: _Budget) -> None:
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        for info in infos:
            budget.add(members=1, size=info.file_size)
            check_member_name(info.filename, archive=budget.archive)
            kind = stat.S_IFMT(info.external_attr >> 16)  # 0: no Unix type recorded
            if kind not in {0, stat.S_IFREG, stat.S_IFDIR}:
                raise _unsafe(budget.archive, f"member {info.filename!r} is a link or special file")
        for info in infos:
            target = into / check_member_name(info.filename, archive=budget.archive)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            try:
                descriptor = os.open(target, flags, 0o644)
            except FileExistsError as exc:
                raise _unsafe(budget.archive, f"member {info.filename!r} appears twice") from exc
            with archive.open(info) as source, os.fdopen(descriptor, "wb") as sink:
                shutil.copyfileobj(source, sink, CHUNK)


def extract_archive(
    archive: Path, *, name: str, target: Path, limits: Limits | None = None
) -> Path:
    """Unpack ``archive`` (named ``name``: .tar.gz, .tgz, .zip or .whl) to the new ``target``.

    A ``.whl`` is copied as the only wheel of the wheelhouse. ``target`` must not exist; its
    parent must. Returns ``target``. Raises:
        VerificationError: the archive is unsafe or not a valid archive (exit 4).

    """
    budget = _Budget(limits or Limits(), name)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        if name.endswith(".whl"):
            shutil.copyfile(archive, staging / name)
        elif name.endswith(".zip"):
            _extract_zip(archive, staging, budget)
        else:
            _extract_tar(archive, staging, budget)
        staging.rename(target)
    except (tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError, RecursionError) as exc:
        remove_path(staging)
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _unsafe(name, f"cannot be read ({detail})") from exc
    except (IsADirectoryError, NotADirectoryError, FileExistsError) as exc:
        remove_path(staging)  # members that collide: a file where a directory is, "." as a file
        raise _unsafe(name, f"members collide ({exc.strerror})") from exc
    except OSError as exc:
        remove_path(staging)
        raise ExternalError(
            f"cannot extract {name} into {target.parent}: {exc.strerror or exc}",
            hint="check free space and permissions of the destination",
            code="extract-failed",
        ) from exc
    except BaseException:
        remove_path(staging)
        raise
    return target
