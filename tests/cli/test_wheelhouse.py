"""`hephaestus wheelhouse sanitize|verify` from the command line."""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING

from hephaestus.core.errors import ExitCode

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Cli


def test_verify_then_sanitize_then_verify(cli: Cli, tmp_path: Path, tiny_wheels: Path) -> None:
    """Cruft makes verify exit 1; sanitize removes it (dry run first); then verify exits 0."""
    house = tmp_path / "house"
    shutil.copytree(tiny_wheels, house)
    (house / ".DS_Store").write_bytes(b"x")
    (house / "Icon\r").write_bytes(b"x")
    out = cli("wheelhouse", "verify", str(house))
    assert out.exit_code == ExitCode.FINDINGS
    assert "cruft: Icon\\r" in out.stdout
    assert "findings" in out.stdout
    dry = cli("--format", "json", "wheelhouse", "sanitize", str(house), "--dry-run")
    assert json.loads(dry.stdout)["cruft"] == [".DS_Store", "Icon\r"]
    assert (house / ".DS_Store").exists()
    done = cli("wheelhouse", "sanitize", str(house))
    assert done.exit_code == 0
    assert done.stdout.startswith("removed 2 OS cruft paths")
    clean = cli("--format", "json", "wheelhouse", "verify", str(house))
    assert clean.exit_code == 0
    assert [w["problems"] for w in json.loads(clean.stdout)["wheels"]] == [[], []]


def test_missing_directory_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    """A directory that does not exist: exit 2, one line."""
    out = cli("wheelhouse", "verify", str(tmp_path / "nope"))
    assert out.exit_code == ExitCode.USAGE
    assert out.stderr.startswith("error: ")
