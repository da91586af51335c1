"""`hephaestus.core.logging.redact`: every kind of secret, in text, argv, events and exceptions.

The property tests draw a secret of each kind with a random tail and hide it in a random place of
a random context; whatever the shape, the secret never survives, and what surrounds it does.
"""

from __future__ import annotations

import contextlib
import io
import json
import string
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hephaestus.core.events import Event
from hephaestus.core.logging import (
    REDACTED,
    LogSettings,
    configure,
    get_logger,
    redact,
    register_secret,
    secret_arguments,
)
from hephaestus.core.logging import _registered as registered

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

GITHUB = string.ascii_letters + string.digits + "_"
DASHED = string.ascii_letters + string.digits + "_-"
PREFIXES: dict[str, tuple[str, int]] = {
    "ghp_": (GITHUB, 1),
    "gho_": (GITHUB, 1),
    "ghu_": (GITHUB, 1),
    "ghs_": (GITHUB, 1),
    "ghr_": (GITHUB, 1),
    "github_pat_": (GITHUB, 1),
    "glpat-": (DASHED, 1),
    "xoxa-": (string.ascii_letters + string.digits + "-", 1),
    "xoxb-": (string.ascii_letters + string.digits + "-", 1),
    "xoxp-": (string.ascii_letters + string.digits + "-", 1),
    "xoxr-": (string.ascii_letters + string.digits + "-", 1),
    "sk-": (DASHED, 1),
    "AKIA": (string.ascii_uppercase + string.digits, 16),
}
"""Each token prefix, the alphabet of its tail, and the shortest tail that makes a token."""
SEPARATORS = [" ", "\t", "\n", "=", ":", "'", '"', ",", "(", "[", "{", "/", "?", "&", "|"]
"""What may stand right before or after a token in text (a token never touches a letter)."""
CONTEXT = st.text(alphabet=string.ascii_letters + string.digits + " .,:;()[]{}", max_size=40)
TAIL_SIZE = 8
"""The secret part of a drawn value is at least this long, so it cannot occur by chance."""


@st.composite
def tokens(draw: st.DrawFn) -> str:
    """A token of any known prefix with a random tail."""
    prefix = draw(st.sampled_from(sorted(PREFIXES)))
    alphabet, shortest = PREFIXES[prefix]
    size = max(shortest, TAIL_SIZE)
    tail = draw(st.text(alphabet=alphabet, min_size=size, max_size=size + 40))
    return prefix + tail


def opaque(min_size: int = TAIL_SIZE) -> st.SearchStrategy[str]:
    """A secret with no recognisable shape: only where it stands tells that it is secret."""
    return st.text(alphabet=string.ascii_letters + string.digits, min_size=min_size, max_size=40)


@st.composite
def secrets_in_text(draw: st.DrawFn) -> tuple[str, str]:
    """Text holding one secret, in one of the shapes a secret takes in text; (text, secret)."""
    token = draw(tokens())
    value = draw(opaque())
    shape = draw(
        st.sampled_from(
            [
                "{before}{sep}{token}{sep2}{after}",
                "Authorization: Bearer {value}",
                "Authorization: token {value}",
                "{{'authorization': 'Basic {value}'}}",
                '{{"Authorization": "Bearer {value}"}}',
                "https://{user}:{value}@example.com/path",
                "https://{value}@github.com/o/r.git",
                "hephaestus release install --token {value} --tag v1",
                "hephaestus release install --token={value}",
                "['hephaestus', '--token', '{value}']",
                "GITHUB_TOKEN={value} hephaestus",
                "GH_TOKEN: {value}",
                "{{'HEPHAESTUS_API_TOKEN': '{value}'}}",
                '{{"HEPHAESTUS_TOKEN": "{value}"}}',
            ]
        )
    )
    text = shape.format(
        before=draw(CONTEXT),
        after=draw(CONTEXT),
        sep=draw(st.sampled_from(SEPARATORS)),
        sep2=draw(st.sampled_from(SEPARATORS)),
        token=token,
        value=value,
        user=draw(st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8)),
    )
    secret = token if "{token}" in shape else value
    assume(text.count(secret) == 1)  # the secret, not a word of its context that happens to match
    return text, secret


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    configure(LogSettings())
    yield
    configure(LogSettings())


@pytest.fixture(autouse=True)
def forget_secrets() -> Iterator[None]:
    """Start with no registered secret and forget the test's own: no test redacts another's text."""
    before = set(registered)
    registered.clear()
    yield
    registered.clear()
    registered.update(before)


@settings(max_examples=400, deadline=None)
@given(secrets_in_text())
def test_no_secret_survives_in_text(case: tuple[str, str]) -> None:
    """Every prefix with any tail, and every secret shape, is gone from the text."""
    text, secret = case
    redacted = redact(text)
    assert secret not in redacted
    assert REDACTED in redacted


@settings(max_examples=200, deadline=None)
@given(
    before=st.lists(st.text(alphabet=string.ascii_letters + "-_./", max_size=12), max_size=4),
    after=st.lists(st.text(alphabet=string.ascii_letters + "-_./", max_size=12), max_size=4),
    value=opaque(1) | tokens(),
    token=tokens(),
    joined=st.booleans(),
    option=st.sampled_from(["--token", "--api-token", "--password", "--client-secret"]),
)
def test_no_secret_survives_in_argv(
    before: list[str], after: list[str], value: str, token: str, joined: bool, option: str
) -> None:
    """An argv: the word after a secret option, or after its '=', whatever it is, and tokens."""
    secret_words = [f"{option}={value}"] if joined else [option, value]
    argv = ["hephaestus", *before, *secret_words, *after, token]
    redacted = redact(argv)
    assert len(redacted) == len(argv)
    where = len(before) + 1
    if joined:
        assert redacted[where] == f"{option}={REDACTED}"
    else:
        assert redacted[where : where + 2] == [option, REDACTED]
    assert redacted[-1] == REDACTED
    assert redacted[:where] == argv[:where]
    assert value in secret_arguments(argv)


def _stderr_of(write: Callable[[], None]) -> str:
    """What ``write`` sent to stderr (where log events go)."""
    buffer = io.StringIO()
    with contextlib.redirect_stderr(buffer):
        write()
    return buffer.getvalue()


@settings(max_examples=150, deadline=None)
@given(case=secrets_in_text(), key=st.sampled_from(["detail", "argv", "url", "stderr"]))
def test_no_secret_survives_in_a_json_log_event(case: tuple[str, str], key: str) -> None:
    """A JSON log line: the secret is gone from every field, and the line is still JSON."""
    text, secret = case
    configure(LogSettings(level="debug", format="json"))
    fields = {key: text, "nested": {"x": [text]}}
    line = _stderr_of(lambda: get_logger("tests.redaction").info(Event.HTTP_RETRY, **fields))
    assert secret not in line
    record: dict[str, Any] = json.loads(line)
    assert REDACTED in record[key]
    assert REDACTED in record["nested"]["x"][0]


@settings(max_examples=100, deadline=None)
@given(case=secrets_in_text())
def test_no_secret_survives_in_a_logged_exception(case: tuple[str, str]) -> None:
    """An exception logged with its traceback, in text format: its message loses the secret."""
    text, secret = case
    configure(LogSettings(level="debug", format="text"))

    def fail() -> None:
        raise RuntimeError(text)

    def fail_and_log() -> None:
        try:
            fail()
        except RuntimeError:
            get_logger("tests.redaction").error(Event.COMMAND_FAILED, exc_info=True)

    err = _stderr_of(fail_and_log)
    assert "RuntimeError" in err
    assert secret not in err


@pytest.mark.parametrize(
    "key", ["token", "Authorization", "GITHUB_TOKEN", "gh_token", "client_secret", "password"]
)
def test_secret_keys_are_redacted_whole(key: str) -> None:
    """A mapping's value under a key that names a secret is redacted whatever it looks like."""
    assert redact({key: "plain words", "n": 3, "ok": True}) == {key: REDACTED, "n": 3, "ok": True}


def test_secret_variables_and_registered_secrets_are_redacted_anywhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The value of a secret variable set now, and a registered secret, go wherever they are."""
    monkeypatch.setenv("HEPHAESTUS_UPLOAD_TOKEN", "opaque-value-1")
    monkeypatch.setenv("GH_TOKEN", "opaque-value-2")
    register_secret("opaque-value-3")
    text = "a opaque-value-1 b (opaque-value-2) c/opaque-value-3/d"
    assert redact(text) == f"a {REDACTED} b ({REDACTED}) c/{REDACTED}/d"


@pytest.mark.parametrize(
    "text",
    [
        "a token raises GitHub's rate limit: pass --token or set GITHUB_TOKEN",
        "create a new token, or unset GITHUB_TOKEN/GH_TOKEN for a public repository",
        "disk-usage of task-runner is risk-free",
        "sha256:" + "ab" * 32,
        "https://github.com/o/r/releases/download/v1/a.tar.gz",
        "the token is malformed",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    """Hints, URLs without credentials, words containing 'sk-' and digests stay as they are."""
    assert redact(text) == text


def test_redaction_is_idempotent() -> None:
    """Redacting twice changes nothing more: no '[REDACTED]]' or doubled markers."""
    once = redact("--token abc123 Authorization: Bearer xyz https://u:p@h GITHUB_TOKEN=q ghp_x1")
    assert redact(once) == once


@settings(max_examples=200, deadline=None)
@given(case=secrets_in_text(), cut=st.integers(min_value=0, max_value=40), size=st.integers(4, 12))
def test_a_registered_secret_never_hides_part_of_another(
    case: tuple[str, str], cut: int, size: int
) -> None:
    """A registered secret overlapping a secret, or holding one, leaves neither partly visible.

    Literal and pattern spans are found in the original text and merged.
    """
    text, secret = case
    start = min(cut, max(len(secret) - 4, 0))
    part = secret[start : start + size]
    register_secret(part)
    register_secret(f"x{secret}y")
    redacted = redact(text)
    assert secret not in redacted
    assert part not in redacted


def test_a_bare_prefix_registered_does_not_shield_a_token() -> None:
    """Registering 'gho_' (a malformed token is registered too) keeps whole tokens redacted."""
    register_secret("gho_")
    assert redact("use gho_abcdef123 now") == f"use {REDACTED} now"
