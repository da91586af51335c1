"""A GitHub stand-in on 127.0.0.1: the releases API, asset downloads, uploads and fault modes.

Two threaded servers: ``api`` answers the REST API and redirects asset downloads to ``objects``
(another host: another port), as github.com redirects to its object store. Every request is
logged with its headers, so tests can check that the token never reaches ``objects``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

# Copies of the shared test data (../shared/testdata, see data/sigstore/README.md), kept in the
# repository so that a clean clone tests on its own; test_data.py pins their SHA-256s.
SHARED = Path(__file__).resolve().parent / "data"
EXAMPLE = SHARED / "github-release-example.json"
FAULTS = (
    "500",
    "reset",
    "truncate",
    "ratelimit",
    "429",
    "401",
    "404",
    "overlong",
    "ftp",
    "chunked",
    "stall",
    "drip",
    "drip-head",
    "slow",
)
STALL_SECONDS = 1.0
"""How long the ``stall`` fault waits after half the body, before it hangs up."""
DRIP_SECONDS = 1.5
"""The ``drip`` faults send one byte this often: each in time for a 2 s read timeout."""
SLOW_RATE = 128 << 10
"""Bytes per second of the ``slow`` fault: steady, twice the slowest rate a download may have."""


@dataclass
class Logged:
    """One request the stand-in received."""

    server: str
    method: str
    path: str
    headers: dict[str, str]
    names: list[str] = field(default_factory=list)
    """Every header name in the order received, repeated ones repeated."""


@dataclass
class StandIn:
    """State shared by both servers: releases, asset bytes, queued faults, the request log."""

    repository: str = "example-org/hephaestus"
    releases: list[dict[str, Any]] = field(default_factory=list)
    blobs: dict[int, tuple[str, bytes]] = field(default_factory=dict)
    faults: dict[str, list[str]] = field(default_factory=dict)
    """Faults for the next downloads of an asset (by name), consumed in order."""
    api_faults: list[str] = field(default_factory=list)
    """Faults for the next API (JSON) requests, consumed in order."""
    redirect: bool = True
    redirect_to: str | None = None
    """Base URL asset downloads redirect to (default: the object store)."""
    stopped: threading.Event = field(default_factory=threading.Event)
    """Set when the test ends: dripping handlers stop."""
    log: list[Logged] = field(default_factory=list)
    api_url: str = ""
    objects_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_id: int = 301000001

    def add_release(
        self, tag: str, assets: dict[str, bytes], *, digests: bool = True
    ) -> dict[str, Any]:
        """Publish release ``tag`` with ``assets`` (name -> bytes), shaped like the example."""
        release: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
        release["id"] = 187654321 + len(self.releases)
        release["tag_name"] = tag
        release["upload_url"] = (
            f"{self.api_url}/repos/{self.repository}/releases/{release['id']}/assets{{?name,label}}"
        )
        template = release["assets"][0]
        release["assets"] = [self._asset(template, n, b, digests) for n, b in assets.items()]
        self.releases.insert(0, release)
        return release

    def _asset(
        self, template: dict[str, Any], name: str, data: bytes, digest: bool
    ) -> dict[str, Any]:
        asset = copy.deepcopy(template)
        asset_id = self.next_id
        self.next_id += 1
        self.blobs[asset_id] = (name, data)
        asset.update(
            id=asset_id,
            name=name,
            size=len(data),
            url=f"{self.api_url}/repos/{self.repository}/releases/assets/{asset_id}",
            digest=f"sha256:{hashlib.sha256(data).hexdigest()}" if digest else None,
        )
        return asset

    def requests(self, server: str) -> list[Logged]:
        """The requests one server received."""
        return [r for r in self.log if r.server == server]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_name_: ClassVar[str] = "api"
    state: StandIn

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002, ANN401
        """Stay quiet."""

    def _record(self) -> None:
        headers = self.headers.items()
        names = [name for name, _ in headers]
        logged = Logged(self.server_name_, self.command, self.path, dict(headers), names)
        with self.state.lock:
            self.state.log.append(logged)

    def _read_body(self) -> bytes:
        """The request body, by Content-Length or chunked transfer encoding."""
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = b""
        while size := int(self.rfile.readline().split(b";")[0], 16):
            body += self.rfile.read(size)
            self.rfile.readline()  # the CRLF after each chunk
        self.rfile.readline()  # the CRLF after the last, empty chunk
        return body

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:  # noqa: ANN401
        self._send(status, json.dumps(data).encode(), {"Content-Type": "application/json"})

    def _fault(self, queue: list[str], data: bytes) -> bool:
        """Act out the next queued fault; return True if the request was answered."""
        with self.state.lock:
            fault = queue.pop(0) if queue else None
        if fault is None:
            return False
        if fault == "500":
            self._json(500, {"message": "Server Error"})
        elif fault == "ratelimit":
            reset = str(int(time.time()) + 1)
            headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
            self._send(403, b'{"message": "API rate limit exceeded"}', headers)
        elif fault == "429":
            self._send(429, b"{}", {"Retry-After": "1"})
        elif fault == "401":
            self._json(401, {"message": "Bad credentials"})
        elif fault == "404":
            self._json(404, {"message": "Not Found"})
        elif fault == "overlong":
            self._send(200, data + b"extra", {"Content-Type": "application/octet-stream"})
        elif fault == "ftp":  # a redirect no HTTP client can follow
            self._send(302, b"", {"Location": "ftp://127.0.0.1/asset"})
        elif fault in {"drip", "drip-head", "slow"}:
            self._trickle(fault, data)
        else:
            self._broken_body(fault, data)
        return True

    def _broken_body(self, fault: str, data: bytes) -> None:
        """Answer 200/206 with a body that is chunked, stalls, is cut short or reset."""
        if fault == "chunked":  # no Content-Length: the body in 64 KiB chunks
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(data), 1 << 16):
                piece = data[start : start + (1 << 16)]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        # stall, reset or truncate: promise the (rest of the) body, send half of it
        start = self._range_start()
        body = data[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        if fault == "stall":  # silence, longer than a test's read timeout
            time.sleep(STALL_SECONDS)
        if fault == "reset":  # RST instead of FIN
            linger = struct.pack("ii", 1, 0)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            # Closed here, the socket goes when the handler's files close, before socketserver
            # would shut it down for writing: no FIN comes first, only the RST.
            self.connection.close()
        self.close_connection = True

    def _trickle(self, fault: str, data: bytes) -> None:
        """Answer slowly: a byte per DRIP_SECONDS (``drip``, ``drip-head``), or at SLOW_RATE."""
        if fault == "slow":
            self._slow(data)
        else:
            self._drip(data or b"{}", head=fault == "drip-head")

    def _drip(self, data: bytes, *, head: bool) -> None:
        """Answer 200 one byte every DRIP_SECONDS: the whole answer, or only the body."""
        status = f"HTTP/1.1 200 OK\r\nContent-Length: {len(data)}\r\n\r\n".encode()
        if not head:
            self.wfile.write(status)
            self.wfile.flush()
        for byte in (status if head else b"") + data:
            if self.state.stopped.wait(DRIP_SECONDS):
                break
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:  # the client gave up
                break
        self.close_connection = True

    def _slow(self, data: bytes) -> None:
        """Answer 200 with the body at SLOW_RATE, in pieces of an eighth of a second."""
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        piece = SLOW_RATE // 8
        for start in range(0, len(data), piece):
            if self.state.stopped.wait(1 / 8):
                break
            self.wfile.write(data[start : start + piece])
            self.wfile.flush()
        self.close_connection = True

    def _range_start(self) -> int:
        wanted = self.headers.get("Range", "")
        return int(wanted.removeprefix("bytes=").split("-")[0]) if wanted else 0

    def _blob(self, asset_id: int) -> None:
        if asset_id not in self.state.blobs:
            self._json(404, {"message": "Not Found"})
            return
        name, data = self.state.blobs[asset_id]
        if self._fault(self.state.faults.setdefault(name, []), data):
            return
        headers = {"Content-Type": "application/octet-stream"}
        start = self._range_start()
        if start:
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            self._send(206, data[start:], headers)
            return
        self._send(200, data, headers)


class ApiHandler(_Handler):
    """The REST API: releases, asset downloads (redirected), uploads."""

    def do_GET(self) -> None:  # http.server's naming
        """Answer a release lookup or an asset download."""
        self._record()
        path = urlsplit(self.path).path
        prefix = f"/repos/{self.state.repository}/releases"
        if path.startswith("/blob/"):  # the API's host serving bytes, under another name
            self._blob(int(path.rsplit("/", 1)[1]))
            return
        if path.startswith(f"{prefix}/assets/"):
            asset_id = int(path.rsplit("/", 1)[1])
            if self.state.redirect:
                base = self.state.redirect_to or self.state.objects_url
                location = f"{base}/blob/{asset_id}?X-Amz-Signature=abc"
                self._send(302, b"", {"Location": location})
            else:
                self._blob(asset_id)
            return
        if self._fault(self.state.api_faults, b""):
            return
        releases = self.state.releases
        if path == f"{prefix}/latest" and releases:
            self._json(200, releases[0])
        elif path.startswith(f"{prefix}/tags/"):
            tag = path.removeprefix(f"{prefix}/tags/")
            found = [r for r in releases if r["tag_name"] == tag]
            self._json(200, found[0]) if found else self._json(404, {"message": "Not Found"})
        elif path == prefix:
            page = int(parse_qs(urlsplit(self.path).query).get("page", ["1"])[0])
            self._json(200, releases if page == 1 else [])
        else:
            self._json(404, {"message": "Not Found"})

    def do_POST(self) -> None:
        """Store an uploaded asset on its release."""
        self._record()
        data = self._read_body()
        parts = urlsplit(self.path)
        release_id = int(parts.path.split("/")[-2])
        name = parse_qs(parts.query)["name"][0]
        release = next(r for r in self.state.releases if r["id"] == release_id)
        asset = self.state._asset(release["assets"][0], name, data, digest=True)  # noqa: SLF001
        release["assets"].append(asset)
        self._json(201, asset)


class ObjectsHandler(_Handler):
    """The object store that asset downloads redirect to."""

    server_name_ = "objects"

    def do_GET(self) -> None:
        """Serve an asset's bytes (with Range), or a queued fault."""
        self._record()
        self._blob(int(urlsplit(self.path).path.rsplit("/", 1)[1]))


def start(state: StandIn) -> list[ThreadingHTTPServer]:
    """Start both servers on free loopback ports; fill in their URLs on ``state``."""
    servers = []
    for handler in (ApiHandler, ObjectsHandler):
        bound = type(handler.__name__, (handler,), {"state": state})
        server = ThreadingHTTPServer(("127.0.0.1", 0), bound)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
    state.api_url = f"http://127.0.0.1:{servers[0].server_address[1]}"
    # Another host name, as github.com's downloads live on another host.
    state.objects_url = f"http://localhost:{servers[1].server_address[1]}"
    return servers
