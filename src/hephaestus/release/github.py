"""The GitHub REST API, as much of it as releases need: look up, download, upload.

The token is validated before any request and travels only in the ``Authorization`` header,
and only to the API's own origin (and the upload host: ``uploads.github.com`` for github.com,
the ``upload_url`` otherwise): an asset URL or a redirect naming any other origin gets no
``Authorization`` at all (:class:`~hephaestus.core.http.Credentials`). It never appears in a
message, a log event or a report (:func:`~hephaestus.core.logging.redact`).
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, Self
from urllib.parse import quote, urlsplit

from pydantic import ValidationError

from hephaestus.core.errors import ExternalError, UsageError, field_ref
from hephaestus.core.http import (
    Credentials,
    Retrier,
    RetryPolicy,
    check_url,
    create_client,
    origin_of,
    send,
    with_deadline,
)
from hephaestus.core.logging import register_secret
from hephaestus.core.transport import DEADLINE, HEAD_DEADLINE
from hephaestus.release.models import Asset, Release

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from contextlib import AbstractContextManager

    import httpx

API_URL: Final = "https://api.github.com"
UPLOADS_URL: Final = "https://uploads.github.com"
"""Where github.com's release uploads go: the one other origin its token is sent to."""
SLOWEST_RATE: Final = 64 << 10
"""Bytes per second below which a body (a download, an upload) takes too long: with the
timeout, it sets the deadline of the whole transfer (``timeout + size / SLOWEST_RATE``)."""
API_VERSION: Final = "2022-11-28"
TOKEN_PREFIXES: Final = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")
_TOKEN = re.compile(r"[A-Za-z0-9_]{1,255}")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}")
_UPLOAD_TEMPLATE = re.compile(r"\{[^}]*\}$")


def resolve_token(explicit: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """Return the token from ``explicit``, ``GITHUB_TOKEN`` or ``GH_TOKEN``, validated.

    Raises:
        UsageError: the token is malformed (the message never repeats it).

    """
    env = os.environ if environ is None else environ
    token = explicit or env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or None
    if token is None:
        return None
    prefix = next((p for p in TOKEN_PREFIXES if token.startswith(p)), None)
    register_secret(token)  # malformed or not: never to be shown
    if prefix is None or len(token) == len(prefix) or not _TOKEN.fullmatch(token):
        raise UsageError(
            "the GitHub token is malformed",
            hint="a token starts with ghp_, gho_, ghu_, ghs_, ghr_ or github_pat_ and holds "
            "at most 255 letters, digits and underscores",
            code="bad-token",
        )
    return token


def check_repository(repository: str | None) -> str:
    """Return ``repository`` if it reads ``OWNER/REPO``; else raise :class:`UsageError`."""
    if not repository:
        raise UsageError(
            "no repository given",
            hint=f"give {field_ref('repository')} as OWNER/REPO, or set repository in "
            "[tool.hephaestus.release]",
        )
    if not _REPOSITORY.fullmatch(repository) or ".." in repository:
        raise UsageError(
            f"invalid repository {repository!r}", hint="write it as OWNER/REPO, e.g. pypa/pip"
        )
    return repository


def _releases(items: list[Any], *, what: str) -> list[Release]:
    """Parse release objects of the API.

    Raises:
        ExternalError: one is not shaped like a release (exit 5).

    """
    try:
        return [parse_release(item) for item in items]
    except (ValidationError, TypeError, KeyError) as exc:
        raise ExternalError(
            f"{what}: the API answered an unexpected release object",
            hint=f"check {field_ref('api_url')}: it must be the REST API root",
            code="github-error",
        ) from exc


class GitHub:
    """A GitHub REST client for one API base URL and (optional) token; close it after use."""

    def __init__(
        self,
        *,
        api_url: str = API_URL,
        token: str | None = None,
        timeout: float = 30.0,
        policy: RetryPolicy | None = None,
        upload_url: str | None = None,
    ) -> None:
        """Build the clients; raise UsageError (exit 2) if a URL given is not http(s)."""
        headers = {"X-GitHub-Api-Version": API_VERSION}
        self.api_url = check_url(api_url, name="the API URL").rstrip("/")
        self.upload_url = None
        if upload_url:
            self.upload_url = check_url(upload_url, name="the upload URL").rstrip("/")
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        credentials = Credentials.for_origins(token, *self._origins()) if token else None
        # The standard-library transport when no proxy applies (hephaestus.core.transport):
        # whole-request deadlines hold there. JSON calls and asset bodies share the client.
        self.client = self.downloads = create_client(
            base_url=self.api_url,
            timeout=timeout,
            headers=headers,
            credentials=credentials,
            direct_downloads=True,
        )

    def _origins(self) -> list[str]:
        """Return the URLs whose origins the token may go to: the API's, the upload host's."""
        urls = [self.api_url]
        if self.upload_url:
            urls.append(self.upload_url)
        elif origin_of(self.api_url) == origin_of(API_URL):
            urls.append(UPLOADS_URL)
        return urls

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def _json(self, path: str, *, what: str) -> Any:  # noqa: ANN401  # JSON of any shape
        request = self.client.build_request(
            "GET", path, headers={"Accept": "application/vnd.github+json"}
        )
        response = send(
            self.client, request, what=what, retrier=Retrier(self.policy), deadline=self.timeout
        )
        raise_for_status(response, what=what)
        try:
            return response.json()
        except ValueError as exc:
            raise ExternalError(
                f"{what}: the API answered something that is not JSON",
                hint=f"check {field_ref('api_url')}: it must be the REST API root",
                code="github-error",
            ) from exc

    def get_release(self, repository: str, tag: str | None = None) -> Release:
        """Return release ``tag`` of ``repository`` (the latest release when ``tag`` is None).

        Raises:
            ExternalError: the release does not exist (404), the token is refused (401), or the
                API failed or answered something unexpected (exit 5).

        """
        path = f"/repos/{repository}/releases/" + (
            f"tags/{quote(tag, safe='')}" if tag else "latest"
        )
        what = f"release {tag or 'latest'} of {repository}"
        return _releases([self._json(path, what=what)], what=what)[0]

    def list_releases(self, repository: str, *, pages: int = 10) -> list[Release]:
        """Return the releases of ``repository``, newest first (at most ``pages`` x 100).

        Raises:
            ExternalError: as :meth:`get_release`.

        """
        releases: list[Release] = []
        for page in range(1, pages + 1):
            what = f"releases of {repository}"
            data = self._json(f"/repos/{repository}/releases?per_page=100&page={page}", what=what)
            if not isinstance(data, list) or not data:
                break
            releases += _releases(data, what=what)
        return releases

    def stream_asset(
        self, asset: Asset, *, offset: int = 0, deadline: float | None = None
    ) -> AbstractContextManager[httpx.Response]:
        """Open a streamed download of ``asset`` from byte ``offset`` (a context manager).

        The answer's head must arrive within the timeout, its body by ``deadline`` (a
        ``time.monotonic()``; None: only the timeout's bound, per request).
        """
        # identity: the bytes hashed must be the bytes stored, and a Range must count them.
        headers = {"Accept": "application/octet-stream", "Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        request = with_deadline(
            self.downloads.build_request("GET", asset.url, headers=headers), self.timeout
        )
        if deadline is not None:
            request.extensions[HEAD_DEADLINE] = request.extensions[DEADLINE]
            request.extensions[DEADLINE] = deadline
        return _streamed(self.downloads, request)

    def upload_asset(self, release: Release, *, name: str, content: bytes, media: str) -> Asset:
        """Upload ``content`` as asset ``name`` of ``release``; return the new asset.

        Raises:
            ExternalError: the release has no upload URL, or the upload failed.

        """
        if not release.upload_url:
            raise ExternalError(
                f"release {release.tag} has no upload URL", hint=f"check {field_ref('upload_url')}"
            )
        url = _UPLOAD_TEMPLATE.sub("", release.upload_url)
        if self.upload_url:  # GitHub Enterprise or a test server: same path, another host
            url = self.upload_url + urlsplit(url).path
        request = self.client.build_request(
            "POST",
            url,
            params={"name": name},
            content=content,
            headers={"Content-Type": media, "Accept": "application/vnd.github+json"},
        )
        what = f"upload of {name} to release {release.tag}"
        response = send(
            self.client,
            request,
            what=what,
            retrier=Retrier(self.policy),
            deadline=self.timeout + len(content) / SLOWEST_RATE,
        )
        raise_for_status(response, what=what)
        return Asset.model_validate(response.json())


@contextmanager
def _streamed(client: httpx.Client, request: httpx.Request) -> Iterator[httpx.Response]:
    """Send ``request`` with its body left to read; close the response after the block."""
    response = client.send(request, stream=True)
    try:
        yield response
    finally:
        response.close()


def parse_release(data: Any) -> Release:  # noqa: ANN401  # the API's JSON
    """Build a :class:`Release` from the REST API's release object."""
    return Release(
        id=data["id"],
        tag=data["tag_name"],
        name=data.get("name"),
        upload_url=data.get("upload_url"),
        assets=[Asset.model_validate(a) for a in data.get("assets", [])],
    )


def raise_for_status(response: httpx.Response, *, what: str) -> None:
    """Map an error status of the GitHub API to a one-line :class:`ExternalError`."""
    status = response.status_code
    if status < 400:  # noqa: PLR2004  # HTTP: below 400 is not an error
        return
    if status == 401:  # noqa: PLR2004
        raise ExternalError(
            f"{what}: GitHub says the token is invalid or expired (HTTP 401)",
            hint="create a new token, or unset GITHUB_TOKEN/GH_TOKEN for a public repository",
            code="github-unauthorized",
        )
    if status == 404:  # noqa: PLR2004
        raise ExternalError(
            f"{what}: release or tag not found (HTTP 404)",
            hint=f"check {field_ref('repository')} and {field_ref('tag')}; a private repository "
            "needs a token",
            code="github-not-found",
        )
    raise ExternalError(
        f"{what}: GitHub answered HTTP {status}",
        hint=f"try again later; check {field_ref('api_url')} and the token's permissions",
        code="github-error",
    )
