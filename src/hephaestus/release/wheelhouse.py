"""A wheelhouse on disk: its wheels, its OS cruft, and the RECORD check of every wheel.

OS cruft is the ``os-cruft`` category of ``cleanup`` (one definition, in
:mod:`hephaestus.cleanup.patterns`). The RECORD check recomputes each file's hash and size
inside each wheel as pip would, and reports files missing from RECORD or from the wheel.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import stat
import zipfile
from pathlib import Path
from typing import Final

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from hephaestus.cleanup.patterns import Matcher
from hephaestus.cleanup.settings import CleanupCategory
from hephaestus.core.errors import ExternalError, SafetyError, UsageError, field_ref
from hephaestus.core.fs import check_deletable_root, display_path, remove_path
from hephaestus.release.models import SanitizeReport, WheelCheck, WheelhouseReport

_CRUFT: Final = Matcher.for_categories(frozenset({CleanupCategory.os_cruft}))
_UNSIGNED: Final = ("RECORD", "RECORD.jws", "RECORD.p7s")


def _directory(path: Path) -> Path:
    if not path.is_dir():
        raise UsageError(f"{path} is not a directory", hint="name the wheelhouse directory")
    return path.resolve()


def _shown(names: list[str]) -> list[str]:
    r"""Names as reports hold them: bytes that are not UTF-8 as ``\xNN``, as cleanup shows them."""
    return [display_path(name) for name in names]


def find_cruft(directory: Path) -> list[str]:
    """Return OS cruft below ``directory`` (relative, sorted); symlinks are never followed."""
    found: list[str] = []
    for parent, dirs, files in os.walk(directory):
        base = Path(parent)
        for name in list(dirs):
            if _CRUFT.match(name, is_dir=not (base / name).is_symlink()):
                found.append(str((base / name).relative_to(directory)))
                dirs.remove(name)
        found += [str((base / n).relative_to(directory)) for n in files if _CRUFT.match_link(n)]
    return sorted(found)


def cruft_digest(root: Path, cruft: list[str]) -> str:
    """Identify a sanitize plan by what it removes: the directory, each path, its kind and size."""
    digest = hashlib.sha256(os.fsencode(root) + b"\0")
    for relative in cruft:
        info = (root / relative).lstat()
        line = f"{relative}\0{stat.S_IFMT(info.st_mode)}\0{info.st_size}\n"
        digest.update(line.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:32]


def sanitize(
    directory: Path, *, dry_run: bool = False, plan_id: str | None = None
) -> SanitizeReport:
    """Remove OS cruft from ``directory`` (nothing with ``dry_run``); report what it was.

    It refuses, even for a dry run, the directories cleanup refuses (the filesystem root, the
    home directory or an ancestor of it, system directories): ``wheelhouse sanitize /`` would
    otherwise take every ``._*`` file of the machine. Given the ``plan_id`` of a dry run, it
    removes nothing unless the cruft found now is the cruft that dry run found.

    Raises:
        UsageError: ``directory`` is not a directory (exit 2).
        SafetyError: removing inside ``directory`` is refused, or the cruft changed since the
            plan ``plan_id`` (``stale-plan``) (exit 3).
        ExternalError: a cruft path could not be removed (exit 5).

    """
    root = check_deletable_root(_directory(directory))
    cruft = find_cruft(root)
    digest = cruft_digest(root, cruft)
    if plan_id is not None and plan_id != digest:
        raise SafetyError(
            f"the wheelhouse changed since plan {plan_id}: nothing was removed",
            hint=f"plan again (a dry run) and pass the new {field_ref('plan_id')}",
            code="stale-plan",
        )
    if not dry_run:
        remove_cruft(root, cruft)
    return SanitizeReport(
        directory=display_path(root), cruft=_shown(cruft), dry_run=dry_run, plan_id=digest
    )


def remove_cruft(root: Path, cruft: list[str] | None = None) -> None:
    """Remove ``cruft`` (default: :func:`find_cruft`) below ``root``.

    For a directory the caller made itself (an extraction's staging directory): no safety
    check of ``root``.

    Raises:
        ExternalError: a cruft path could not be removed (exit 5).

    """
    for relative in find_cruft(root) if cruft is None else cruft:
        failures = remove_path(root / relative)
        if failures:
            raise ExternalError(
                f"cannot remove {failures[0]}",
                hint="check the permissions of the wheelhouse",
                code="remove-failed",
            )


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def check_wheel(path: Path) -> list[str]:
    """Return what is wrong with the wheel at ``path`` (empty: its RECORD holds)."""
    try:
        parse_wheel_filename(path.name)
        with zipfile.ZipFile(path) as wheel:
            names = [n for n in wheel.namelist() if not n.endswith("/")]
            records = [n for n in names if n.count("/") == 1 and n.endswith(".dist-info/RECORD")]
            if len(records) != 1:
                return ["no single .dist-info/RECORD"]
            record = records[0]
            rows = csv.reader(io.StringIO(wheel.read(record).decode("utf-8")))
            listed = {row[0]: row[1:] for row in rows if row}
            problems = []
            for name in names:
                if name.rsplit("/", 1)[-1] in _UNSIGNED and name.startswith(record[:-6]):
                    continue
                if name not in listed:
                    problems.append(f"{name}: not listed in RECORD")
                    continue
                expected, size = (listed[name] + ["", ""])[:2]
                data = wheel.read(name)
                if expected and not expected.startswith("sha256="):
                    problems.append(f"{name}: RECORD uses {expected.split('=')[0]}, not sha256")
                elif expected != _record_hash(data) or (size and int(size) != len(data)):
                    problems.append(f"{name}: hash or size differs from RECORD")
            problems += [f"{n}: in RECORD but not in the wheel" for n in listed if n not in names]
            return problems
    except InvalidWheelFilename:
        return ["not a valid wheel file name"]
    except (zipfile.BadZipFile, UnicodeDecodeError, ValueError, OSError) as exc:
        return [f"not a valid wheel ({type(exc).__name__})"]


def wheels_in(directory: Path) -> list[Path]:
    """Return the ``*.whl`` files directly in ``directory``, sorted; cruft (``._x.whl``) is not."""
    return sorted(
        p for p in directory.glob("*.whl") if p.is_file() and not _CRUFT.match_link(p.name)
    )


def verify_wheelhouse(directory: Path) -> WheelhouseReport:
    """Report OS cruft in ``directory`` and the RECORD check of every wheel in it.

    Raises:
        UsageError: ``directory`` is not a directory.

    """
    root = _directory(directory)
    checks = [
        WheelCheck(wheel=display_path(p.name), problems=check_wheel(p)) for p in wheels_in(root)
    ]
    return WheelhouseReport(
        directory=display_path(root), cruft=_shown(find_cruft(root)), wheels=checks
    )
