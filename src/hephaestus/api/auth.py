"""Who may call what over ``hephaestus serve``: bearer tokens, their hashes, scopes, principals.

Face-neutral: REST, gRPC and ``/mcp`` hand :meth:`Authenticator.authenticate` the raw value of
the ``Authorization`` header (or gRPC metadata) and get a :class:`Principal` back, then call
:func:`authorize` with the scopes :func:`scopes_for` derives from the operation's safety
classes. Nothing here imports a web framework.

Configuration holds token *hashes* only (``[tool.hephaestus.serve] tokens`` and the JSON list
in ``HEPHAESTUS_SERVE_TOKENS``); a plain token there is refused. No message, log line or cache
key ever holds a presented token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from pydantic import TypeAdapter, ValidationError

from hephaestus.core.errors import ConfigError, SafetyError
from hephaestus.core.logging import register_secret
from hephaestus.registry import Safety
from hephaestus.serving import Scope, ServeSection, TokenEntry

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


_SCOPES_OF: Final[dict[Safety, frozenset[Scope]]] = {
    Safety.read_only: frozenset(),
    Safety.runs_project_code: frozenset({Scope.run}),
    Safety.network: frozenset({Scope.run}),  # it acts on the world, as running code does
    Safety.destructive: frozenset({Scope.write}),
    Safety.writes_state: frozenset({Scope.write}),
}


def scopes_for(safety: frozenset[Safety]) -> frozenset[Scope]:
    """Return the scopes a caller needs for an operation of these safety classes.

    The table (``_SCOPES_OF``): every operation needs ``read``; ``runs-project-code`` and
    ``network`` add ``run`` (both act beyond the repository's files: code runs, the world is
    talked to); ``destructive`` and ``writes-state`` add ``write``. ``admin`` is never needed:
    a principal holding it is allowed everything.
    """
    return frozenset({Scope.read}).union(*(_SCOPES_OF[s] for s in safety))


TOKEN_PREFIX: Final = "heph_"  # noqa: S105  # a prefix, not a password
"""Every token :func:`new_token` makes starts with this, so scanners and redaction spot it."""
HASH_SCHEME: Final = "scrypt"
DEFAULT_N: Final = 2**14
"""scrypt's CPU/memory cost (16 MiB with ``r=8``, about 50-150 ms a verification)."""
SALT_BYTES: Final = 16
DIGEST_BYTES: Final = 32
MAX_MEMORY: Final = 64 * 1024 * 1024
"""Most memory a hash's cost parameters may ask for: a hash can never exhaust the server."""
_MAX_P: Final = 16
_MAXMEM: Final = MAX_MEMORY + 2**20  # OpenSSL counts a little more than 128·r·(n+2+p)
_B64: Final = r"(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?"
_HASH: Final = re.compile(
    rf"{HASH_SCHEME}:n=(?P<n>[0-9]{{1,10}}),r=(?P<r>[0-9]{{1,4}}),p=(?P<p>[0-9]{{1,4}})"
    rf":(?P<salt>{_B64}):(?P<digest>{_B64})"
)
_HASH_HINT: Final = "store what hash_token(token) returns (scrypt:…), never the token itself"


def _cost_ok(n: int, r: int, p: int) -> bool:
    power_of_two = n > 1 and n & (n - 1) == 0
    return power_of_two and r >= 1 and 1 <= p <= _MAX_P and 128 * r * (n + 2 + p) <= MAX_MEMORY


def _scrypt(token: str, salt: bytes, *, n: int, r: int, p: int) -> bytes:
    data = token.encode("utf-8", "surrogatepass")
    return hashlib.scrypt(data, salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=DIGEST_BYTES)


def hash_token(
    token: str, *, salt: bytes | None = None, n: int = DEFAULT_N, r: int = 8, p: int = 1
) -> str:
    """Return the self-describing hash of ``token`` to store in configuration.

    The form is ``scrypt:n=<n>,r=<r>,p=<p>:<salt>:<digest>`` (standard base64), with a fresh
    random 16-byte salt unless ``salt`` is given. Lower ``n`` only in tests: a token from
    :func:`new_token` has 256 random bits, but a hand-made one may not.

    Raises:
        ValueError: ``salt`` is shorter than 16 bytes, or the cost parameters are out of range
            (``n`` a power of two above 1, ``1 <= p <= 16``, at most 64 MiB of memory).

    """
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    if len(salt) < SALT_BYTES:
        raise ValueError(f"a salt of at least {SALT_BYTES} bytes is needed")
    if not _cost_ok(n, r, p):
        raise ValueError("scrypt cost parameters out of range")
    return str(TokenHash(n=n, r=r, p=p, salt=salt, digest=_scrypt(token, salt, n=n, r=r, p=p)))


def new_token() -> str:
    """Return a new random token: ``heph_`` and 32 random bytes, URL-safe base64."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class TokenHash:
    """A parsed token hash: scrypt's cost parameters, the salt and the digest."""

    n: int
    r: int
    p: int
    salt: bytes = field(repr=False)
    digest: bytes = field(repr=False)

    @classmethod
    def parse(cls, text: str, *, entry: str) -> TokenHash:
        """Parse ``text`` as :func:`hash_token` writes it, for the token entry named ``entry``.

        Raises:
            ConfigError: ``text`` is not in that form (a plain token, most likely), or its
                salt, digest or cost parameters are invalid (exit 2). The message names
                ``entry`` and never repeats ``text``.

        """
        found = _HASH.fullmatch(text)
        if found is None:
            what = "is malformed" if text.startswith(f"{HASH_SCHEME}:") else "is not a token hash"
            raise ConfigError(f"token entry {entry!r}: 'hash' {what}", hint=_HASH_HINT)
        salt = base64.b64decode(found["salt"], validate=True)  # the pattern is valid base64
        digest = base64.b64decode(found["digest"], validate=True)
        n, r, p = int(found["n"]), int(found["r"]), int(found["p"])
        if len(salt) < SALT_BYTES or len(digest) != DIGEST_BYTES or not _cost_ok(n, r, p):
            raise ConfigError(
                f"token entry {entry!r}: 'hash' has an invalid salt, digest or cost",
                hint=_HASH_HINT,
            )
        return cls(n=n, r=r, p=p, salt=salt, digest=digest)

    def matches(self, token: str) -> bool:
        """Whether ``token`` hashes to this digest (compared in constant time)."""
        computed = _scrypt(token, self.salt, n=self.n, r=self.r, p=self.p)
        return hmac.compare_digest(computed, self.digest)

    def __str__(self) -> str:
        salt = base64.b64encode(self.salt).decode("ascii")
        digest = base64.b64encode(self.digest).decode("ascii")
        return f"{HASH_SCHEME}:n={self.n},r={self.r},p={self.p}:{salt}:{digest}"


TOKENS_VARIABLE: Final = "HEPHAESTUS_SERVE_TOKENS"
"""Environment variable holding more token entries, as a JSON list of the same objects."""


_ENTRIES: Final = TypeAdapter(tuple[TokenEntry, ...])


def tokens_from_environment(environ: Mapping[str, str] | None = None) -> tuple[TokenEntry, ...]:
    """Return the entries in ``HEPHAESTUS_SERVE_TOKENS`` of ``environ`` (or ``os.environ``).

    Raises:
        ConfigError: the value is not a JSON list of token entries (exit 2); the message names
            the variable and the offending key, never a value.

    """
    value = (os.environ if environ is None else environ).get(TOKENS_VARIABLE, "")
    if not value.strip():
        return ()
    try:
        return _ENTRIES.validate_json(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        detail = "not valid JSON" if error["type"] == "json_invalid" else error["msg"]
        # from None: the validation error holds the input, which may be a plain token.
        raise ConfigError(
            f"environment variable {TOKENS_VARIABLE}{where}: {detail}",
            hint='a JSON list such as [{"name": "ci", "hash": "scrypt:…", "scopes": ["read"]}]',
        ) from None


class AuthenticationError(SafetyError):
    """No credentials, malformed ones, or a token the server does not know (exit 3)."""

    code = "unauthenticated"


class PermissionDeniedError(SafetyError):
    """The caller is known but lacks a scope the call needs (exit 3)."""

    code = "permission-denied"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who made a call (a token entry's name) and the scopes it holds."""

    name: str
    scopes: frozenset[Scope]

    def missing(self, required: frozenset[Scope]) -> frozenset[Scope]:
        """Return the scopes of ``required`` this principal lacks (none when it holds admin)."""
        return frozenset() if Scope.admin in self.scopes else required - self.scopes

    def allows(self, required: frozenset[Scope]) -> bool:
        """Whether this principal holds every scope of ``required`` (admin holds them all)."""
        return not self.missing(required)


ANONYMOUS: Final = Principal(name="anonymous", scopes=frozenset(Scope))
"""The principal of every call when no token is configured (loopback only): all scopes."""


def authorize(principal: Principal, required: frozenset[Scope]) -> None:
    """Allow the call, or refuse it naming the scopes ``principal`` lacks.

    Raises:
        PermissionDeniedError: a scope of ``required`` is missing (``permission-denied``).

    """
    missing = principal.missing(required)
    if missing:
        names = ", ".join(s.value for s in Scope if s in missing)
        raise PermissionDeniedError(
            f"{principal.name!r} lacks the scope(s) this call needs: {names}",
            hint="use a token whose entry lists these scopes in [tool.hephaestus.serve] tokens",
        )


_BEARER_HINT: Final = "send 'Authorization: Bearer <token>' with a token the server accepts"
_TOKEN68: Final = re.compile(r"[A-Za-z0-9._~+/-]{1,512}={0,2}")
"""A token as RFC 7235's token68, at most 512 characters (new_token's are 48)."""


def _bearer_token(authorization: str | None) -> str:
    """Return the token of an ``Authorization`` header value, or raise without echoing it."""
    if authorization is None or not authorization.strip():
        raise AuthenticationError("the request carries no credentials", hint=_BEARER_HINT)
    scheme, token = [*authorization.strip().split(maxsplit=1), ""][:2]
    if scheme.lower() != "bearer" or not _TOKEN68.fullmatch(token):
        raise AuthenticationError(
            "malformed Authorization header: expected a bearer token", hint=_BEARER_HINT
        )
    return token


class Authenticator:
    """Turns a presented bearer token into a :class:`Principal`; made by a named constructor.

    Verification runs scrypt against *every* configured hash, whichever one matches, so the
    time taken does not tell which entry (if any) a token belongs to. As that costs one scrypt
    per entry (tens of milliseconds each), a bounded LRU cache maps the SHA-256 of a token that
    *did* authenticate to its principal. The trade-off: a repeated call is fast, which tells a
    caller only what it knows (its own token is valid); the cache holds digests, never tokens,
    and a 256-bit random token cannot be found from its SHA-256. Failures are never cached (a
    caller varying tokens would only evict good ones): limiting their rate is the server's job.
    An authenticated token is also given to :func:`~hephaestus.core.logging.register_secret`,
    so redaction removes it from every later log line, crash file and error.
    """

    def __init__(
        self, credentials: tuple[tuple[Principal, TokenHash], ...], *, cache_size: int
    ) -> None:
        self._credentials = credentials
        self._cache: OrderedDict[bytes, Principal] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @classmethod
    def from_entries(
        cls, entries: Iterable[TokenEntry], *, cache_size: int = 1024
    ) -> Authenticator:
        """Accept the tokens of ``entries`` (none: no authentication); cache ``cache_size``.

        Raises:
            ConfigError: two entries share a name, or an entry's hash is malformed or a
                plain token (exit 2; the message names the entry, never the value).
            ValueError: ``cache_size`` is negative.

        """
        if cache_size < 0:
            raise ValueError("cache_size must be 0 or more")
        credentials: list[tuple[Principal, TokenHash]] = []
        for entry in entries:
            if any(principal.name == entry.name for principal, _ in credentials):
                raise ConfigError(
                    f"two token entries are named {entry.name!r}",
                    hint=f"names are unique across [tool.hephaestus.serve] tokens "
                    f"and {TOKENS_VARIABLE}",
                )
            principal = Principal(name=entry.name, scopes=frozenset(entry.scopes))
            credentials.append((principal, TokenHash.parse(entry.hash, entry=entry.name)))
        return cls(tuple(credentials), cache_size=cache_size)

    @classmethod
    def from_settings(
        cls, settings: ServeSection, *, environ: Mapping[str, str] | None = None
    ) -> Authenticator:
        """Accept the configured tokens and those of ``HEPHAESTUS_SERVE_TOKENS``, combined.

        Raises:
            ConfigError: as :func:`tokens_from_environment` and :meth:`from_entries`.

        """
        return cls.from_entries((*settings.tokens, *tokens_from_environment(environ)))

    @property
    def enabled(self) -> bool:
        """Whether any token is configured (otherwise every call is :data:`ANONYMOUS`)."""
        return bool(self._credentials)

    def authenticate(self, authorization: str | None) -> Principal:
        """Return the principal of a raw ``Authorization`` header value (``Bearer <token>``).

        The scheme is matched case-insensitively. When no token is configured, every call is
        :data:`ANONYMOUS`, whatever it carries.

        Raises:
            AuthenticationError: the header is missing or malformed, or the token matches no
                entry (``unauthenticated``); the message never repeats the header.

        """
        if not self.enabled:
            return ANONYMOUS
        token = _bearer_token(authorization)
        key = hashlib.sha256(token.encode("ascii")).digest()  # token68 is ASCII
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        principal = self._verify(token)
        if principal is None:
            raise AuthenticationError(
                "the bearer token is not one the server accepts", hint=_BEARER_HINT
            )
        register_secret(token)
        if self._cache_size:
            with self._lock:
                self._cache[key] = principal
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return principal

    def _verify(self, token: str) -> Principal | None:
        """Check ``token`` against every entry, with no early exit; the first match wins."""
        found: Principal | None = None
        for principal, token_hash in self._credentials:
            if token_hash.matches(token) and found is None:
                found = principal
        return found
