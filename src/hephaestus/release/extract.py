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
    """Return ``name`` normalised if it stays inside the extraction directory; else raise."""
    if not name or "\0" in name or "\\" in name or _DRIVE.match(name) or name.startswith("/"):
        raise _unsafe(archive, f"member {name!r} has an absolute or foreign path")
    normal = posixpath.normpath(name)
    if normal == ".." or normal.startswith("../") or ".." in name.split("/"):
        raise _unsafe(archive, f"member {name!r} points outside the archive")
    return normal


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


def _check_tar_member(member: tarfile.TarInfo, archive: str) -> None:
    name = check_member_name(member.name, archive=archive)
    if (
        member.ischr()
        or member.isblk()
        or member.isfifo()
        or not (member.isfile() or member.isdir() or member.issym() or member.islnk())
    ):
        raise _unsafe(archive, f"member {member.name!r} is a device or special file")
    if member.issym():
        if member.linkname.startswith("/"):
            raise _unsafe(archive, f"symlink {member.name!r} points to an absolute path")
        target = posixpath.normpath(posixpath.join(posixpath.dirname(name), member.linkname))
        if target == ".." or target.startswith("../"):
            raise _unsafe(archive, f"symlink {member.name!r} leaves the archive")
    if member.islnk():
        check_member_name(member.linkname, archive=archive)


def _extract_tar(path: Path, into: Path, budget: _Budget) -> None:
    with tarfile.open(path, "r:*") as tar:
        for member in tar:
            budget.add(members=1, size=member.size if member.isfile() else 0)
            _check_tar_member(member, budget.archive)
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
    except (tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
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
