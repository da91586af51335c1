"""A wheelhouse's ``requirements.txt``, read as data: plain requirements, each met by a wheel.

pip reads a requirements file as a second command line: ``--find-links``, ``--index-url``,
``--extra-index-url``, ``--trusted-host``, ``-e``, ``-r``/``-c`` of other files, URL and path
requirements all make it fetch or build something no checksum or signature covers. So the file
is never handed to pip or uv. It is parsed here, and every line must be a plain requirement: a
name, extras, at most one exact ``==`` version, markers and ``--hash`` options, satisfied by a
wheel in the verified wheelhouse (whose hash the line's ``--hash`` options, if any, must list).
Anything else, or a file that is not UTF-8, refuses the install (exit 4) naming the line. The
installer then receives the requirements as arguments, in their normalised form.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import TYPE_CHECKING, Final

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from hephaestus.core.errors import VerificationError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

REQUIREMENTS: Final = "requirements.txt"
MAX_SIZE: Final = 1 << 20
"""The largest requirements file read (1 MiB): a wheelhouse's list of pins is far smaller."""
_COMMENT: Final = re.compile(r"(^|\s)#.*$")
"""A comment starts at ``#`` at the start of a line or after whitespace (pip's rule)."""
_OPTION: Final = re.compile(r"(?:^|\s)(-\S*)")
"""Where options begin: the first word starting with ``-`` (a name never does)."""
_HASH_OPTION: Final = re.compile(r"\s*--hash(?:=|\s+)(\S+)")
_HASH: Final = re.compile(r"(sha256|sha384|sha512):([0-9a-f]+)")
_ALLOWED_CONTROLS: Final = frozenset("\t")
_SHOWN: Final = 60
"""Characters of a refused line shown in the message."""


def _refused(number: int, line: str, why: str) -> VerificationError:
    shown = line if len(line) <= _SHOWN else line[:_SHOWN] + "…"
    return VerificationError(
        f"{REQUIREMENTS} line {number}: {why}: {shown!r}",
        hint="a wheelhouse's requirements.txt may only name its own wheels (name, extras, "
        "==version, markers, --hash): nothing may come from anywhere else",
        code="requirements-refused",
    )


def _text(path: Path) -> str:
    """Return the file's text.

    Raises:
        VerificationError: it is a symlink, unreadable, too large, or not UTF-8 (the line of
            the first bad byte named).

    """
    if path.is_symlink():
        raise _refused(1, "", "it is a symbolic link, not a file of the wheelhouse")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SIZE + 1)
    except OSError as exc:
        raise _refused(1, "", f"it cannot be read ({exc.strerror or exc})") from exc
    if len(data) > MAX_SIZE:
        raise _refused(1, "", f"the file is larger than {MAX_SIZE} bytes")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        number = data[: exc.start].count(b"\n") + 1
        raise _refused(number, repr(data[exc.start : exc.start + 4]), "not UTF-8") from exc


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield ``(first line number, line)``: comments removed, continued lines joined.

    A line ending in a backslash continues on the next one, as pip reads it.

    Raises:
        VerificationError: a line holds a control or format character (other than a tab),
            which could hide what a line says from whoever reads the file.

    """
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        odd = next((c for c in line if _invisible(c)), None)
        if odd is not None:
            raise _refused(number, line, f"it holds the control character U+{ord(odd):04X}")
        if not pending:
            start = number
        if line.endswith("\\") and not _COMMENT.search(line):
            pending.append(line[:-1])
            continue
        joined = _COMMENT.sub("", "".join([*pending, line])).strip()
        pending = []
        if joined:
            yield start, joined
    if pending:
        joined = _COMMENT.sub("", "".join(pending)).strip()
        if joined:
            yield start, joined


def _invisible(character: str) -> bool:
    return character not in _ALLOWED_CONTROLS and unicodedata.category(character) in {
        "Cc",
        "Cf",
        "Cs",
        "Co",
        "Cn",
        "Zl",
        "Zp",
    }


def _parse(number: int, line: str) -> tuple[Requirement, list[tuple[str, str]]]:
    """Split a logical line into its requirement and its ``--hash`` options.

    Raises:
        VerificationError: the line is an option, a URL or path, not a requirement, has
            another option than ``--hash``, or pins anything but one exact version.

    """
    option = _OPTION.search(line)
    text = line if option is None else line[: option.start()].strip()
    if option is not None and not text:
        raise _refused(
            number, line, f"{_option_name(option.group(1))} is an option, not a requirement"
        )
    hashes = []
    options = "" if option is None else line[option.start() :]
    position = 0
    while options[position:].strip():
        found = _HASH_OPTION.match(options, position)
        if found is None:
            name = _option_name(options[position:].split()[0])
            raise _refused(number, line, f"only --hash may follow a requirement, not {name}")
        digest = _HASH.fullmatch(found.group(1))
        if digest is None:
            raise _refused(number, line, "a --hash is written sha256|sha384|sha512:<hex>")
        hashes.append((digest.group(1), digest.group(2)))
        position = found.end()
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        raise _refused(number, line, "not a requirement (a URL, a path or a typo?)") from exc
    if requirement.url is not None:
        raise _refused(number, line, "a URL requirement fetches what was not verified")
    specifiers = list(requirement.specifier)
    if len(specifiers) > 1 or any(
        s.operator != "==" or s.version.endswith(".*") for s in specifiers
    ):
        raise _refused(number, line, "a version may only be pinned exactly, with one ==")
    return requirement, hashes


def _option_name(word: str) -> str:
    """Name an option as written: ``--find-links``, ``-r`` (from ``-rother.txt``)."""
    name = word.split("=", maxsplit=1)[0]
    return name if name.startswith("--") else name[:2]


def _satisfying(requirement: Requirement, wheels: Sequence[Path]) -> list[Path]:
    name = canonicalize_name(requirement.name)
    found = []
    for wheel in wheels:
        wheel_name, version, *_ = parse_wheel_filename(wheel.name)
        if wheel_name == name and requirement.specifier.contains(
            Version(str(version)), prereleases=True
        ):
            found.append(wheel)
    return found


def read_requirements(path: Path, *, wheels: Sequence[Path]) -> list[str]:
    """Return the requirements of ``path``, normalised, once each is met by one of ``wheels``.

    Raises:
        VerificationError: the file is not UTF-8, a line is not a plain requirement, names
            a distribution or version no wheel provides, or lists hashes a matching wheel
            does not have (exit 4, the line named).

    """
    requirements = []
    for number, line in logical_lines(_text(path)):
        requirement, hashes = _parse(number, line)
        matching = _satisfying(requirement, wheels)
        if not matching:
            raise _refused(number, line, "no wheel in the wheelhouse satisfies it")
        for wheel in matching if hashes else ():
            data = wheel.read_bytes()
            if not any(hashlib.new(alg, data).hexdigest() == hexa for alg, hexa in hashes):
                raise _refused(number, line, f"no --hash matches {wheel.name}")
        requirements.append(str(requirement))
    return requirements
