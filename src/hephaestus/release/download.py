"""Download one release asset: streamed to a temporary file, hashed while streaming, resumed.

Memory stays constant whatever the size: chunks are written and hashed as they arrive, by one
worker thread behind the receiving one (at most ``_AHEAD`` chunks in flight; hashlib and file
writes release the GIL, so receiving, hashing and writing overlap on two cores). The size
is checked against the API's ``size`` (a longer body is cut off at once) and GitHub's ``digest``
is cross-checked when present. Connection errors, 5xx, 429 and rate-limit 403s are retried
(:class:`~hephaestus.core.http.Retrier`); an interrupted body resumes with a ``Range`` request.
On any failure the temporary file is removed: nothing partial stays in the destination.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import httpx

from hephaestus.core.errors import ExternalError, VerificationError
from hephaestus.core.http import Retrier, describe_transport_error, is_retryable
from hephaestus.core.progress import NO_PROGRESS, Progress
from hephaestus.release.github import raise_for_status

if TYPE_CHECKING:
    from hephaestus.release.github import GitHub
    from hephaestus.release.models import Asset

PARTIAL_CONTENT = 206
_AHEAD = 8
"""Chunks received but not yet written and hashed (at most 8 MiB with 1 MiB reads)."""


@dataclass(frozen=True, slots=True)
class Downloaded:
    """A fully downloaded, size-checked file (still under its temporary name)."""

    path: Path
    size: int
    sha256: str
    seconds: float


class _Sink:
    """Writes and hashes the body in order, on one worker thread; restarts from zero on demand.

    ``received`` counts bytes handed over; :meth:`flush` waits until all of them are written
    and hashed, and re-raises the worker's error (a full disk) in the caller's thread.
    """

    def __init__(self, handle: BinaryIO, worker: ThreadPoolExecutor) -> None:
        self.handle = handle
        self.hasher = hashlib.sha256()
        self.received = 0
        self._worker = worker
        self._pending: deque[Future[None]] = deque()

    def _consume(self, chunk: bytes) -> None:
        self.handle.write(chunk)
        self.hasher.update(chunk)

    def feed(self, chunk: bytes) -> None:
        """Hand ``chunk`` to the worker, waiting while ``_AHEAD`` chunks are still in flight."""
        self.received += len(chunk)
        self._pending.append(self._worker.submit(self._consume, chunk))
        if len(self._pending) > _AHEAD:
            self._pending.popleft().result()

    def flush(self) -> None:
        """Wait for every chunk handed over to be written and hashed."""
        while self._pending:
            self._pending.popleft().result()

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


def _stream_once(
    github: GitHub, asset: Asset, sink: _Sink, progress: Progress
) -> bool | httpx.Response:
    """Make one attempt; say whether the whole body arrived.

    Returns True when it did, False when it ended early, or the response whose status asks for
    a retry (its headers say how long to wait).
    """
    with github.stream_asset(asset, offset=sink.received) as response:
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
    sink.flush()  # what arrived is on disk before a resume asks for the rest
    return sink.received == asset.size


def _fetch(github: GitHub, asset: Asset, sink: _Sink, retrier: Retrier, progress: Progress) -> None:
    what = f"download of {asset.name}"
    while True:
        before = sink.received
        response = None
        try:
            outcome = _stream_once(github, asset, sink, progress)
            if outcome is True:
                return
            if isinstance(outcome, httpx.Response):
                response, reason = outcome, f"HTTP {outcome.status_code}"
            else:
                reason = f"body ended after {sink.received} of {asset.size} bytes"
        except httpx.TransportError as exc:
            reason = describe_transport_error(exc)
        if sink.received > before:  # progress was made: the retry budget counts failures in a row
            retrier.attempts = 0
        retrier.wait(what=what, response=response, reason=reason)


def download_asset(
    github: GitHub,
    asset: Asset,
    *,
    directory: Path,
    retrier: Retrier | None = None,
    progress: Progress = NO_PROGRESS,
) -> Downloaded:
    """Download ``asset`` into a hidden temporary file in ``directory``; return it checked.

    The caller renames or removes the returned file. Raises:
        ExternalError: the download failed after retries (exit 5).
        VerificationError: the size or GitHub's digest disagrees with the bytes (exit 4).

    """
    started = time.perf_counter()
    retrier = retrier or Retrier(github.policy)
    fd, temporary = tempfile.mkstemp(prefix=f".{asset.name}.", suffix=".part", dir=directory)
    path = Path(temporary)
    try:
        # Leaving the executor waits for the chunks in flight: no write follows the unlink below.
        with (
            os.fdopen(fd, "wb") as handle,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="download") as worker,
        ):
            progress.start(asset.size)
            sink = _Sink(handle, worker)
            _fetch(github, asset, sink, retrier, progress)
        sha256 = sink.hasher.hexdigest()
        check_digest(asset, sha256)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Downloaded(path, sink.received, sha256, time.perf_counter() - started)


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
