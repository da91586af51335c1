"""The standard-library transport under httpx, against the GitHub stand-in on 127.0.0.1."""

from __future__ import annotations

import hashlib
import socket
from typing import TYPE_CHECKING

import httpx
import pytest

from hephaestus.core.http import create_client
from hephaestus.core.transport import READ_SIZE, StdlibTransport, direct_transport
from hephaestus.release.download import download_asset
from hephaestus.release.github import GitHub
from hephaestus.release.models import Asset

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.release.standin import StandIn

DATA = bytes(range(256)) * (3 * READ_SIZE // 256)  # 3 MiB: several reads
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy variable in the environment, in either spelling."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """An httpx client on the standard-library transport, with short timeouts."""
    with httpx.Client(transport=StdlibTransport(), timeout=0.3, headers={"X-Probe": "1"}) as c:
        yield c


def _asset_url(standin: StandIn, data: bytes = DATA) -> str:
    """Publish ``data`` and return its download URL, served without a redirect."""
    standin.redirect = False
    return str(standin.add_release("v1", {"w.tar.gz": data})["assets"][0]["url"])


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_status_headers_and_body_pass_through(standin: StandIn, client: httpx.Client) -> None:
    """Status, reason, headers and body come back as sent; the request's headers arrive once."""
    standin.add_release("v1", {"a.whl": b"x"})
    response = client.get(f"{standin.api_url}/repos/{standin.repository}/releases/latest")
    assert response.status_code == 200
    assert response.reason_phrase == "OK"
    assert response.http_version == "HTTP/1.1"
    assert response.headers["content-type"] == "application/json"
    assert response.json()["tag_name"] == "v1"
    received = standin.requests("api")[-1]
    assert received.names.count("Host") == 1
    assert received.headers["Host"] == standin.api_url.removeprefix("http://")
    assert received.headers["X-Probe"] == "1"
    missing = client.get(f"{standin.api_url}/repos/{standin.repository}/releases/tags/nope")
    assert missing.status_code == 404
    assert missing.json() == {"message": "Not Found"}


def test_a_large_body_arrives_whole(standin: StandIn, client: httpx.Client) -> None:
    """A body of several reads arrives byte for byte, in chunks of at most READ_SIZE."""
    with client.stream("GET", _asset_url(standin)) as response:
        chunks = list(response.iter_raw())
    assert b"".join(chunks) == DATA
    assert max(map(len, chunks)) <= READ_SIZE


def test_a_chunked_body_is_dechunked(standin: StandIn, client: httpx.Client) -> None:
    """Transfer-Encoding: chunked without Content-Length: the body without the framing."""
    url = _asset_url(standin)
    standin.faults["w.tar.gz"] = ["chunked"]
    response = client.get(url)
    assert response.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in response.headers
    assert response.content == DATA


@pytest.mark.parametrize("content", [DATA[:1000], [DATA[:600], DATA[600:1000]]])
def test_a_request_body_is_sent(
    standin: StandIn, client: httpx.Client, content: bytes | list[bytes]
) -> None:
    """A bytes body goes with Content-Length, a streamed one chunked; both arrive whole."""
    release = standin.add_release("v1", {"a.whl": b"x"})
    url = f"{standin.api_url}/repos/{standin.repository}/releases/{release['id']}/assets"
    body = iter(content) if isinstance(content, list) else content
    response = client.post(url, params={"name": "b.bin"}, content=body)
    assert response.status_code == 201
    assert standin.blobs[response.json()["id"]] == ("b.bin", DATA[:1000])


def test_connection_refused_is_a_connect_error(client: httpx.Client) -> None:
    """Nobody listening: httpx.ConnectError, as httpx's own transport raises."""
    with pytest.raises(httpx.ConnectError):
        client.get(f"http://127.0.0.1:{_closed_port()}/")


def test_a_reset_hands_on_what_arrived_then_fails(standin: StandIn, client: httpx.Client) -> None:
    """A reset mid-body: the bytes received come first, then httpx.ReadError."""
    url = _asset_url(standin, DATA[:READ_SIZE])  # half of it is less than one read asks for
    standin.faults["w.tar.gz"] = ["reset"]
    received: list[bytes] = []
    with client.stream("GET", url) as response, pytest.raises(httpx.ReadError):
        received.extend(response.iter_raw())
    assert received
    assert DATA.startswith(b"".join(received))


def test_a_truncated_body_is_not_complete(standin: StandIn, client: httpx.Client) -> None:
    """The server hangs up before Content-Length bytes: an error, not a short success."""
    url = _asset_url(standin)
    standin.faults["w.tar.gz"] = ["truncate"]
    with pytest.raises(httpx.RemoteProtocolError, match="received 1572864 bytes, expected"):
        client.get(url)


def test_a_stalled_body_is_a_read_timeout(standin: StandIn, client: httpx.Client) -> None:
    """No byte for longer than the read timeout: httpx.ReadTimeout."""
    url = _asset_url(standin)
    standin.faults["w.tar.gz"] = ["stall"]
    with pytest.raises(httpx.ReadTimeout):
        client.get(url)


def test_an_unknown_scheme_is_refused() -> None:
    """Only http and https: another scheme is httpx.UnsupportedProtocol."""
    transport = StdlibTransport()
    with pytest.raises(httpx.UnsupportedProtocol):
        transport.handle_request(httpx.Request("GET", "ftp://127.0.0.1/file"))


@pytest.mark.usefixtures("no_proxy")
def test_without_a_proxy_the_stdlib_transport_is_chosen() -> None:
    """No proxy variable: the standard-library transport."""
    assert isinstance(direct_transport(), StdlibTransport)


@pytest.mark.usefixtures("no_proxy")
@pytest.mark.parametrize("name", ["HTTPS_PROXY", "http_proxy", "ALL_PROXY"])
def test_with_a_proxy_httpx_transport_is_chosen(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Any proxy variable: None, so httpx's own transport routes through the proxy."""
    monkeypatch.setenv(name, "http://proxy.invalid:3128")
    assert direct_transport() is None


@pytest.mark.usefixtures("no_proxy")
def test_no_proxy_star_turns_proxies_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_PROXY=* disables every proxy, for httpx as here: the direct transport again."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "example.org, *")
    assert isinstance(direct_transport(), StdlibTransport)


@pytest.mark.usefixtures("no_proxy")
def test_a_download_client_honours_a_proxy(
    monkeypatch: pytest.MonkeyPatch, standin: StandIn
) -> None:
    """With HTTP_PROXY set, a download client goes to the proxy (here: a dead one), not direct."""
    standin.add_release("v1", {"a.whl": b"x"})
    url = f"{standin.api_url}/repos/{standin.repository}/releases/latest"
    with create_client(timeout=2, direct_downloads=True) as direct:
        assert direct.get(url).status_code == 200
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{_closed_port()}")
    before = len(standin.log)
    with (
        create_client(timeout=2, direct_downloads=True) as proxied,
        pytest.raises(httpx.ConnectError),
    ):
        proxied.get(url)
    assert len(standin.log) == before


@pytest.mark.usefixtures("no_proxy")
def test_github_downloads_use_the_stdlib_transport(standin: StandIn, tmp_path: Path) -> None:
    """Asset downloads and API calls go through the standard-library transport (deadlines)."""
    release = standin.add_release("v1", {"w.tar.gz": DATA})
    asset = Asset.model_validate(release["assets"][0])
    with GitHub(api_url=standin.api_url) as github:
        assert isinstance(github.downloads._transport, StdlibTransport)  # noqa: SLF001
        assert isinstance(github.client._transport, StdlibTransport)  # noqa: SLF001
        standin.faults["w.tar.gz"] = ["chunked"]
        done = download_asset(github, asset, directory=tmp_path)
    assert done.sha256 == hashlib.sha256(DATA).hexdigest()
