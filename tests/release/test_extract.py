"""Extraction refuses hostile archives (exit 4) and never leaves anything half-extracted."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hephaestus.core.errors import VerificationError
from hephaestus.release.extract import Limits, extract_archive


def _tar(members: list[tarfile.TarInfo], payload: bytes = b"data") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info in members:
            if info.isfile():
                info.size = info.size or len(payload)
                tar.addfile(info, io.BytesIO(payload.ljust(info.size, b"\0")))
            else:
                tar.addfile(info)
    return buffer.getvalue()


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info


def _zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return buffer.getvalue()


def _extract(tmp: Path, name: str, data: bytes, limits: Limits | None = None) -> Path:
    work = tmp / "work"
    work.mkdir(exist_ok=True)
    archive = tmp / f"download-{name}"
    archive.write_bytes(data)
    return extract_archive(archive, name=name, target=work / "out", limits=limits)


def test_a_good_tar_and_zip_extract(tmp_path: Path) -> None:
    """Ordinary archives extract to the target, nothing else in the work directory."""
    tar = _tar(
        [
            _member("w/a.whl"),
            _member("w/sub/", tarfile.DIRTYPE),
            _member("w/link", tarfile.SYMTYPE, "a.whl"),
        ]
    )
    out = _extract(tmp_path, "x.tar.gz", tar)
    assert (out / "w" / "a.whl").read_bytes() == b"data"
    assert (out / "w" / "link").is_symlink()
    assert [p.name for p in (tmp_path / "work").iterdir()] == ["out"]
    (tmp_path / "z.zip").write_bytes(_zip([("w/a.whl", b"zip"), ("w/b/", b"")]))
    target = extract_archive(tmp_path / "z.zip", name="z.zip", target=tmp_path / "zout")
    assert (target / "w" / "a.whl").read_bytes() == b"zip"


def test_tar_of_a_directory_with_dot_prefixes(tmp_path: Path) -> None:
    """`tar -C dir -czf x.tar.gz .` writes './' and './w/…' members: those are fine."""
    tar = _tar([_member("./", tarfile.DIRTYPE), _member("./w/", tarfile.DIRTYPE), _member("./w/a")])
    out = _extract(tmp_path, "x.tar.gz", tar)
    assert (out / "w" / "a").read_bytes() == b"data"


def test_a_single_wheel_becomes_a_wheelhouse(tmp_path: Path) -> None:
    """A .whl asset is copied as the only wheel of the wheelhouse."""
    out = _extract(tmp_path, "pkg-1.0-py3-none-any.whl", b"PK-not-checked-here")
    assert [p.name for p in out.iterdir()] == ["pkg-1.0-py3-none-any.whl"]


HOSTILE_TARS = {
    "absolute": [_member("/etc/evil")],
    "dotdot": [_member("../evil")],
    "nested-dotdot": [_member("a/../../evil")],
    "symlink-escape": [_member("w/link", tarfile.SYMTYPE, "../../etc")],
    "absolute-symlink": [_member("w/link", tarfile.SYMTYPE, "/etc/passwd")],
    "hardlink-escape": [_member("w/hard", tarfile.LNKTYPE, "../outside")],
    "char-device": [_member("w/dev", tarfile.CHRTYPE)],
    "block-device": [_member("w/blk", tarfile.BLKTYPE)],
    "fifo": [_member("w/fifo", tarfile.FIFOTYPE)],
    "backslash": [_member("..\\evil")],
    "through-symlink": [_member("w/d", tarfile.SYMTYPE, "sub"), _member("w/d/x")],
    "duplicate": [_member("w/a"), _member("w/a")],
    "link-then-file": [_member("w/a", tarfile.SYMTYPE, "b"), _member("w/a")],
    "empty-link": [_member("w/l", tarfile.SYMTYPE, "")],
    "self-link": [_member("w/l", tarfile.SYMTYPE, "l")],
    "not-normal": [_member("w//a")],
    "dot-file": [_member(".")],
    "dangling-hardlink": [_member("w/h", tarfile.LNKTYPE, "w/missing")],
}


@pytest.mark.parametrize("name", sorted(HOSTILE_TARS))
def test_hostile_tars_are_refused(tmp_path: Path, name: str) -> None:
    """Absolute paths, '..', escaping links, devices, FIFOs: exit 4 and nothing extracted."""
    with pytest.raises(VerificationError) as info:
        _extract(tmp_path, "x.tar.gz", _tar(HOSTILE_TARS[name]))
    assert info.value.code == "unsafe-archive"
    assert list((tmp_path / "work").iterdir()) == []
    assert not (tmp_path / "evil").exists()


def _zip_link(name: str) -> zipfile.ZipInfo:
    """A zip member marked as a Unix symlink (its data is the link target)."""
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


HOSTILE_ZIPS = {
    "zip-slip": [("../evil", b"x")],
    "absolute": [("/srv/evil", b"x")],
    "drive": [("C:evil", b"x")],
    "backslash": [("a\\..\\..\\evil", b"x")],
    "symlink": [(_zip_link("w/link"), b"../../etc")],
    "duplicate": [("w/a", b"1"), ("w/a", b"2")],
}


@pytest.mark.parametrize("name", sorted(HOSTILE_ZIPS))
def test_hostile_zips_are_refused(tmp_path: Path, name: str) -> None:
    """Zip slip, absolute and drive paths, symlinks, duplicates: exit 4, nothing left."""
    with (
        pytest.warns(UserWarning, match="Duplicate name") if name == "duplicate" else _no_warning()
    ):
        data = _zip(HOSTILE_ZIPS[name])  # type: ignore[arg-type]
    with pytest.raises(VerificationError):
        _extract(tmp_path, "x.zip", data)
    assert list((tmp_path / "work").iterdir()) == []


class _no_warning:  # noqa: N801  # reads like pytest.warns at the call site
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_tar_bomb_by_size(tmp_path: Path) -> None:
    """Members adding up to more than the byte limit: refused before they are written."""
    big = _member("w/zeros")
    big.size = 2 << 20
    with pytest.raises(VerificationError, match="more than 1048576 bytes"):
        _extract(tmp_path, "x.tar.gz", _tar([big]), Limits(max_bytes=1 << 20))
    assert list((tmp_path / "work").iterdir()) == []


def test_tar_bomb_by_members(tmp_path: Path) -> None:
    """More members than the limit: refused."""
    members = [_member(f"w/{i}") for i in range(20)]
    with pytest.raises(VerificationError, match="more than 10 members"):
        _extract(tmp_path, "x.tar.gz", _tar(members), Limits(max_members=10))


def test_zip_bomb(tmp_path: Path) -> None:
    """A zip of 8 MiB of zeros (a few KiB compressed) against a 1 MiB limit: refused."""
    data = _zip([("w/zeros", bytes(8 << 20))])
    assert len(data) < 64 << 10
    with pytest.raises(VerificationError, match="uncompressed"):
        _extract(tmp_path, "x.zip", data, Limits(max_bytes=1 << 20))
    assert list((tmp_path / "work").iterdir()) == []


@pytest.mark.parametrize("name", ["x.tar.gz", "x.zip", "x.tgz"])
def test_not_an_archive(tmp_path: Path, name: str) -> None:
    """Bytes that are not an archive: exit 4, 'cannot be read'."""
    with pytest.raises(VerificationError, match="cannot be read"):
        _extract(tmp_path, name, b"DO NOT MODIFY ME!\n" * 5)


segments = st.sampled_from(["..", ".", "a", "b", "", "/", "\\", "c:", "~"])
names = st.lists(segments, min_size=1, max_size=6).map("/".join)
kinds = st.sampled_from([tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.DIRTYPE])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(names, kinds, names), min_size=1, max_size=5))
def test_generated_tars_never_write_outside(
    tmp_path_factory: pytest.TempPathFactory, members: list[tuple[str, bytes, str]]
) -> None:
    """Whatever the names and links, extraction is refused or stays inside its target."""
    base = tmp_path_factory.mktemp("gen")
    data = _tar([_member(n, k, link) for n, k, link in members if n.strip("/")])
    try:
        out = _extract(base, "x.tar.gz", data)
    except VerificationError:
        assert list((base / "work").iterdir()) == []
    else:
        inside = os.path.realpath(out)
        for path in out.rglob("*"):
            # Where it was written stays inside; a link points inside (a loop is harmless).
            parent = os.path.realpath(path.parent)
            target = (
                os.path.normpath(Path(parent) / path.readlink()) if path.is_symlink() else parent
            )
            for where in (parent, target):
                assert os.path.commonpath([where, inside]) == inside, (path, where)
    assert sorted(p.name for p in base.iterdir()) == ["download-x.tar.gz", "work"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(names, st.binary(max_size=8)), min_size=1, max_size=5))
def test_generated_zips_never_write_outside(members: list[tuple[str, bytes]]) -> None:
    """Generated zip names: refused or extracted inside the target."""
    import tempfile  # noqa: PLC0415  # hypothesis: one directory per example

    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        unique = {n: d for n, d in members if n.strip("/")}
        if not unique:
            return
        data = _zip(list(unique.items()))
        try:
            out = _extract(base, "x.zip", data)
        except VerificationError:
            assert list((base / "work").iterdir()) == []
        else:
            for path in out.rglob("*"):
                assert path.resolve().is_relative_to(out.resolve())
        assert sorted(p.name for p in base.iterdir()) == ["download-x.zip", "work"]
