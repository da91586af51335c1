"""`release install` into an environment without pip: uv installs it; without uv, a clear 5.

A venv made with ``--without-pip`` is what ``uv venv`` makes: no pip module at all. With uv on
PATH the install succeeds there; without uv it is exit 5 with a hint naming both ways out, and
the verified archive is kept, never deleted before an install succeeded.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from tests.release.fixtures import installed

from hephaestus.core.errors import ExitCode
from hephaestus.release.models import InstallReport

if TYPE_CHECKING:
    from tests.conftest import Cli, Outcome
    from tests.release.standin import StandIn

ARCHIVE = "tiny-wheelhouse-1.0.tar.gz"
NO_UV_PATH = str(Path(sys.executable).parent)
"""A PATH holding the test environment's tools but no uv."""


@pytest.fixture
def bare_venv(tmp_path: Path) -> Path:
    """A venv with no pip in it, like one ``uv venv`` makes."""
    venv = tmp_path / "bare-venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        check=True,
        capture_output=True,
    )
    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import pip"], capture_output=True, check=False
    )
    assert probe.returncode != 0, "the venv must not reach any pip"
    return venv


@pytest.fixture
def published(standin: StandIn, wheelhouse_tar: bytes) -> bytes:
    """The tiny wheelhouse published with its checksum manifest."""
    manifest = f"{hashlib.sha256(wheelhouse_tar).hexdigest()}  {ARCHIVE}\n".encode()
    standin.add_release("v1.0.0", {ARCHIVE: wheelhouse_tar, f"{ARCHIVE}.sha256": manifest})
    return wheelhouse_tar


def _install(cli: Cli, standin: StandIn, destination: Path, venv: Path, *extra: str) -> Outcome:
    return cli(
        "--format", "json", "release", "install", "--repository", standin.repository,
        "--api-url", standin.api_url, "--destination", str(destination),
        "--python", str(venv / "bin" / "python"), *extra,
    )  # fmt: skip


@pytest.mark.usefixtures("published")
def test_uv_installs_into_a_venv_without_pip(
    cli: Cli, standin: StandIn, bare_venv: Path, tmp_path: Path
) -> None:
    """Uv from PATH installs the verified wheelhouse offline into the pip-less venv."""
    assert shutil.which("uv") is not None, "these tests need uv on PATH"
    destination = tmp_path / "dest"
    destination.mkdir()
    out = _install(cli, standin, destination, bare_venv)
    assert out.exit_code == 0, out.stderr
    report = InstallReport.model_validate_json(out.stdout)
    assert report.install is not None
    assert report.install.installer == "uv"
    assert report.install.command[1:3] == ["pip", "install"]
    assert {"--no-index", "--offline", "--no-config"} <= set(report.install.command)
    assert installed(bare_venv) == {"tinyapp": "2.1", "tinylib": "1.0"}
    assert sorted(p.name for p in destination.iterdir()) == sorted([ARCHIVE, "tiny-wheelhouse-1.0"])


def test_without_pip_or_uv_the_verified_archive_is_kept(
    cli: Cli, standin: StandIn, bare_venv: Path, tmp_path: Path, published: bytes
) -> None:
    """No pip in the venv and no uv on PATH: exit 5, a hint naming both, the archive kept."""
    destination = tmp_path / "dest"
    destination.mkdir()
    out = cli(
        "release", "install", "--repository", standin.repository,
        "--api-url", standin.api_url, "--destination", str(destination),
        "--python", str(bare_venv / "bin" / "python"),
        env={"PATH": NO_UV_PATH},
    )  # fmt: skip
    assert out.exit_code == ExitCode.EXTERNAL, out.stderr
    lines = out.stderr.splitlines()
    assert lines[0].startswith(f"error: {bare_venv / 'bin' / 'python'} has no pip, and uv is not")
    assert "uv" in lines[1]
    assert "ensurepip" in lines[1]
    assert f"the verified archive is kept at {destination / ARCHIVE}" in lines[1]
    assert "Traceback" not in out.stderr
    assert [p.name for p in destination.iterdir()] == [ARCHIVE]
    assert (destination / ARCHIVE).read_bytes() == published
    assert installed(bare_venv) == {}


@pytest.mark.usefixtures("published")
def test_pip_installs_when_uv_is_not_on_path(
    cli: Cli, standin: StandIn, fresh_venv: Path, tmp_path: Path
) -> None:
    """The counterpart: without uv, pip (isolated, no index) installs into a venv that has it."""
    destination = tmp_path / "dest"
    destination.mkdir()
    out = cli(
        "--format", "json", "release", "install", "--repository", standin.repository,
        "--api-url", standin.api_url, "--destination", str(destination),
        "--python", str(fresh_venv / "bin" / "python"), "--remove-archive",
        env={"PATH": NO_UV_PATH},
    )  # fmt: skip
    assert out.exit_code == 0, out.stderr
    report = InstallReport.model_validate_json(out.stdout)
    assert report.install is not None
    assert report.install.installer == "pip"
    assert "--isolated" in report.install.command
    assert installed(fresh_venv) == {"tinyapp": "2.1", "tinylib": "1.0"}
    assert [p.name for p in destination.iterdir()] == ["tiny-wheelhouse-1.0"]
