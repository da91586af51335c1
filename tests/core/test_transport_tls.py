"""The standard-library transport over TLS: a real HTTPS server on 127.0.0.1, its own certificate.

The certificate is made here (cryptography, which sigstore brings) for the IP address 127.0.0.1.
Trusted explicitly it serves a body whole; with the default trust (certifi) or under another
host name it is refused, as httpx's own transport refuses it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hephaestus.core.transport import READ_SIZE, StdlibTransport

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

BODY = bytes(range(256)) * (3 * READ_SIZE // 256)


def _certificate(directory: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for 127.0.0.1 and its key; return their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hephaestus test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Stay quiet."""

    def do_GET(self) -> None:  # http.server's naming
        """Serve BODY."""
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)


@pytest.fixture
def https(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """An HTTPS server on 127.0.0.1; yields its port and the certificate to trust."""
    cert, key = _certificate(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], cert
    server.shutdown()
    server.server_close()


def test_a_trusted_certificate_serves_the_body(https: tuple[int, Path]) -> None:
    """Trusting the server's certificate: the body arrives whole over TLS."""
    port, cert = https
    context = ssl.create_default_context(cafile=str(cert))
    with (
        httpx.Client(transport=StdlibTransport(context=context), timeout=5) as client,
        client.stream("GET", f"https://127.0.0.1:{port}/asset") as response,
    ):
        chunks = list(response.iter_raw())
    assert response.status_code == 200
    assert b"".join(chunks) == BODY
    assert max(map(len, chunks)) <= READ_SIZE


def test_the_default_trust_refuses_an_unknown_certificate(https: tuple[int, Path]) -> None:
    """With httpx's default trust the self-signed certificate is refused: ConnectError."""
    port, _ = https
    with (
        httpx.Client(transport=StdlibTransport(), timeout=5) as client,
        pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        client.get(f"https://127.0.0.1:{port}/asset")


def test_another_host_name_is_refused(https: tuple[int, Path]) -> None:
    """The certificate names 127.0.0.1, not localhost: the host name check refuses it."""
    port, cert = https
    context = ssl.create_default_context(cafile=str(cert))
    with (
        httpx.Client(transport=StdlibTransport(context=context), timeout=5) as client,
        pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        client.get(f"https://localhost:{port}/asset")
