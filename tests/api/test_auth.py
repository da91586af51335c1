"""`hephaestus.api.auth`: token hashes, configured entries, authentication and scopes.

Hashes are made with a tiny scrypt cost (``n=16, r=1``) so that property tests run fast; one test
checks the default cost. No message ever repeats a token, a hash value or a header.
"""

from __future__ import annotations

import base64
import json
import string
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from hephaestus.api import auth
from hephaestus.api.auth import (
    ANONYMOUS,
    DEFAULT_N,
    TOKEN_PREFIX,
    TOKENS_VARIABLE,
    AuthenticationError,
    Authenticator,
    PermissionDeniedError,
    Principal,
    TokenHash,
    authorize,
    hash_token,
    new_token,
    scopes_for,
    tokens_from_environment,
)
from hephaestus.core.errors import ConfigError, ExitCode
from hephaestus.core.logging import REDACTED, redact
from hephaestus.registry import OPERATIONS, Operation, Safety, operation
from hephaestus.serving import Scope, ServeSection, TokenEntry

if TYPE_CHECKING:
    from collections.abc import Callable

TOKEN_CHARS = string.ascii_letters + string.digits + "-_"
tokens = st.text(TOKEN_CHARS, min_size=1, max_size=60).map(lambda tail: TOKEN_PREFIX + tail)


def _hash(token: str, *, salt: bytes | None = None) -> str:
    """Hash with a tiny cost (n=16, r=1, p=1): the format is the same, the time negligible."""
    return hash_token(token, salt=salt, n=16, r=1, p=1)


def _entry(name: str, token: str, *scopes: Scope) -> TokenEntry:
    return TokenEntry(name=name, hash=_hash(token), scopes=scopes or (Scope.read,))


def _refusal(call: Callable[[], object]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        call()
    return caught.value


def _said(error: Exception) -> str:
    """Everything an error shows: its message, its hint and its repr."""
    return f"{error} {getattr(error, 'hint', '')} {error!r}"


# --- hashes -----------------------------------------------------------------------------------


def test_default_hash_is_scrypt_with_its_cost_and_a_random_salt() -> None:
    """By default: scrypt n=2**14, r=8, p=1, a fresh 16-byte salt, a 32-byte digest."""
    token = new_token()
    first, second = hash_token(token), hash_token(token)
    assert first.startswith(f"scrypt:n={DEFAULT_N},r=8,p=1:")
    assert first != second  # salted
    parsed = TokenHash.parse(first, entry="ci")
    assert (len(parsed.salt), len(parsed.digest)) == (16, 32)
    assert parsed.matches(token)
    assert not parsed.matches(token + "x")


@settings(max_examples=60, deadline=None)
@given(token=st.text(max_size=80), other=st.text(max_size=80), salt=st.binary(min_size=16))
def test_hash_round_trips_and_no_other_token_verifies(token: str, other: str, salt: bytes) -> None:
    """For any token text and salt, the token verifies against its hash, another never does."""
    hashed = TokenHash.parse(_hash(token, salt=salt), entry="any")
    assert hashed.matches(token)
    assert hashed.salt == salt
    assert hashed.matches(other) == (other == token)
    assert str(hashed) == _hash(token, salt=salt)


def test_new_tokens_are_prefixed_random_and_bearer_safe() -> None:
    """new_token: heph_ and 43 URL-safe characters, never the same twice."""
    made = {new_token() for _ in range(50)}
    assert len(made) == 50
    for token in made:
        assert token.startswith(TOKEN_PREFIX)
        assert set(token[len(TOKEN_PREFIX) :]) <= set(TOKEN_CHARS)
        assert len(token) == len(TOKEN_PREFIX) + 43


@pytest.mark.parametrize(
    ("salt", "n", "r", "p"),
    [
        (b"short", 16, 1, 1),
        (None, 15, 1, 1),
        (None, 1, 1, 1),
        (None, 16, 0, 1),
        (None, 16, 1, 17),
        (None, 2**20, 8, 1),  # 1 GiB of memory
    ],
)
def test_hash_token_refuses_a_short_salt_or_a_bad_cost(
    salt: bytes | None, n: int, r: int, p: int
) -> None:
    """A salt under 16 bytes or an out-of-range cost is a ValueError."""
    with pytest.raises(ValueError, match=r"salt|cost"):
        hash_token("t", salt=salt, n=n, r=r, p=p)


# --- configured entries -----------------------------------------------------------------------


def _not_a_hash(text: str) -> bool:
    try:
        TokenHash.parse(text, entry="x")
    except ConfigError:
        return True
    return False


@settings(max_examples=150, deadline=None)
@given(plain=st.text(max_size=100).filter(_not_a_hash))
def test_a_plain_token_in_configuration_is_refused_without_echo(plain: str) -> None:
    """Any hash value not in the hash format is a ConfigError that never repeats it."""
    error = _refusal(
        lambda: Authenticator.from_entries([TokenEntry(name="ci", hash=plain)]),
    )
    assert error.exit_code == ExitCode.USAGE
    assert "'ci'" in error.message
    assert "hash_token" in (error.hint or "")
    # The message is the same for any other value of its kind: it cannot contain this one.
    reference = "scrypt:x" if plain.startswith("scrypt:") else "x"
    other = _refusal(lambda: TokenHash.parse(reference, entry="ci"))
    assert (error.message, error.hint) == (other.message, other.hint)


@given(token=tokens)
def test_a_real_token_stored_as_its_hash_is_never_echoed(token: str) -> None:
    """A token from new_token's alphabet put where its hash belongs never appears in the error."""
    error = _refusal(lambda: TokenHash.parse(token, entry="ci"))
    assert token not in _said(error)


def _valid() -> TokenHash:
    return TokenHash.parse(_hash("t"), entry="x")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(
    "text",
    [
        f"scrypt:n=16,r=1,p=1:{_b64(b's' * 8)}:{_b64(b'd' * 32)}",  # short salt
        f"scrypt:n=16,r=1,p=1:{_b64(b's' * 16)}:{_b64(b'd' * 31)}",  # short digest
        f"scrypt:n=15,r=1,p=1:{_b64(b's' * 16)}:{_b64(b'd' * 32)}",  # n not a power of two
        f"scrypt:n=1048576,r=8,p=1:{_b64(b's' * 16)}:{_b64(b'd' * 32)}",  # 1 GiB
        f"scrypt:n=16,r=1,p=0:{_b64(b's' * 16)}:{_b64(b'd' * 32)}",
        f"scrypt:n=16,r=1,p=1:{_b64(b's' * 16)[:-1]}:{_b64(b'd' * 32)}",  # bad padding
        "scrypt:n=16,r=1,p=1:",
        "bcrypt:$2b$12$abc",
    ],
)
def test_a_malformed_hash_names_its_entry(text: str) -> None:
    """Bad salt, digest, cost or form: a ConfigError naming the entry (exit 2)."""
    error = _refusal(lambda: TokenHash.parse(text, entry="deploy-bot"))
    assert "'deploy-bot'" in error.message
    assert error.exit_code == ExitCode.USAGE


def test_the_hash_is_hidden_from_an_entrys_repr() -> None:
    """A TokenEntry's repr leaves its hash out (it may be a plain token by mistake)."""
    entry = TokenEntry(name="ci", hash="heph_not-a-hash")
    assert "heph_not-a-hash" not in repr(entry)
    assert "heph_not-a-hash" not in repr(_valid())  # and a hash's repr shows no bytes


def test_settings_read_the_configuration_table() -> None:
    """[tool.hephaestus.serve] tokens: a list of {name, hash, scopes}; unknown keys refused."""
    hashed = _hash("t")
    table = {"tokens": [{"name": "ci", "hash": hashed, "scopes": ["read", "run"]}]}
    settings_ = ServeSection.model_validate(table)
    assert settings_.tokens[0].scopes == (Scope.read, Scope.run)
    assert ServeSection().tokens == ()
    assert TokenEntry(name="x", hash=hashed).scopes == (Scope.read,)
    with pytest.raises(ValidationError):
        ServeSection.model_validate({"tokens": [{"name": "ci", "hash": hashed, "x": 1}]})
    with pytest.raises(ValidationError):
        TokenEntry.model_validate({"name": "ci", "hash": hashed, "scopes": ["everything"]})


def test_entries_from_the_environment_and_the_table_combine() -> None:
    """HEPHAESTUS_SERVE_TOKENS adds entries to the table's; both authenticate."""
    env_entry = _entry("env", "heph_from-env", Scope.run)
    environ = {TOKENS_VARIABLE: json.dumps([env_entry.model_dump(mode="json")])}
    table = ServeSection(tokens=(_entry("table", "heph_from-table"),))
    authenticator = Authenticator.from_settings(table, environ=environ)
    assert authenticator.authenticate("Bearer heph_from-env").name == "env"
    assert authenticator.authenticate("Bearer heph_from-table").name == "table"
    assert tokens_from_environment({TOKENS_VARIABLE: "  "}) == ()
    assert tokens_from_environment({}) == ()


def test_duplicate_names_across_sources_are_refused() -> None:
    """The same name in the table and the environment is a ConfigError naming it."""
    environ = {TOKENS_VARIABLE: json.dumps([_entry("ci", "b").model_dump(mode="json")])}
    table = ServeSection(tokens=(_entry("ci", "a"),))
    error = _refusal(lambda: Authenticator.from_settings(table, environ=environ))
    assert "'ci'" in error.message
    assert TOKENS_VARIABLE in (error.hint or "")


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ("heph_secret-value-123", "not valid JSON"),
        ('{"name": "ci"}', "valid array"),
        ('[{"name": "ci", "hash": "x", "token": "heph_secret-value-123"}]', "[0].token"),
        ('[{"name": "ci", "hash": "heph_secret-value-123", "scopes": ["root"]}]', "[0].scopes"),
    ],
)
def test_a_bad_environment_variable_is_named_and_never_echoed(value: str, where: str) -> None:
    """A bad HEPHAESTUS_SERVE_TOKENS is a ConfigError naming the variable and key, not values."""
    error = _refusal(lambda: tokens_from_environment({TOKENS_VARIABLE: value}))
    assert TOKENS_VARIABLE in error.message
    assert where in error.message
    assert "heph_secret-value-123" not in _said(error)
    assert error.__cause__ is None
    assert error.__suppress_context__


def test_a_plain_token_from_the_environment_is_refused_without_echo() -> None:
    """The environment's entries are checked like the table's: a plain token is refused."""
    token = new_token()
    environ = {TOKENS_VARIABLE: json.dumps([{"name": "ci", "hash": token}])}
    error = _refusal(lambda: Authenticator.from_settings(ServeSection(), environ=environ))
    assert token not in _said(error)
    assert "'ci'" in error.message


# --- authentication ---------------------------------------------------------------------------


@pytest.fixture
def authenticator() -> Authenticator:
    """Three tokens: read only, read and run, admin."""
    return Authenticator.from_entries(
        [
            _entry("reader", "heph_reader"),
            _entry("runner", "heph_runner", Scope.read, Scope.run),
            _entry("root", "heph_admin", Scope.admin),
        ]
    )


def test_no_tokens_means_anonymous_with_every_scope() -> None:
    """Without configured tokens authentication is off: anyone is ANONYMOUS, with all scopes."""
    authenticator = Authenticator.from_entries([])
    assert not authenticator.enabled
    for header in (None, "", "Bearer nonsense", "Basic abc"):
        assert authenticator.authenticate(header) is ANONYMOUS
    assert ANONYMOUS.scopes == frozenset(Scope)


@pytest.mark.parametrize(
    "header",
    ["Bearer heph_runner", "bearer heph_runner", "BEARER   heph_runner  ", "\tBearer\theph_runner"],
)
def test_a_bearer_token_authenticates_whatever_the_schemes_case(
    authenticator: Authenticator, header: str
) -> None:
    """The scheme is case-insensitive; surrounding whitespace is ignored."""
    principal = authenticator.authenticate(header)
    assert principal == Principal(name="runner", scopes=frozenset({Scope.read, Scope.run}))
    assert authenticator.enabled


def test_an_authenticated_token_is_redacted_from_then_on(authenticator: Authenticator) -> None:
    """After it authenticates, the token is a registered secret: redact() removes it anywhere."""
    authenticator.authenticate("Bearer heph_admin")
    assert redact("token was heph_admin.") == f"token was {REDACTED}."


def test_the_cache_keeps_digests_and_returns_the_same_principal(
    authenticator: Authenticator,
) -> None:
    """A repeated token is answered from the cache, keyed by its SHA-256, never the token."""
    first = authenticator.authenticate("Bearer heph_reader")
    assert authenticator.authenticate("Bearer heph_reader") is first
    keys = list(authenticator._cache)  # noqa: SLF001  # what the cache holds is the point
    assert [len(k) for k in keys] == [32]
    assert all(b"heph_reader" not in k for k in keys)


def test_the_cache_is_bounded_and_failures_are_not_cached() -> None:
    """At most cache_size principals are kept, least recently used evicted; failures never."""
    entries = [_entry(f"t{i}", f"heph_t{i}") for i in range(4)]
    authenticator = Authenticator.from_entries(entries, cache_size=2)
    for i in range(4):
        authenticator.authenticate(f"Bearer heph_t{i}")
    with pytest.raises(AuthenticationError):
        authenticator.authenticate("Bearer heph_unknown")
    assert len(authenticator._cache) == 2  # noqa: SLF001  # its bound is the point
    with pytest.raises(ValueError, match="cache_size"):
        Authenticator.from_entries(entries, cache_size=-1)


def test_every_entry_is_checked_whichever_matches(
    authenticator: Authenticator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Verification runs scrypt against every entry, also when the first one matches."""
    calls: list[bytes] = []
    real = auth._scrypt  # noqa: SLF001  # counted, not replaced: the real hash still runs

    def counting(token: str, salt: bytes, *, n: int, r: int, p: int) -> bytes:
        calls.append(salt)
        return real(token, salt, n=n, r=r, p=p)

    monkeypatch.setattr(auth, "_scrypt", counting)
    for first, last in (("heph_reader", "reader"), ("heph_admin", "root")):
        calls.clear()
        assert authenticator.authenticate(f"Bearer {first}").name == last
        assert len(set(calls)) == len(calls) == 3
    calls.clear()
    with pytest.raises(AuthenticationError):
        authenticator.authenticate("Bearer heph_nobody")
    assert len(calls) == 3


def test_missing_and_unknown_credentials_are_unauthenticated(
    authenticator: Authenticator,
) -> None:
    """No header, another scheme or an unknown token: AuthenticationError, exit 3."""
    for header in (None, "", "   ", "Basic cmVhZGVy", "heph_reader", "Bearer", "Bearer heph_x"):
        with pytest.raises(AuthenticationError) as caught:
            authenticator.authenticate(header)
        assert caught.value.code == "unauthenticated"
        assert caught.value.exit_code == ExitCode.SAFETY


@settings(max_examples=200, deadline=None)
@given(header=st.text(max_size=120) | st.builds(lambda t: f"Bearer {t}", st.text(max_size=80)))
def test_any_bad_header_is_refused_without_echo(header: str) -> None:
    """Any header but a configured token's is AuthenticationError with a fixed message."""
    authenticator = Authenticator.from_entries([_entry("ci", new_token())])
    known = set()
    for reference in (None, "x", "Bearer heph_unknown"):
        with pytest.raises(AuthenticationError) as caught:
            authenticator.authenticate(reference)
        known.add((caught.value.message, caught.value.hint))
    with pytest.raises(AuthenticationError) as caught:
        authenticator.authenticate(header)
    assert (caught.value.message, caught.value.hint) in known  # so it cannot hold the header


# --- scopes -----------------------------------------------------------------------------------


def _expected(safety: frozenset[Safety]) -> frozenset[Scope]:
    expected = {Scope.read}
    if safety & {Safety.runs_project_code, Safety.network}:
        expected.add(Scope.run)
    if safety & {Safety.destructive, Safety.writes_state}:
        expected.add(Scope.write)
    return frozenset(expected)


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_every_operation_needs_read_and_the_scopes_of_its_safety(op: Operation) -> None:
    """scopes_for gives read, plus run and write as the operation's safety classes say."""
    assert scopes_for(op.safety) == _expected(op.safety)
    assert Scope.admin not in scopes_for(op.safety)


def test_scopes_of_some_operations_by_name() -> None:
    """Plans need read; cleanup needs write; guard-rails run code; a release install all three."""
    assert scopes_for(operation("cleanup_plan").safety) == {Scope.read}
    assert scopes_for(operation("cleanup").safety) == {Scope.read, Scope.write}
    assert scopes_for(operation("guard_rails").safety) == {Scope.read, Scope.run, Scope.write}
    assert scopes_for(operation("release_install_plan").safety) == {Scope.read, Scope.run}
    assert scopes_for(frozenset()) == {Scope.read}


scope_sets = st.frozensets(st.sampled_from(Scope))


@given(held=scope_sets, required=scope_sets)
def test_admin_allows_everything_and_others_need_each_scope(
    held: frozenset[Scope], required: frozenset[Scope]
) -> None:
    """A principal with admin is allowed anything; otherwise exactly the scopes it holds."""
    principal = Principal(name="p", scopes=held)
    allowed = Scope.admin in held or required <= held
    assert principal.allows(required) == allowed
    assert Principal(name="a", scopes=frozenset({Scope.admin})).allows(required)
    if allowed:
        authorize(principal, required)
    else:
        with pytest.raises(PermissionDeniedError) as caught:
            authorize(principal, required)
        assert caught.value.code == "permission-denied"
        assert caught.value.exit_code == ExitCode.SAFETY
        for scope in required - held:
            assert scope.value in caught.value.message


def test_a_refusal_names_the_principal_and_the_missing_scopes() -> None:
    """permission-denied says who lacks what, in the scopes' order."""
    with pytest.raises(PermissionDeniedError, match=r"'reader' lacks .*: run, write$"):
        authorize(
            Principal(name="reader", scopes=frozenset({Scope.read})),
            scopes_for(operation("guard_rails").safety),
        )
