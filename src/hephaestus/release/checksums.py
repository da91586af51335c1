r"""SHA-256 manifests in GNU coreutils format: ``<64 hex><space><space or *><name>``.

What ``sha256sum`` writes and ``sha256sum --check`` reads, including its escaped form (a line
starting with ``\`` whose name has ``\\`` and ``\n``). Blank lines and ``#`` comments are
skipped; a malformed line, a conflicting duplicate, a missing entry or a mismatch is an error.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Final

from hephaestus.core.errors import VerificationError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

_LINE: Final = re.compile(r"(?P<escaped>\\?)(?P<digest>[0-9a-fA-F]{64}) [ *](?P<name>.+)")
CHUNK: Final = 1 << 20


def _unescape(name: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], name)


def parse_manifest(text: str, *, source: str = "manifest") -> dict[str, str]:
    """Return ``{name: lower-case hex digest}`` from a manifest's text.

    Raises:
        VerificationError: a line is not a manifest line, or a name is listed twice with
            different digests.

    """
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        found = _LINE.fullmatch(line)
        if found is None:
            raise VerificationError(
                f"{source} line {number} is not '<sha256>  <name>'",
                hint="the manifest must be written by sha256sum (GNU coreutils format)",
                code="bad-manifest",
            )
        name = _unescape(found["name"]) if found["escaped"] else found["name"]
        digest = found["digest"].lower()
        if entries.get(name, digest) != digest:
            raise VerificationError(
                f"{source} lists {name!r} twice with different digests",
                hint="the manifest is inconsistent: do not trust it",
                code="bad-manifest",
            )
        entries[name] = digest
    return entries


def expected_digest(entries: Mapping[str, str], name: str, *, source: str = "manifest") -> str:
    """Return the digest the manifest lists for ``name`` (or for ``*/name``, if only one).

    Raises:
        VerificationError: no entry, or several entries in different directories, name it.

    """
    if name in entries:
        return entries[name]
    same = {d for n, d in entries.items() if PurePosixPath(n.removeprefix("./")).name == name}
    if len(same) == 1:
        return same.pop()
    raise VerificationError(
        f"{source} has no entry for {name}",
        hint="the manifest does not vouch for this file: do not install it",
        code="checksum-missing",
    )


def verify_checksum(text: str, *, name: str, sha256: str, source: str = "manifest") -> None:
    """Check that the manifest ``text`` lists ``name`` with digest ``sha256``; return None.

    Raises:
        VerificationError: malformed manifest, no entry, or a different digest (exit 4).

    """
    expected = expected_digest(parse_manifest(text, source=source), name, source=source)
    if expected != sha256.lower():
        raise VerificationError(
            f"checksum mismatch for {name}: {source} says {expected}, the file is {sha256}",
            hint="the file is not the one the manifest vouches for: do not install it",
            code="checksum-mismatch",
        )


def format_manifest(entries: Mapping[str, str]) -> str:
    """Write ``{name: digest}`` the way ``sha256sum`` does (names sorted)."""
    return "".join(f"{digest}  {name}\n" for name, digest in sorted(entries.items()))


def sha256_file(path: Path) -> str:
    """Return the SHA-256 of the file at ``path``, read in constant memory."""
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()
