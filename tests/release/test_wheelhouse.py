"""Wheelhouse checks: OS cruft shared with cleanup, and every wheel's RECORD."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from hephaestus.cleanup.patterns import FILES
from hephaestus.cleanup.settings import CleanupCategory
from hephaestus.core.errors import ExitCode, SafetyError, UsageError
from hephaestus.release.wheelhouse import check_wheel, sanitize, verify_wheelhouse


@pytest.fixture
def house(tmp_path: Path, tiny_wheels: Path) -> Path:
    """A copy of the tiny wheels with OS cruft of every kind cleanup knows."""
    directory = tmp_path / "house"
    shutil.copytree(tiny_wheels, directory)
    for name in FILES[CleanupCategory.os_cruft]:
        (directory / name).write_bytes(b"cruft")
    (directory / "._tinyapp-2.1-py2.py3-none-any.whl").write_bytes(b"apple double")
    (directory / "__MACOSX").mkdir()
    (directory / "__MACOSX" / "x").write_bytes(b"")
    return directory


def test_sanitize_removes_exactly_the_cruft(house: Path) -> None:
    """The os-cruft names of cleanup are removed; the wheels stay; a dry run removes nothing."""
    preview = sanitize(house, dry_run=True)
    assert len(preview.cruft) == 6
    assert (house / ".DS_Store").exists()
    report = sanitize(house)
    assert report.cruft == preview.cruft
    assert sorted(p.name for p in house.iterdir()) == [
        "tinyapp-2.1-py2.py3-none-any.whl",
        "tinylib-1.0-py2.py3-none-any.whl",
    ]


def test_verify_reports_cruft_and_clean_wheels(house: Path) -> None:
    """Real wheels' RECORDs hold; the cruft is listed; the report is not clean."""
    report = verify_wheelhouse(house)
    assert [w.problems for w in report.wheels] == [[], []]
    assert "Icon\r" in report.cruft
    assert not report.clean
    sanitize(house)
    assert verify_wheelhouse(house).clean


def _rewrite(wheel: Path, change: str, data: bytes | None) -> None:
    """Copy ``wheel`` replacing (or, with None, dropping) member ``change``."""
    original = wheel.with_suffix(".orig")
    wheel.rename(original)
    with zipfile.ZipFile(original) as source, zipfile.ZipFile(wheel, "w") as target:
        for info in source.infolist():
            if info.filename == change:
                if data is not None:
                    target.writestr(info, data)
            else:
                target.writestr(info, source.read(info))
        if change not in source.namelist() and data is not None:
            target.writestr(change, data)
    original.unlink()


@pytest.mark.parametrize(
    ("member", "data", "problem"),
    [
        ("tinylib/__init__.py", b"VALUE = 666\n", "hash or size differs from RECORD"),
        ("tinylib/extra.py", b"evil = True\n", "not listed in RECORD"),
        ("tinylib/__init__.py", None, "in RECORD but not in the wheel"),
    ],
    ids=["tampered", "added", "removed"],
)
def test_record_check_finds_tampering(
    tmp_path: Path, tiny_wheels: Path, member: str, data: bytes | None, problem: str
) -> None:
    """A changed, added or removed file is named with what is wrong."""
    wheel = tmp_path / "tinylib-1.0-py2.py3-none-any.whl"
    shutil.copy(tiny_wheels / wheel.name, wheel)
    _rewrite(wheel, member, data)
    assert check_wheel(wheel) == [f"{member}: {problem}"]


def test_broken_wheels(tmp_path: Path) -> None:
    """Not a zip, or a bad file name: one problem each, never an exception."""
    fake = tmp_path / "fake-1.0-py3-none-any.whl"
    fake.write_bytes(b"not a zip")
    assert check_wheel(fake) == ["not a valid wheel (BadZipFile)"]
    named = tmp_path / "not_a_wheel_name.whl"
    named.write_bytes(b"")
    assert check_wheel(named) == ["not a valid wheel file name"]


def test_not_a_directory(tmp_path: Path) -> None:
    """A missing directory is a usage error."""
    with pytest.raises(UsageError):
        verify_wheelhouse(tmp_path / "missing")


@pytest.mark.parametrize("dry_run", [True, False])
def test_sanitize_refuses_the_home_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, dry_run: bool
) -> None:
    """Home (like /, or a system directory) is refused, even for a dry run; nothing goes."""
    home = tmp_path / "someone"
    home.mkdir()
    (home / ".DS_Store").write_bytes(b"cruft")
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(SafetyError, match="home directory") as refused:
        sanitize(home, dry_run=dry_run)
    assert refused.value.exit_code == ExitCode.SAFETY
    assert (home / ".DS_Store").exists()


def test_sanitize_refuses_the_filesystem_root() -> None:
    """``wheelhouse sanitize /`` would take every ._* file of the machine: refused at once."""
    with pytest.raises(SafetyError, match="filesystem root"):
        sanitize(Path("/"), dry_run=True)


def test_names_that_are_not_utf8_are_reported_escaped(tmp_path: Path) -> None:
    r"""``._caf\xe9`` (Latin-1) is cruft; reports show it as cleanup does, and JSON holds it."""
    house = tmp_path / "house"
    house.mkdir()
    latin1 = house / os.fsdecode(b"._caf\xe9")
    latin1.write_bytes(b"apple double")
    report = verify_wheelhouse(house)
    assert report.cruft == ["._caf\\xe9"]
    assert json.loads(report.model_dump_json())["cruft"] == ["._caf\\xe9"]
    assert sanitize(house).cruft == ["._caf\\xe9"]
    assert not latin1.exists()
