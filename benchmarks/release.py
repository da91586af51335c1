"""Download-and-hash of a release asset against ``curl -o``, side by side, on loopback.

A threaded HTTP server on 127.0.0.1 serves a release (the GitHub API shape) and one asset of
--size-mib MiB (default 512) from a file with ``sendfile``. Interleaved, --runs times each:

1. in a fresh interpreter, a ``GitHub`` client and the release lookup (set-up, reported apart),
   then the step: ``hephaestus.release.download.download_asset`` through the asset API URL,
   streamed to a temporary file, SHA-256 computed while streaming, size and GitHub digest
   checked;
2. ``curl -s -o FILE URL`` of the same bytes (no hashing), timed from its start.

Reported: median seconds and MiB/s of each, the throughput ratio of the step (target >= 0.8x
curl), the set-up time, and the peak RSS of the download process (``ru_maxrss``, target <=
100 MiB). On two cores the comparison is CPU-bound: receiving, writing and the loopback server
keep both cores busy for curl already, and hashing adds about 0.2 CPU-seconds per 512 MiB
that curl does not spend.

    uv run python benchmarks/release.py [--size-mib N] [--runs N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

THROUGHPUT_TARGET = 0.8  # hephaestus / curl
MEMORY_TARGET_MIB = 100
REPOSITORY = "bench/release"
ASSET_ID = 1

CHILD = """
import json, resource, sys, time
from pathlib import Path
from hephaestus.core.http import RetryPolicy
from hephaestus.release.download import download_asset
from hephaestus.release.github import GitHub
api, out = sys.argv[1], Path(sys.argv[2])
started = time.perf_counter()
with GitHub(api_url=api, policy=RetryPolicy(max_retries=0)) as github:
    asset = github.get_release({repository!r}).assets[0]
    ready = time.perf_counter()
    done = download_asset(github, asset, directory=out)
    finished = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"setup": ready - started, "seconds": finished - ready, "sha256": done.sha256,
                  "peak_mib": peak}}))
done.path.unlink()
"""


class _Handler(SimpleHTTPRequestHandler):
    """Serves the release JSON and the asset file (sendfile through copyfile)."""

    protocol_version = "HTTP/1.1"
    release: bytes = b""
    asset: Path = Path()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Stay quiet."""

    def do_GET(self) -> None:  # http.server's naming
        """Answer the release lookup, or stream the asset."""
        if self.path.endswith("/releases/latest"):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(self.release)))
            self.end_headers()
            self.wfile.write(self.release)
            return
        size = self.asset.stat().st_size
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        with self.asset.open("rb") as handle:
            self.connection.sendfile(handle)


def _serve(asset: Path, digest: str) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    release = {
        "id": 1,
        "tag_name": "v1",
        "assets": [
            {
                "id": ASSET_ID,
                "name": asset.name,
                "size": asset.stat().st_size,
                "digest": f"sha256:{digest}",
                "url": f"{base}/repos/{REPOSITORY}/releases/assets/{ASSET_ID}",
            }
        ],
    }
    _Handler.release = json.dumps(release).encode()
    _Handler.asset = asset
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, base


def _make_asset(path: Path, size_mib: int) -> str:
    """Write ``size_mib`` MiB of incompressible bytes; return their SHA-256."""
    hasher = hashlib.sha256()
    block = os.urandom(1 << 20)
    with path.open("wb") as handle:
        for i in range(size_mib):
            chunk = block[i % 256 :] + block[: i % 256]  # differs per MiB, cheap to make
            handle.write(chunk)
            hasher.update(chunk)
    return hasher.hexdigest()


def _hephaestus(base: str, out: Path, digest: str) -> tuple[float, float, float]:
    code = CHILD.format(repository=REPOSITORY)
    done = subprocess.run(
        [sys.executable, "-c", code, base, str(out)], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout)
    assert result["sha256"] == digest, "the download's digest is wrong"  # noqa: S101
    return result["setup"], result["seconds"], result["peak_mib"]


def _curl(base: str, out: Path) -> float:
    target = out / "curl.bin"
    url = f"{base}/repos/{REPOSITORY}/releases/assets/{ASSET_ID}"
    started = time.perf_counter()
    subprocess.run(["curl", "-s", "-f", "-o", str(target), url], check=True)
    seconds = time.perf_counter() - started
    target.unlink()
    return seconds


def main() -> int:
    """Run the comparison and print the figures; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--directory",
        type=Path,
        default=None,
        help="Where the asset and both downloads are written (default: the system temp "
        "directory; /dev/shm leaves the disk out of the comparison).",
    )
    args = parser.parse_args()
    if shutil.which("curl") is None:
        print("curl is not installed", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="hephaestus-bench-", dir=args.directory) as scratch:
        work = Path(scratch)
        asset = work / "wheelhouse.tar.gz"
        digest = _make_asset(asset, args.size_mib)
        out = work / "out"
        out.mkdir()
        server, base = _serve(asset, digest)
        ours: list[float] = []
        theirs: list[float] = []
        peaks: list[float] = []
        setups: list[float] = []
        try:
            for _ in range(args.runs):
                setup, seconds, peak = _hephaestus(base, out, digest)
                setups.append(setup)
                ours.append(seconds)
                peaks.append(peak)
                theirs.append(_curl(base, out))
        finally:
            server.shutdown()
    size = args.size_mib
    ours_median, theirs_median = statistics.median(ours), statistics.median(theirs)
    ratio = theirs_median / ours_median
    where = args.directory or tempfile.gettempdir()
    print(f"asset: {size} MiB on loopback, written to {where}, {args.runs} interleaved runs each")
    print(f"hephaestus download+sha256: {ours_median:.3f} s  {size / ours_median:8.1f} MiB/s")
    print(f"  (before it: client and release lookup, {statistics.median(setups):.3f} s)")
    print(f"curl -o:                    {theirs_median:.3f} s  {size / theirs_median:8.1f} MiB/s")
    print(f"throughput ratio: {ratio:.2f}x curl (target >= {THROUGHPUT_TARGET}x)")
    print(f"peak RSS of the download: {max(peaks):.1f} MiB (target <= {MEMORY_TARGET_MIB} MiB)")
    met = ratio >= THROUGHPUT_TARGET and max(peaks) <= MEMORY_TARGET_MIB
    print("targets met" if met else "TARGET MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
