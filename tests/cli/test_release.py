"""`hephaestus release` end to end against the GitHub stand-in: install, refusals, faults."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from tests.release.fixtures import (  # noqa: F401  # fixtures are found by name
    BEACON_ID,
    GHA_ISSUER,
    SIGSTORE,
    TOKEN,
    TRUST_ROOT,
    pip_only,
    fresh_venv,
    installed,
    standin,
    tiny_wheels,
    wheelhouse_tar,
)

from hephaestus.core.errors import ExitCode
from hephaestus.release.models import InstallReport

if TYPE_CHECKING:
    from tests.conftest import Cli
    from tests.release.standin import StandIn

ARCHIVE = "tiny-wheelhouse-1.0.tar.gz"


def _manifest(name: str, data: bytes) -> bytes:
    return f"{hashlib.sha256(data).hexdigest()}  {name}\n".encode()


def _install(cli: Cli, standin: StandIn, destination: Path, *extra: str) -> tuple[int, str, str]:
    out = cli(
        "--format", "json", "release", "install",
        "--repository", standin.repository,
        "--api-url", standin.api_url,
        "--destination", str(destination),
        "--token", TOKEN,
        *extra,
    )  # fmt: skip
    return out.exit_code, out.stdout, out.stderr


@pytest.fixture
def destination(tmp_path: Path) -> Path:
    """An empty destination directory."""
    path = tmp_path / "dest"
    path.mkdir()
    return path


def test_full_flow_installs_offline_into_a_fresh_venv(
    cli: Cli, standin: StandIn, wheelhouse_tar: bytes, fresh_venv: Path, destination: Path
) -> None:
    """Lookup, redirected download, checksum, extraction, offline pip: the report says so."""
    standin.add_release(
        "v1.0.0",
        {ARCHIVE: wheelhouse_tar, f"{ARCHIVE}.sha256": _manifest(ARCHIVE, wheelhouse_tar)},
    )
    python = str(fresh_venv / "bin" / "python")
    code, stdout, stderr = _install(cli, standin, destination, "--python", python)
    assert code == 0, stderr
    report = InstallReport.model_validate_json(stdout)
    assert report.tag == "v1.0.0"
    assert report.asset == ARCHIVE
    assert report.size == len(wheelhouse_tar)
    assert report.sha256 == hashlib.sha256(wheelhouse_tar).hexdigest()
    assert report.checksum.verdict == "verified"
    assert report.signature.verdict == "missing"
    assert any("Sigstore" in w for w in report.warnings)
    assert report.install is not None
    assert report.install.installed
    assert report.install.requirements == ["tinyapp==2.1"]
    assert report.install.source == "top-level wheels"
    assert "--no-index" in report.install.command
    assert installed(fresh_venv) == {"tinyapp": "2.1", "tinylib": "1.0"}
    wheelhouse = Path(report.wheelhouse or "")
    assert wheelhouse == destination / "tiny-wheelhouse-1.0"
    assert not (wheelhouse / "wheelhouse" / ".DS_Store").exists()
    assert sorted(p.name for p in destination.iterdir()) == sorted([ARCHIVE, "tiny-wheelhouse-1.0"])
    # The token went to the API, never to the object store the download redirected to.
    assert all("Authorization" not in r.headers for r in standin.requests("objects"))
    assert standin.requests("objects")
    assert any(r.headers.get("Authorization") == f"Bearer {TOKEN}" for r in standin.requests("api"))
