"""Downloads: streamed and hashed, resumed with Range after a broken body, size and digest."""

from __future__ import annotations

import errno
import hashlib
import resource
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from hephaestus.core.errors import ExternalError, VerificationError
from hephaestus.core.http import Retrier, RetryPolicy
from hephaestus.release.download import _AHEAD, _Sink, download_asset
from hephaestus.release.github import GitHub
from hephaestus.release.models import Asset

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.release.standin import StandIn

DATA = bytes(range(256)) * 4096  # 1 MiB


@pytest.fixture
def sleeps() -> list[float]:
    """Waits the retrier asked for (recorded instead of slept)."""
    return []


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    """An empty download directory."""
    path = tmp_path / "dest"
    path.mkdir()
    return path


@pytest.fixture
def github(standin: StandIn, sleeps: list[float]) -> Iterator[GitHub]:
    """A client of the stand-in that records its retry waits instead of sleeping."""
    policy = RetryPolicy(max_retries=3, sleep=sleeps.append)
    with GitHub(api_url=standin.api_url, policy=policy) as client:
        yield client


def _asset(standin: StandIn, data: bytes = DATA, **change: object) -> Asset:
    release = standin.add_release("v1", {"w.tar.gz": data})
    return Asset.model_validate({**release["assets"][0], **change})


@pytest.mark.parametrize("fault", ["500", "reset", "truncate", "ratelimit", "429"])
def test_each_fault_is_retried_to_the_right_bytes(
    standin: StandIn, github: GitHub, directory: Path, sleeps: list[float], fault: str
) -> None:
    """After a fault the download completes with the exact bytes and SHA-256."""
    asset = _asset(standin)
    standin.faults["w.tar.gz"] = [fault]
    done = download_asset(github, asset, directory=directory)
    assert done.path.read_bytes() == DATA
    assert done.sha256 == hashlib.sha256(DATA).hexdigest()
    assert len(sleeps) == 1
    if fault in {"reset", "truncate"}:
        ranges = [r.headers.get("Range") for r in standin.requests("objects")]
        assert ranges[-1] is not None
        assert ranges[-1].startswith("bytes=")
        assert ranges[-1] != "bytes=0-"
    if fault == "429":
        assert sleeps == [1.0]


def test_redirect_drops_the_token(standin: StandIn, directory: Path) -> None:
    """The API sees the token; the object store it redirects to never does."""
    asset = _asset(standin)
    token = "ghs_" + "a" * 36
    with GitHub(api_url=standin.api_url, token=token) as github:
        download_asset(github, asset, directory=directory)
    assert standin.requests("api")[-1].headers["Authorization"] == f"Bearer {token}"
    assert standin.requests("objects")
    assert all("Authorization" not in r.headers for r in standin.requests("objects"))


def test_persistent_failure_leaves_no_partial_file(
    standin: StandIn, github: GitHub, directory: Path
) -> None:
    """A body that always breaks: ExternalError after the retries, and an empty directory."""
    asset = _asset(standin)
    standin.faults["w.tar.gz"] = ["truncate"] * 3 + ["500"] * 10
    with pytest.raises(ExternalError, match="still failing after 4 attempts"):
        download_asset(github, asset, directory=directory)
    assert list(directory.iterdir()) == []


def test_a_longer_body_than_stated_is_refused(
    standin: StandIn, github: GitHub, directory: Path
) -> None:
    """More bytes than the API's size: exit-4 error at once, nothing left."""
    asset = _asset(standin)
    standin.faults["w.tar.gz"] = ["overlong"]
    with pytest.raises(VerificationError, match="more bytes than"):
        download_asset(github, asset, directory=directory)
    assert list(directory.iterdir()) == []


def test_digest_mismatch_is_refused(standin: StandIn, github: GitHub, directory: Path) -> None:
    """GitHub's digest disagreeing with the bytes: exit-4 error, nothing left."""
    asset = _asset(standin, digest="sha256:" + "0" * 64)
    with pytest.raises(VerificationError) as info:
        download_asset(github, asset, directory=directory)
    assert info.value.code == "digest-mismatch"
    assert list(directory.iterdir()) == []


def test_no_digest_is_fine(standin: StandIn, github: GitHub, directory: Path) -> None:
    """Older releases have no digest: the size check still holds."""
    asset = _asset(standin, digest=None)
    assert download_asset(github, asset, directory=directory).size == len(DATA)


def test_direct_download_without_redirect(
    standin: StandIn, github: GitHub, directory: Path
) -> None:
    """GitHub may answer 200 with the bytes itself (no redirect): resumes work there too."""
    standin.redirect = False
    asset = _asset(standin)
    standin.faults["w.tar.gz"] = ["reset"]
    assert download_asset(github, asset, directory=directory).path.read_bytes() == DATA
    assert not standin.requests("objects")


def test_retrier_budget_counts_failures_in_a_row(
    standin: StandIn, github: GitHub, directory: Path
) -> None:
    """Broken bodies that each make progress do not exhaust the retries."""
    asset = _asset(standin)
    standin.faults["w.tar.gz"] = ["truncate"] * 6
    retrier = Retrier(github.policy)
    done = download_asset(github, asset, directory=directory, retrier=retrier)
    assert done.path.read_bytes() == DATA


def test_a_full_disk_is_raised_in_the_receiving_thread() -> None:
    """The worker's write error (ENOSPC, from /dev/full) comes back from feed() or flush()."""

    def fill(sink: _Sink) -> None:
        for _ in range(3 * _AHEAD):
            sink.feed(bytes(1 << 16))
        sink.flush()

    with Path("/dev/full").open("wb", buffering=0) as handle, _Sink(handle) as sink:
        with pytest.raises(OSError, match="No space left") as raised:
            fill(sink)
        assert raised.value.errno == errno.ENOSPC
        assert sink.received < 3 * _AHEAD * (1 << 16)  # feed() stopped early, flush() not reached


def test_the_sink_writes_and_hashes_in_order(tmp_path: Path) -> None:
    """Chunks land in order, the hash is of all of them, and a restart starts from nothing."""
    chunks = [bytes([i]) * (1000 + i) for i in range(4 * _AHEAD)]
    with (tmp_path / "out").open("wb") as handle, _Sink(handle) as sink:
        sink.feed(b"discarded")
        sink.restart()
        for chunk in chunks:
            sink.feed(chunk)
        sink.flush()
        assert sink.received == sum(map(len, chunks))
    assert (tmp_path / "out").read_bytes() == b"".join(chunks)
    assert sink.hasher.hexdigest() == hashlib.sha256(b"".join(chunks)).hexdigest()


def test_an_unwritable_destination_is_one_line_error(
    standin: StandIn, github: GitHub, tmp_path: Path
) -> None:
    """No directory to write into: ExternalError naming it, not a raw OSError."""
    release = standin.add_release("v1", {"w.tar.gz": DATA})
    asset = Asset.model_validate(release["assets"][0])
    missing = tmp_path / "gone"
    with pytest.raises(ExternalError, match=r"cannot write w\.tar\.gz into .*gone: No such file"):
        download_asset(github, asset, directory=missing)
    assert not missing.exists()


def test_a_write_failure_mid_download_is_one_line_error(
    standin: StandIn, github: GitHub, directory: Path
) -> None:
    """A file-size limit (EFBIG) hit while streaming: ExternalError, and no partial file."""
    asset = _asset(standin)
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (len(DATA) // 4, limit[1]))
    try:
        with pytest.raises(ExternalError, match=r"cannot write w\.tar\.gz into .*: File too large"):
            download_asset(github, asset, directory=directory)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limit)
        signal.signal(signal.SIGXFSZ, previous)
    assert list(directory.iterdir()) == []


def test_a_download_redirected_to_another_scheme_is_not_retried(
    standin: StandIn, github: GitHub, directory: Path, sleeps: list[float]
) -> None:
    """The asset URL redirects to ftp://: ExternalError at once, no partial file, no waits."""
    asset = _asset(standin)
    standin.faults["w.tar.gz"] = ["ftp"]
    with pytest.raises(ExternalError, match="UnsupportedProtocol"):
        download_asset(github, asset, directory=directory)
    assert sleeps == []
    assert list(directory.iterdir()) == []


def test_a_killed_runs_part_files_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    """Only our own stale ``.part`` names go; fresh ones, other names and links stay."""
    import os  # noqa: PLC0415
    import time  # noqa: PLC0415

    from hephaestus.release.download import STALE_AFTER, sweep_stale_parts  # noqa: PLC0415

    destination = tmp_path / "dest"
    destination.mkdir()
    old = time.time() - STALE_AFTER - 60
    stale = destination / ".wheels.tar.gz.0123456789ab.part"
    fresh = destination / ".wheels.tar.gz.ba9876543210.part"
    other = destination / ".other.tar.gz.0123456789ab.part"
    odd = destination / ".wheels.tar.gz.not-hex-here.part"
    for path in (stale, fresh, other, odd):
        path.write_bytes(b"x")
    link = destination / ".wheels.tar.gz.cafecafecafe.part"
    link.symlink_to(other)
    for path in (stale, other, odd):
        os.utime(path, (old, old))
    os.utime(link, (old, old), follow_symlinks=False)
    assert sweep_stale_parts(destination, "wheels.tar.gz", timeout=30) == [stale]
    assert sorted(p.name for p in destination.iterdir()) == sorted(
        p.name for p in (fresh, other, odd, link)
    )
    # A long timeout widens what counts as live.
    os.utime(fresh, (old, old))
    assert sweep_stale_parts(destination, "wheels.tar.gz", timeout=3600) == []
