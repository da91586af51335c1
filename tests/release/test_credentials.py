"""The token follows the API's origin only: not to an asset URL or a redirect naming another.

Two stand-in servers on 127.0.0.1 record every request's headers. An origin is scheme, host
and port: the object store (another port), the API's own port under another host name
(``localhost``), and the object store's port under the API's host name are all other origins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
from tests.release.fixtures import TOKEN

from hephaestus.core.http import Credentials, create_client
from hephaestus.release.download import download_asset
from hephaestus.release.github import GitHub
from hephaestus.release.models import Asset

if TYPE_CHECKING:
    from pathlib import Path

    from tests.release.standin import Logged, StandIn

DATA = b"the asset's bytes" * 100
BEARER = f"Bearer {TOKEN}"


def _port(url: str) -> int:
    return httpx.URL(url).port or 80


def _elsewhere(standin: StandIn, kind: str) -> str:
    """A base URL of another origin than the API's (``http://127.0.0.1:<api port>``)."""
    api, objects = _port(standin.api_url), _port(standin.objects_url)
    return {
        "other-host-other-port": f"http://localhost:{objects}",
        "same-host-other-port": f"http://127.0.0.1:{objects}",
        "other-host-same-port": f"http://localhost:{api}",  # the API server itself
    }[kind]


ELSEWHERE = ["other-host-other-port", "same-host-other-port", "other-host-same-port"]


def _authorised(request: Logged) -> bool:
    return any(name.lower() == "authorization" for name in request.headers)


def _to_api_origin(standin: StandIn, request: Logged) -> bool:
    """Whether the request was addressed to the API's origin (by its Host header)."""
    return request.server == "api" and request.headers.get("Host") == httpx.URL(
        standin.api_url
    ).netloc.decode("ascii")


def _asset(standin: StandIn, url: str | None = None) -> Asset:
    release = standin.add_release("v1", {"w.tar.gz": DATA})
    fields = release["assets"][0]
    if url is not None:
        fields["url"] = url.format(id=fields["id"])
    return Asset.model_validate(fields)


@pytest.mark.parametrize("kind", ELSEWHERE)
def test_an_asset_url_on_another_origin_gets_no_token(
    standin: StandIn, tmp_path: Path, kind: str
) -> None:
    """The release JSON names the asset on another origin: it is fetched without the token."""
    asset = _asset(standin, _elsewhere(standin, kind) + "/blob/{id}")
    with GitHub(api_url=standin.api_url, token=TOKEN) as github:
        assert download_asset(github, asset, directory=tmp_path).path.read_bytes() == DATA
    fetched = [r for r in standin.log if "/blob/" in r.path]
    assert fetched
    assert not any(_authorised(r) for r in fetched)


@pytest.mark.parametrize("kind", ELSEWHERE)
def test_a_redirect_to_another_origin_gets_no_token(
    standin: StandIn, tmp_path: Path, kind: str
) -> None:
    """The API redirects the download to another origin: only the API's request has it."""
    standin.redirect_to = _elsewhere(standin, kind)
    asset = _asset(standin)
    with GitHub(api_url=standin.api_url, token=TOKEN) as github:
        assert download_asset(github, asset, directory=tmp_path).path.read_bytes() == DATA
    first = [r for r in standin.log if "/releases/assets/" in r.path]
    followed = [r for r in standin.log if "/blob/" in r.path]
    assert [r.headers.get("Authorization") for r in first] == [BEARER]
    assert followed
    assert not any(_authorised(r) for r in followed)


def test_the_api_origin_gets_the_token_on_every_request(standin: StandIn, tmp_path: Path) -> None:
    """The counterpart: requests to the API's origin, by JSON or redirect, carry the token."""
    standin.redirect_to = standin.api_url  # the download comes back to the API's origin
    asset = _asset(standin)
    with GitHub(api_url=standin.api_url, token=TOKEN) as github:
        github.get_release(standin.repository, "v1")
        download_asset(github, asset, directory=tmp_path)
    assert standin.log
    assert all(_to_api_origin(standin, r) for r in standin.log)
    assert all(r.headers.get("Authorization") == BEARER for r in standin.log)


def test_an_upload_url_on_another_origin_gets_no_token(standin: StandIn) -> None:
    """An upload URL taken from the release JSON, on another origin, is sent no token."""
    release = standin.add_release("v1", {"w.tar.gz": DATA})
    release["upload_url"] = (
        _elsewhere(standin, "other-host-same-port")
        + f"/repos/{standin.repository}/releases/{release['id']}/assets{{?name,label}}"
    )
    with GitHub(api_url=standin.api_url, token=TOKEN) as github:
        found = github.get_release(standin.repository, "v1")
        github.upload_asset(found, name="w.tar.gz.sha256", content=b"x", media="text/plain")
    (upload,) = [r for r in standin.log if r.method == "POST"]
    assert not _authorised(upload)


def test_a_caller_given_authorization_header_is_refused() -> None:
    """create_client() takes credentials only as Credentials, never as a default header."""
    with pytest.raises(ValueError, match="credentials="):
        create_client(headers={"authorization": BEARER})


@pytest.mark.parametrize(
    ("configured", "same", "others"),
    [
        (
            "https://api.github.com",
            ["https://api.github.com:443/x", "https://API.GitHub.com/repos"],
            ["http://api.github.com/x", "https://api.github.com:8443/x", "https://github.com/"],
        ),
        (
            "http://127.0.0.1:80",
            ["http://127.0.0.1/y", "HTTP://127.0.0.1:80/z"],
            ["http://127.0.0.1:81/y", "https://127.0.0.1/y", "http://localhost/y"],
        ),
        (
            "https://ghe.example/api/v3",
            ["https://ghe.example/api/uploads", "https://ghe.example/"],
            ["https://ghe.example.evil/api/v3", "https://evil.example/ghe.example/api/v3"],
        ),
    ],
)
def test_origins_compare_scheme_host_and_port(
    configured: str, same: list[str], others: list[str]
) -> None:
    """Default ports, case and paths do not make another origin; scheme, host or port do."""
    credentials = Credentials.for_origins(TOKEN, configured)
    for url in same + others:
        request = httpx.Request("GET", url, headers={"Authorization": "Basic stray"})
        credentials.apply(request)
        expected = BEARER if url in same else None
        assert request.headers.get("Authorization") == expected, url
    assert TOKEN not in repr(credentials)


def test_github_com_uploads_are_the_one_other_origin() -> None:
    """For api.github.com the token also goes to uploads.github.com (and nowhere else)."""
    with GitHub(token=TOKEN) as github:
        hook = github.client.event_hooks["request"][0]
        for url, expected in [
            ("https://api.github.com/repos/o/r", True),
            ("https://uploads.github.com/repos/o/r/releases/1/assets", True),
            ("https://objects.githubusercontent.com/x", False),
            ("http://api.github.com/repos/o/r", False),
        ]:
            request = httpx.Request("GET", url)
            hook(request)
            assert ("Authorization" in request.headers) is expected, url
