"""The exit-code table and the one error hierarchy every operation raises.

Every failure a user can cause is a :class:`HephaestusError` carrying a one-line message, a hint
and an exit code; the CLI turns it into ``error: …`` / ``hint: …`` (or a JSON error document) in
one place. Anything else that escapes is a bug and exits with :attr:`ExitCode.INTERNAL`.
"""

from __future__ import annotations

import re
from enum import IntEnum
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from collections.abc import Callable


class ExitCode(IntEnum):
    """Process exit codes: one table, documented in ``hephaestus schema`` and the docs."""

    OK = 0
    """Success."""
    FINDINGS = 1
    """The check ran and found problems (a gate failed, drift found, findings in strict mode)."""
    USAGE = 2
    """Usage or configuration error (bad flag, bad config value, unknown profile)."""
    SAFETY = 3
    """Refused for safety (dangerous path, declined confirmation, outside root unpermitted)."""
    VERIFICATION = 4
    """Verification failed (checksum, signature, identity, unsafe archive)."""
    EXTERNAL = 5
    """An external dependency failed (network, GitHub API, missing tool, subprocess crash)."""
    INTERNAL = 70
    """Internal error: a bug; the traceback is saved to a file and one line goes to stderr."""
    INTERRUPTED = 130
    """Interrupted (Ctrl-C)."""
    TERMINATED = 143
    """Terminated (SIGTERM): 128 + 15, as a shell reports a process the signal ended."""

    @property
    def meaning(self) -> str:
        """The one-line meaning of this code, as documented."""
        return _MEANINGS[self]


_MEANINGS = {
    ExitCode.OK: "success",
    ExitCode.FINDINGS: "the check ran and found problems (a gate failed, drift found, findings "
    "in strict mode)",
    ExitCode.USAGE: "usage or configuration error (bad flag, bad config value, unknown profile)",
    ExitCode.SAFETY: "refused for safety (dangerous path, confirmation declined, outside root "
    "without permission)",
    ExitCode.VERIFICATION: "verification failed (checksum, signature, identity, unsafe archive)",
    ExitCode.EXTERNAL: "an external dependency failed (network, GitHub API, missing tool, "
    "subprocess crash)",
    ExitCode.INTERNAL: "internal error (a bug: traceback saved to a file, one line on stderr)",
    ExitCode.INTERRUPTED: "interrupted",
    ExitCode.TERMINATED: "terminated (SIGTERM)",
}


FIELD_REFERENCE = re.compile(r"`([a-z][a-z0-9_]*)`")
"""How operations name a request field in a message or a hint: the field name in backquotes."""


def field_ref(name: str) -> str:
    """Name the request field ``name`` in a message; each face renders it (the CLI: ``--name``).

    Operations speak no face's language: a message says "choose another `audit_manifest`", the
    CLI shows "choose another --audit-manifest", MCP and REST show the parameter as it is.
    """
    return f"`{name}`"


def render_fields(text: str, spell: Callable[[str], str | None]) -> str:
    """Replace each field reference in ``text`` by ``spell(name)`` (kept as is when ``None``)."""
    return FIELD_REFERENCE.sub(lambda m: spell(m.group(1)) or m.group(0), text)


def one_line(text: str) -> str:
    """Join ``text``'s non-blank lines with spaces: an error stays one line whatever wrapped it.

    A library's exception text (YAML's, pydantic's) may span lines; the error contract is one
    line of message and one of hint, on every face.
    """
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def error_document(
    code: str, exit_code: int, message: str, hint: str | None
) -> dict[str, dict[str, str | int | None]]:
    """Build the JSON error document every face returns (``hephaestus.schema.ErrorDocument``)."""
    return {"error": {"code": code, "exit_code": exit_code, "message": message, "hint": hint}}


class HephaestusError(Exception):
    """An error a user can cause: a message, a hint and an exit code; never a traceback.

    ``code`` is a stable machine-readable identifier (``config-error``, ``tool-not-found``…) that
    agents can match on; subclasses set it, and a raise site may refine it.
    """

    code: ClassVar[str] = "error"
    exit_code: ClassVar[ExitCode] = ExitCode.INTERNAL

    def __init__(self, message: str, *, hint: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if code is not None:
            self.code = code  # type: ignore[misc]  # refine the class default per instance

    def __str__(self) -> str:
        return self.message


class UsageError(HephaestusError):
    """A bad argument or combination of arguments."""

    code = "usage-error"
    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """A bad ``[tool.hephaestus]`` key or value, or a bad ``HEPHAESTUS_*`` variable."""

    code = "config-error"


class SafetyError(HephaestusError):
    """An action refused because it could lose data or reach outside what was allowed."""

    code = "refused"
    exit_code = ExitCode.SAFETY


class VerificationError(HephaestusError):
    """A checksum, signature, identity or archive check failed."""

    code = "verification-failed"
    exit_code = ExitCode.VERIFICATION


class ExternalError(HephaestusError):
    """Something outside hephaestus failed: a tool, a service, the network."""

    code = "external-error"
    exit_code = ExitCode.EXTERNAL


class ToolNotFoundError(ExternalError):
    """An executable hephaestus needs is not installed or not on PATH."""

    code = "tool-not-found"


class ToolTimeoutError(ExternalError):
    """A subprocess ran past its timeout and was stopped, with its whole process group."""

    code = "tool-timeout"


class ProcessCancelledError(ExternalError):
    """A subprocess was stopped because the operation that started it was cancelled."""

    code = "cancelled"
