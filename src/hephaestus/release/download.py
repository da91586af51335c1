"""Download one release asset: streamed to a temporary file, hashed while streaming, resumed.

Memory stays constant whatever the size: chunks are written and hashed as they arrive, by a
second thread behind the receiving one (at most ``_AHEAD`` chunks wait; hashlib and file writes
release the GIL, so receiving, hashing and writing overlap on two cores). The size
is checked against the API's ``size`` (a longer body is cut off at once) and GitHub's ``digest``
is cross-checked when present. Connection errors, 5xx, 429 and rate-limit 403s are retried
(:class:`~hephaestus.core.http.Retrier`); an interrupted body resumes with a ``Range`` request.

Time and size are bounded. Each answer's head must come within the timeout, and the whole
download, retries included, must end by ``timeout + size / SLOWEST_RATE`` seconds after it began;
an asset the API declares larger than ``max_bytes`` is refused before a byte is fetched. On any
failure, Ctrl-C and SIGTERM included, the temporary ``.part`` file is removed: nothing partial
stays in the destination. SIGKILL leaves no chance to: the next download of the same asset into
the same destination removes such leftovers (:func:`sweep_stale_parts`).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from queue import SimpleQueue
from typing import TYPE_CHECKING, BinaryIO, Self

import httpx

from hephaestus.core.errors import ExternalError, VerificationError, field_ref
from hephaestus.core.http import Retrier, is_retryable, retry_after_error
from hephaestus.core.progress import NO_PROGRESS, Progress
from hephaestus.release.github import SLOWEST_RATE, raise_for_status

if TYPE_CHECKING:
    from hephaestus.release.github import GitHub
    from hephaestus.release.models import Asset

PARTIAL_CONTENT = 206
MAX_DOWNLOAD = 2 << 30
"""The largest asset downloaded by default: 2 GiB, GitHub's own limit for a release asset."""
_AHEAD = 8
"""Chunks received but not yet written and hashed (at most 8 MiB with reads of up to 1 MiB)."""


@dataclass(frozen=True, slots=True)
class Downloaded:
    """A fully downloaded, size-checked file (still under its temporary name)."""

    path: Path
    size: int
    sha256: str
    seconds: float


class _Sink:
    """Writes and hashes the body in order on a second thread, behind the receiving one.

    Receiving is the busiest part of a download (the kernel copies each byte to Python in that
    thread), so the worker takes the rest: writing and hashing, which both release the GIL and
    run on another core meanwhile. At most ``_AHEAD`` chunks wait. A queue and a semaphore cost
    less per chunk than an executor's futures, at thousands of chunks per download
    (benchmarks/release.py). ``received`` counts bytes handed over; :meth:`flush` waits until
    all of them are written and hashed and raises the worker's error (a full disk) in the
    caller's thread. Use it as a context manager: leaving it stops the worker.
    """

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.hasher = hashlib.sha256()
        self.received = 0
        self._queue: SimpleQueue[bytes | None] = SimpleQueue()
        self._room = threading.Semaphore(_AHEAD)
        self._error: BaseException | None = None
        # A daemon: if an interruption (SIGTERM between two instructions) skips __exit__, the
        # worker, waiting for chunks that never come, must not keep the process alive.
        self._thread = threading.Thread(target=self._work, name="download-sink", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._queue.put(None)
        self._thread.join()

    def _work(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self.handle.write(chunk)
                    self.hasher.update(chunk)
                except BaseException as exc:  # noqa: BLE001  # raised again by feed() or flush()
                    self._error = exc
            self._room.release()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def feed(self, chunk: bytes) -> None:
        """Hand ``chunk`` to the worker, waiting while ``_AHEAD`` chunks still are."""
        self._raise_error()
        self._room.acquire()
        self._queue.put(chunk)
        self.received += len(chunk)

    def flush(self) -> None:
        """Wait until every chunk handed over is written and hashed; raise the worker's error."""
        for _ in range(_AHEAD):
            self._room.acquire()
        for _ in range(_AHEAD):
            self._room.release()
        self._raise_error()

    def restart(self) -> None:
        self.flush()
        self.handle.seek(0)
        self.handle.truncate()
        self.hasher = hashlib.sha256()
        self.received = 0


def _check_resume(response: httpx.Response, sink: _Sink, name: str) -> None:
    """Accept a 206 only if it continues exactly where we stopped; a 200 starts over."""
    if sink.received == 0:
        return
    if response.status_code == PARTIAL_CONTENT:
        start = response.headers.get("content-range", "").removeprefix("bytes ").split("-")[0]
        if start != str(sink.received):
            raise ExternalError(
                f"download of {name}: the server resumed at the wrong offset",
                hint="try again; the partial file was removed",
                code="download-failed",
            )
        return
    sink.restart()


@dataclass(frozen=True, slots=True)
class _Deadline:
    """When a download must be over (``time.monotonic()``), and the seconds that allows."""

    at: float
    seconds: float

    @classmethod
    def for_asset(cls, github: GitHub, asset: Asset) -> _Deadline:
        seconds = github.timeout + asset.size / SLOWEST_RATE
        return cls(time.monotonic() + seconds, seconds)

    def check(self, asset: Asset) -> None:
        """Raise :class:`ExternalError` (exit 5, not retried) if the deadline has passed."""
        if time.monotonic() >= self.at:
            raise ExternalError(
                f"download of {asset.name}: not complete within {self.seconds:.0f} s "
                f"(the timeout plus {SLOWEST_RATE >> 10} KiB/s for its {asset.size} bytes)",
                hint="the server or the network is too slow; try again later, or raise "
                f"{field_ref('timeout')}",
                code="download-timeout",
            )


def _stream_once(
    github: GitHub, asset: Asset, sink: _Sink, progress: Progress, deadline: _Deadline
) -> bool | httpx.Response:
    """Make one attempt; say whether the whole body arrived.

    Returns True when it did, False when it ended early, or the response whose status asks for
    a retry (its headers say how long to wait).
    """
    with github.stream_asset(asset, offset=sink.received, deadline=deadline.at) as response:
        if is_retryable(response):
            return response
        raise_for_status(response, what=f"download of {asset.name}")
        _check_resume(response, sink, asset.name)
        for chunk in response.iter_raw():
            if sink.received + len(chunk) > asset.size:
                raise VerificationError(
                    f"download of {asset.name}: more bytes than the {asset.size} the API states",
                    hint="the release asset is not what GitHub describes; do not install it",
                    code="size-mismatch",
                )
            sink.feed(chunk)
            progress.advance(len(chunk))
            deadline.check(asset)  # behind a proxy httpx's transport knows no deadline
    sink.flush()  # what arrived is on disk before a resume asks for the rest
    return sink.received == asset.size


def _fetch(github: GitHub, asset: Asset, sink: _Sink, retrier: Retrier, progress: Progress) -> None:
    what = f"download of {asset.name}"
    deadline = _Deadline.for_asset(github, asset)
    while True:
        deadline.check(asset)
        before = sink.received
        response = error = None
        try:
            outcome = _stream_once(github, asset, sink, progress, deadline)
            if outcome is True:
                return
            if isinstance(outcome, httpx.Response):
                response, reason = outcome, f"HTTP {outcome.status_code}"
            else:
                reason = f"body ended after {sink.received} of {asset.size} bytes"
        except httpx.TransportError as exc:
            error = exc
        if sink.received > before:  # progress was made: the retry budget counts failures in a row
            retrier.attempts = 0
        if error is not None:
            deadline.check(asset)  # a read cut short by the deadline: over, not retried
            retry_after_error(error, what=what, retrier=retrier)
        else:
            retrier.wait(what=what, response=response, reason=reason)


STALE_AFTER = 600.0
"""Seconds untouched after which a ``.part`` file of ours is a killed run's leftover (at least:
ten times the timeout between bytes, since a live download writes whenever bytes arrive)."""


def sweep_stale_parts(
    directory: Path, name: str, *, timeout: float, now: float | None = None
) -> list[Path]:
    """Remove the ``.part`` files of asset ``name`` that a killed run left in ``directory``.

    SIGKILL (or a power cut) ends a run before it can remove its partial file. Only files named
    exactly as :func:`download_asset` names them (``.<name>.<12 hex>.part``), regular, and
    untouched for ``max(STALE_AFTER, 10 * timeout)`` seconds are removed: a live download of
    another run writes whenever bytes arrive, so its file is never that old.
    """
    pattern = re.compile(re.escape(f".{name}.") + r"[0-9a-f]{12}\.part")
    limit = max(STALE_AFTER, 10 * timeout)
    moment = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and moment - info.st_mtime > limit:
                stale = Path(entry.path)
                stale.unlink()
                removed.append(stale)
        except OSError:
            continue  # gone meanwhile, or not ours to remove: left alone
    return removed


def download_asset(  # noqa: PLR0913  # keyword-only options, each with a safe default
    github: GitHub,
    asset: Asset,
    *,
    directory: Path,
    retrier: Retrier | None = None,
    progress: Progress = NO_PROGRESS,
    max_bytes: int = MAX_DOWNLOAD,
    staging: list[Path] | None = None,
) -> Downloaded:
    """Download ``asset`` into a hidden temporary file in ``directory``; return it checked.

    The caller renames or removes the returned file; with ``staging``, its path is appended
    there before the file is created, for a caller that cleans up what it staged. Raises:
        ExternalError: the download failed after retries, did not end in time, or the file
            could not be written (a full disk, a missing directory) (exit 5).
        VerificationError: the asset is declared larger than ``max_bytes``, or the size or
            GitHub's digest disagrees with the bytes (exit 4).

    """
    if asset.size > max_bytes:
        raise VerificationError(
            f"{asset.name} is {asset.size} bytes, more than the {max_bytes} allowed",
            hint="raise max-extracted-mb in [tool.hephaestus.release] if the asset is expected",
            code="asset-too-large",
        )
    started = time.perf_counter()
    retrier = retrier or Retrier(github.policy)
    # The name is known (and handed to ``staging``) before the file exists: a caller cleaning
    # up after an interruption at any instruction once it is created still finds it.
    sweep_stale_parts(directory, asset.name, timeout=github.timeout)
    path = directory / f".{asset.name}.{secrets.token_hex(6)}.part"
    if staging is not None:
        staging.append(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError as exc:  # not ours (even a name taken): nothing to remove
        if staging is not None:
            staging.remove(path)
        raise _cannot_write(asset, directory, exc) from exc
    try:
        with os.fdopen(fd, "wb") as handle, _Sink(handle) as sink:
            progress.start(asset.size)
            _fetch(github, asset, sink, retrier, progress)
        sha256 = sink.hasher.hexdigest()  # the worker has ended: every chunk is in
        check_digest(asset, sha256)
    except OSError as exc:  # the network's errors arrive as httpx's: this is the file's
        path.unlink(missing_ok=True)
        raise _cannot_write(asset, directory, exc) from exc
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Downloaded(path, sink.received, sha256, time.perf_counter() - started)


def _cannot_write(asset: Asset, directory: Path, exc: OSError) -> ExternalError:
    return ExternalError(
        f"cannot write {asset.name} into {directory}: {exc.strerror or exc}",
        hint="check the free space and permissions of the destination",
        code="write-failed",
    )


def check_digest(asset: Asset, sha256: str) -> None:
    """Cross-check GitHub's ``digest`` (``sha256:<hex>``) when the API gives one.

    Raises:
        VerificationError: the digest names SHA-256 and differs from ``sha256``.

    """
    if asset.digest is None or not asset.digest.startswith("sha256:"):
        return
    if asset.digest.removeprefix("sha256:").lower() != sha256:
        raise VerificationError(
            f"{asset.name}: SHA-256 {sha256} differs from GitHub's digest {asset.digest}",
            hint="the download is not the asset GitHub stored; do not install it",
            code="digest-mismatch",
        )
