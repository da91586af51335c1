"""What ``hephaestus serve`` is configured with and what it announces once it listens.

Kept out of :mod:`hephaestus.api` (which imports the web frameworks) so that the configuration
can hold the ``[tool.hephaestus.serve]`` section without importing a server.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hephaestus.core.errors import UsageError, field_ref

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path


class Scope(StrEnum):
    """What a token may do; an operation needs the scopes of its safety classes."""

    read = "read"
    """Call read-only operations (every operation needs it)."""
    run = "run"
    """Run the project's own code or tools, or act on the world over the network."""
    write = "write"
    """Change files or hephaestus' state (destructive and state-writing operations)."""
    admin = "admin"
    """Everything: implies every other scope, and sees every principal's tasks."""


class TokenEntry(BaseModel):
    """One accepted token: who holds it, its hash, and what it may do."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    """Who holds the token (letters, digits, ``.``, ``_``, ``-``): named in the audit log."""
    hash: str = Field(repr=False)
    """The token's hash as ``hash_token`` writes it (``scrypt:…``); never the token itself."""
    scopes: tuple[Scope, ...] = (Scope.read,)
    """What the token may do: ``read``, ``run``, ``write``, ``admin`` (default: read only)."""


class ServeSection(BaseModel):
    """``[tool.hephaestus.serve]``: the tokens ``hephaestus serve`` accepts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tokens: tuple[TokenEntry, ...] = ()
    """Bearer tokens the server accepts, as ``{name=…, hash=…, scopes=[…]}``; more come from
    ``HEPHAESTUS_SERVE_TOKENS``. None at all: no authentication, which only loopback allows."""


class NewToken(BaseModel):
    """A token made by ``hephaestus serve-token``: shown once, configured by its hash."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="Who holds it: named in the audit log.")
    token: str = Field(description="The bearer token: give it to its holder; it is stored nowhere.")
    hash: str = Field(description="Its salted scrypt hash: what the configuration holds.")
    scopes: tuple[Scope, ...] = Field(description="What it may do.")
    toml: str = Field(description="The entry to add to [tool.hephaestus.serve] tokens.")

    @classmethod
    def make(
        cls,
        *,
        name: str,
        token: str,
        hash: str,  # noqa: A002  # the field's name
        scopes: Sequence[Scope] | None,
    ) -> NewToken:
        """Describe a new token, checking ``name`` as the configuration will.

        Raises:
            UsageError: ``name`` is not letters, digits, ``.``, ``_``, ``-`` (exit 2).

        """
        chosen = tuple(dict.fromkeys(scopes or (Scope.read,)))
        try:
            entry = TokenEntry(name=name, hash=hash, scopes=chosen)
        except ValidationError:
            raise UsageError(
                f"{field_ref('name')} {name!r}: letters, digits, '.', '_' and '-' only, at most 64",
                hint="name the token after who holds it, e.g. ci or dashboard",
                code="invalid-request",
            ) from None
        listed = ", ".join(json.dumps(s.value) for s in entry.scopes)
        toml = (
            f"tokens = [{{ name = {json.dumps(entry.name)}, hash = {json.dumps(entry.hash)}, "
            f"scopes = [{listed}] }}]"
        )
        return cls(name=name, token=token, hash=hash, scopes=entry.scopes, toml=toml)


class Serving(BaseModel):
    """A server ready for clients: where each face listens, and what it acts on."""

    model_config = ConfigDict(frozen=True)

    url: str = Field(description="Base URL of the REST face, e.g. http://127.0.0.1:8780.")
    grpc: str | None = Field(description="host:port of the gRPC face, or null when it is off.")
    mcp: str = Field(description="The MCP endpoint (streamable HTTP) on the same server.")
    roots: tuple[str, ...] = Field(
        description="Directories calls may act on; the first is the default."
    )
    authenticated: bool = Field(description="Whether calls need a bearer token.")

    @classmethod
    def of(cls, listening: Any, *, roots: Sequence[Path]) -> Serving:  # noqa: ANN401  # Listening
        """Describe a started server (``listening``: an ``api.server.Listening``)."""
        return cls(
            url=listening.url,
            grpc=listening.grpc,
            mcp=f"{listening.url}/mcp",
            roots=tuple(str(r) for r in roots),
            authenticated=listening.authenticated,
        )
