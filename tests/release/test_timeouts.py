"""Timeouts that hold, sizes that are capped, and no `.part` file left on any way out.

The stand-in's ``drip`` faults send one byte every 1.5 s: each in time for a 2 s read timeout,
so only a deadline on the whole request (and on the whole download) stops them. The signal tests
run the installed console script and send it real SIGTERM and SIGINT mid-download.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from tests.release.standin import SLOW_RATE

from hephaestus.core.errors import ExitCode, ExternalError, VerificationError
from hephaestus.core.http import RetryPolicy
from hephaestus.release.download import download_asset
from hephaestus.release.github import GitHub
from hephaestus.release.models import Asset

if TYPE_CHECKING:
    from tests.conftest import Cli
    from tests.release.standin import StandIn

HEPHAESTUS = str(Path(sys.executable).parent / "hephaestus")
TIMEOUT = 2.0
BOUND = TIMEOUT + 2.0
"""Seconds within which a dripping request must have failed (the deadline, plus slack)."""
ARCHIVE = "w.tar.gz"
SMALL = b"0123456789" * 10


def _asset(standin: StandIn, data: bytes = SMALL) -> Asset:
    manifest = f"{hashlib.sha256(data).hexdigest()}  {ARCHIVE}\n".encode()
    release = standin.add_release("v1", {ARCHIVE: data, f"{ARCHIVE}.sha256": manifest})
    return Asset.model_validate(release["assets"][0])


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    """An empty download directory."""
    path = tmp_path / "dest"
    path.mkdir()
    return path


def _github(standin: StandIn) -> GitHub:
    policy = RetryPolicy(max_retries=3, sleep=lambda _: None)
    return GitHub(api_url=standin.api_url, timeout=TIMEOUT, policy=policy)


@pytest.mark.parametrize("fault", ["drip", "drip-head"])
@pytest.mark.parametrize("redirect", [True, False], ids=["object-store", "api"])
def test_a_dripping_download_trips_the_deadline(
    standin: StandIn, directory: Path, fault: str, redirect: bool
) -> None:
    """A body or head sent a byte per 1.5 s ends in exit 5 by the deadline; no .part is left."""
    standin.redirect = redirect
    asset = _asset(standin)
    standin.faults[ARCHIVE] = [fault] * 10
    started = time.monotonic()
    with _github(standin) as github, pytest.raises(ExternalError) as info:
        download_asset(github, asset, directory=directory)
    assert time.monotonic() - started < BOUND
    assert info.value.exit_code == ExitCode.EXTERNAL
    assert list(directory.iterdir()) == []


def test_the_deadline_grows_with_the_declared_size(standin: StandIn, directory: Path) -> None:
    """A steady download that takes longer than the timeout completes: its deadline is longer."""
    data = os.urandom(3 * SLOW_RATE)  # 3 s at the server's rate, past the 2 s timeout
    asset = _asset(standin, data)
    standin.faults[ARCHIVE] = ["slow"]
    started = time.monotonic()
    with _github(standin) as github:
        done = download_asset(github, asset, directory=directory)
    assert time.monotonic() - started > TIMEOUT
    assert done.sha256 == hashlib.sha256(data).hexdigest()


def test_a_dripping_api_trips_the_timeout(standin: StandIn) -> None:
    """The release lookup answered a byte per 1.5 s: each attempt ends at the timeout."""
    standin.add_release("v1", {ARCHIVE: SMALL})
    standin.api_faults = ["drip-head"] * 3
    policy = RetryPolicy(max_retries=1, sleep=lambda _: None)
    started = time.monotonic()
    with (
        GitHub(api_url=standin.api_url, timeout=TIMEOUT, policy=policy) as github,
        pytest.raises(ExternalError, match=r"ReadTimeout.*still failing after 2 attempts"),
    ):
        github.get_release(standin.repository, "v1")
    assert time.monotonic() - started < 2 * BOUND


@pytest.mark.parametrize("where", ["api", "download"])
def test_the_cli_timeout_bounds_a_dripping_server(
    cli: Cli, standin: StandIn, tmp_path: Path, where: str
) -> None:
    """`--timeout 2` against a dripping server: one line, exit 5, within the bound."""
    _asset(standin)
    if where == "api":
        standin.api_faults = ["drip-head"]
    else:
        standin.faults[ARCHIVE] = ["drip"] * 10
    destination = tmp_path / "dest"
    destination.mkdir()
    started = time.monotonic()
    out = cli(
        "release", "install", "--repository", standin.repository, "--api-url", standin.api_url,
        "--destination", str(destination), "--timeout", "2", "--max-retries", "0",
        "--python", str(tmp_path / "no-such-python"),
    )  # fmt: skip
    assert time.monotonic() - started < BOUND
    assert out.exit_code == ExitCode.EXTERNAL, out.stderr
    assert out.stderr.startswith("error: ")
    assert "Traceback" not in out.stderr
    assert list(destination.iterdir()) == []


def test_an_asset_larger_than_the_limit_is_refused_before_downloading(
    standin: StandIn, directory: Path
) -> None:
    """Declared larger than the overall limit: exit 4 at once, nothing fetched or written."""
    asset = _asset(standin, os.urandom(4096))
    with _github(standin) as github, pytest.raises(VerificationError) as info:
        download_asset(github, asset, directory=directory, max_bytes=4095)
    assert info.value.code == "asset-too-large"
    assert not [r for r in standin.log if "/assets/" in r.path or "/blob/" in r.path]
    assert list(directory.iterdir()) == []


def test_the_cli_caps_downloads_at_the_configured_limit(
    cli: Cli, standin: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """max-extracted-mb also caps the archive's download: a larger one is never fetched."""
    archive = _asset(standin, os.urandom((1 << 20) + 1))
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        "[tool.hephaestus.release]\nmax-extracted-mb = 1\n", encoding="utf-8"
    )
    monkeypatch.chdir(project)
    destination = tmp_path / "dest"
    destination.mkdir()
    out = cli(
        "release", "install", "--repository", standin.repository, "--api-url", standin.api_url,
        "--destination", str(destination), "--python", str(tmp_path / "no-such-python"),
    )  # fmt: skip
    assert out.exit_code == ExitCode.VERIFICATION, out.stderr
    assert "more than the 1048576 allowed" in out.stderr
    assert not [r for r in standin.log if r.path.startswith(f"/blob/{archive.id}")]


def _start(standin: StandIn, destination: Path, cwd: Path) -> subprocess.Popen[str]:
    argv = [
        HEPHAESTUS, "release", "install", "--repository", standin.repository,
        "--api-url", standin.api_url, "--destination", str(destination),
        "--timeout", "30", "--python", str(cwd / "no-such-python"),
    ]  # fmt: skip
    return subprocess.Popen(
        argv,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_part(destination: Path, process: subprocess.Popen[str]) -> None:
    """Wait until the download's .part file exists (the download is under way)."""
    deadline = time.monotonic() + 30
    while not list(destination.glob("*.part")):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the download never started"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGTERM, ExitCode.TERMINATED), (signal.SIGINT, ExitCode.INTERRUPTED)],
    ids=["SIGTERM", "SIGINT"],
)
@pytest.mark.parametrize("fault", ["drip", "stall"])
@pytest.mark.parametrize("delay", [0.0, 0.7], ids=["at-once", "later"])
def test_a_signal_mid_download_leaves_no_part_file(
    standin: StandIn,
    tmp_path: Path,
    signum: signal.Signals,
    code: int,
    fault: str,
    delay: float,
) -> None:
    """The console script, signalled while a body trickles in: its exit code, nothing left.

    "At once" lands while the .part file is being set up (a signal there once left the
    download's worker thread waiting forever, and the process with it); "later" mid-body.
    """
    _asset(standin, os.urandom(64 << 10))
    standin.faults[ARCHIVE] = [fault] * 20
    destination = tmp_path / "dest"
    destination.mkdir()
    process = _start(standin, destination, tmp_path)
    try:
        _wait_for_part(destination, process)
        time.sleep(delay)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr
    assert list(destination.iterdir()) == []
