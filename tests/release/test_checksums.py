"""SHA-256 manifests in GNU coreutils format: parsing, lookup, verification."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.release.fixtures import SIGSTORE

from hephaestus.core.errors import VerificationError
from hephaestus.release.checksums import (
    format_manifest,
    parse_manifest,
    sha256_file,
    verify_checksum,
)

A = "a" * 64
B = "b" * 64

if TYPE_CHECKING:
    from pathlib import Path


def test_the_shared_manifest_vouches_for_a_txt() -> None:
    """The testdata SHA256SUMS (written by sha256sum) verifies a.txt and refuses the tampered."""
    text = (SIGSTORE / "SHA256SUMS").read_text(encoding="utf-8")
    good = sha256_file(SIGSTORE / "a.txt")
    verify_checksum(text, name="a.txt", sha256=good)
    with pytest.raises(VerificationError) as info:
        verify_checksum(text, name="a.txt", sha256=sha256_file(SIGSTORE / "a.txt.tampered"))
    assert info.value.code == "checksum-mismatch"


def test_binary_mode_comments_blank_lines_and_case() -> None:
    """'*' (binary) entries, comments, blank lines and upper-case digests are read."""
    text = f"# made by CI\n\n{A.upper()} *one.tar.gz\n{B}  two.zip\n"
    assert parse_manifest(text) == {"one.tar.gz": A, "two.zip": B}


def test_escaped_names() -> None:
    r"""A line starting with '\' has '\\' and '\n' escapes in its name, as sha256sum writes."""
    assert parse_manifest(f"\\{A}  we\\\\ird\\nname\n") == {"we\\ird\nname": A}


def test_paths_match_by_base_name_when_unique() -> None:
    """'dist/x.tar.gz' vouches for x.tar.gz; two directories with different digests do not."""
    verify_checksum(f"{A}  ./dist/x.tar.gz\n", name="x.tar.gz", sha256=A)
    with pytest.raises(VerificationError, match="no entry"):
        verify_checksum(f"{A}  a/x.tar.gz\n{B}  b/x.tar.gz\n", name="x.tar.gz", sha256=A)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not a manifest\n", "bad-manifest"),
        (f"{A[:-1]}  x\n", "bad-manifest"),
        (f"{A}  x\n{B}  x\n", "bad-manifest"),
        (f"{A}  other\n", "checksum-missing"),
        (f"{B}  x\n", "checksum-mismatch"),
        ("", "checksum-missing"),
    ],
    ids=["garbage", "short-digest", "conflicting-duplicate", "missing", "mismatch", "empty"],
)
def test_refusals(text: str, code: str) -> None:
    """Malformed lines, conflicting duplicates, a missing entry, a mismatch: all exit 4."""
    with pytest.raises(VerificationError) as info:
        verify_checksum(text, name="x", sha256=A)
    assert info.value.code == code
    assert int(info.value.exit_code) == 4


def test_same_duplicate_is_fine() -> None:
    """The same entry twice with the same digest is not a conflict."""
    assert parse_manifest(f"{A}  x\n{A}  x\n") == {"x": A}


names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\\"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() == s and not s.startswith(("#", " ", "*")))


@given(st.dictionaries(names, st.binary(max_size=64), max_size=8))
def test_format_then_parse_round_trips(files: dict[str, bytes]) -> None:
    """Whatever we write, we read back the same entries."""
    entries = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    assert parse_manifest(format_manifest(entries)) == entries


def test_sha256_file_streams(tmp_path: Path) -> None:
    """sha256_file equals hashlib over the whole content (several chunks)."""
    path = tmp_path / "big"
    data = bytes(range(256)) * 10_000
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
