"""The GitHub client: tokens, repository names, release lookup and its errors, uploads."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from hephaestus.core.errors import ExternalError, UsageError
from hephaestus.core.http import RetryPolicy
from hephaestus.release.github import GitHub, check_repository, resolve_token

if TYPE_CHECKING:
    from tests.release.standin import StandIn


@pytest.mark.parametrize(
    "token",
    ["ghp_abc123", "gho_x", "ghu_X_y", "ghs_" + "a" * 36, "ghr_1", "github_pat_11AB_cd"],
)
def test_good_tokens(token: str) -> None:
    """Every documented prefix with letters, digits and underscores is accepted."""
    assert resolve_token(token, {}) == token


@pytest.mark.parametrize(
    "token",
    ["abc", "ghp_", "ghp_with-dash", "ghp_with space", "ghx_abc", "ghp_" + "a" * 252, "ghp_é"],
)
def test_malformed_tokens_are_usage_errors_that_do_not_repeat_them(token: str) -> None:
    """A malformed token is exit 2; the message never contains it."""
    with pytest.raises(UsageError) as info:
        resolve_token(token, {})
    assert token not in info.value.message
    if token not in {"abc", "ghp_"}:  # the hint names the prefixes, nothing of the token
        assert token not in (info.value.hint or "")


def test_token_from_the_environment() -> None:
    """--token wins over GITHUB_TOKEN, which wins over GH_TOKEN; none at all is fine."""
    env = {"GITHUB_TOKEN": "ghp_one", "GH_TOKEN": "ghp_two"}
    assert resolve_token("ghp_flag", env) == "ghp_flag"
    assert resolve_token(None, env) == "ghp_one"
    assert resolve_token(None, {"GH_TOKEN": "ghp_two"}) == "ghp_two"
    assert resolve_token(None, {}) is None


@pytest.mark.parametrize("name", [None, "", "owner", "a/b/c", "../etc", "a/..", "o w/r"])
def test_bad_repository_names(name: str | None) -> None:
    """OWNER/REPO only."""
    with pytest.raises(UsageError):
        check_repository(name)


def test_lookup_latest_and_by_tag(standin: StandIn) -> None:
    """The latest is the newest release; a tag finds its release; headers are GitHub's."""
    standin.add_release("v1", {"a.whl": b"1"})
    standin.add_release("v2", {"b.whl": b"2"})
    with GitHub(api_url=standin.api_url) as github:
        assert github.get_release(standin.repository).tag == "v2"
        release = github.get_release(standin.repository, "v1")
        assert [a.name for a in release.assets] == ["a.whl"]
        assert [r.tag for r in github.list_releases(standin.repository)] == ["v2", "v1"]
    headers = standin.requests("api")[0].headers
    assert headers["Accept"] == "application/vnd.github+json"
    assert headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert "Authorization" not in headers


@pytest.mark.parametrize(
    ("fault", "code"), [("401", "github-unauthorized"), ("404", "github-not-found")]
)
def test_api_errors(standin: StandIn, fault: str, code: str) -> None:
    """401 and 404 are exit-5 errors with their own codes and hints."""
    standin.api_faults = [fault]
    with GitHub(api_url=standin.api_url) as github, pytest.raises(ExternalError) as info:
        github.get_release(standin.repository, "v9")
    assert info.value.code == code
    assert info.value.hint


def test_rate_limit_then_success(standin: StandIn) -> None:
    """A rate-limited lookup waits as told and then succeeds."""
    standin.add_release("v1", {"a.whl": b"1"})
    standin.api_faults = ["ratelimit", "429"]
    sleeps: list[float] = []
    policy = RetryPolicy(sleep=sleeps.append)
    with GitHub(api_url=standin.api_url, policy=policy) as github:
        assert github.get_release(standin.repository).tag == "v1"
    assert sleeps[1] == 1.0
    assert 0 <= sleeps[0] <= 2.0


def test_not_an_api(standin: StandIn) -> None:
    """An API URL that answers something else is a clear exit-5 error."""
    with GitHub(api_url=standin.objects_url) as github, pytest.raises(ExternalError):
        github.get_release(standin.repository)


def test_upload_goes_to_the_upload_url(standin: StandIn) -> None:
    """upload_asset posts to the release's upload URL (or --upload-url's host) by name."""
    standin.add_release("v1", {"a.whl": b"1"})
    with GitHub(api_url=standin.api_url, upload_url=standin.api_url + "/") as github:
        release = github.get_release(standin.repository)
        asset = github.upload_asset(release, name="a.whl.sha256", content=b"x", media="text/plain")
    assert asset.name == "a.whl.sha256"
    post = next(r for r in standin.requests("api") if r.method == "POST")
    assert post.path.endswith("/assets?name=a.whl.sha256")
    assert post.headers["Content-Type"] == "text/plain"


@pytest.mark.parametrize("url", ["api.github.com", "ftp://example.org", "https://", "not a url"])
def test_an_api_url_that_is_not_http_is_a_usage_error(url: str) -> None:
    """Refused before any request, naming the URL; likewise the upload URL."""
    with pytest.raises(UsageError, match="is not an http:// or https:// URL"):
        GitHub(api_url=url)
    with pytest.raises(UsageError, match="the upload URL"):
        GitHub(upload_url=url)


def test_a_redirect_to_another_scheme_is_not_retried(standin: StandIn) -> None:
    """A redirect to ftp:// fails the same way every time: one clear error, no waits."""
    standin.add_release("v1", {"a.whl": b"1"})
    standin.api_faults = ["ftp"]
    sleeps: list[float] = []
    policy = RetryPolicy(sleep=sleeps.append)
    with (
        GitHub(api_url=standin.api_url, policy=policy) as github,
        pytest.raises(ExternalError, match="UnsupportedProtocol") as raised,
    ):
        github.get_release(standin.repository)
    assert raised.value.code == "unsupported-url"
    assert sleeps == []
