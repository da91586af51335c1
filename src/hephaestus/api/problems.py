"""Errors as the service faces report them: RFC 9457 problem details and gRPC status codes.

One table maps an error to an HTTP status and a gRPC status name, first by its ``code`` where
the code says more than its class (a lock held elsewhere is a conflict, not a refusal), then by
its exit-code class. Nothing a client can cause maps to 500: that is kept for ``internal-error``,
a bug in hephaestus.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from hephaestus.core.errors import ExitCode, HephaestusError, one_line
from hephaestus.core.logging import redact

PROBLEM_TYPE: Final = "urn:hephaestus:error:"
"""The problem ``type`` is this prefix and the error code (listed by the schema operation)."""

BY_CODE: Final[dict[str, tuple[int, str]]] = {
    "invalid-request": (422, "INVALID_ARGUMENT"),
    "unauthenticated": (401, "UNAUTHENTICATED"),
    "permission-denied": (403, "PERMISSION_DENIED"),
    "not-found": (404, "NOT_FOUND"),
    "task-not-found": (404, "NOT_FOUND"),
    "method-not-allowed": (405, "UNIMPLEMENTED"),
    "task-store-error": (503, "UNAVAILABLE"),
    "busy": (409, "ABORTED"),
    "stale-plan": (409, "FAILED_PRECONDITION"),
    "exists": (409, "ALREADY_EXISTS"),
    "store-busy": (503, "UNAVAILABLE"),
    "server-shutting-down": (503, "UNAVAILABLE"),
    "server-busy": (503, "RESOURCE_EXHAUSTED"),
    "upload-stalled": (408, "DEADLINE_EXCEEDED"),
    "cancelled": (409, "CANCELLED"),
    "internal-error": (500, "INTERNAL"),
}
"""Codes whose status says more than their exit-code class."""

BY_EXIT: Final[dict[ExitCode, tuple[int, str]]] = {
    ExitCode.USAGE: (400, "INVALID_ARGUMENT"),
    ExitCode.SAFETY: (403, "PERMISSION_DENIED"),
    ExitCode.VERIFICATION: (422, "FAILED_PRECONDITION"),
    ExitCode.EXTERNAL: (502, "UNAVAILABLE"),
    ExitCode.INTERRUPTED: (503, "UNAVAILABLE"),
    ExitCode.TERMINATED: (503, "UNAVAILABLE"),
    ExitCode.INTERNAL: (500, "INTERNAL"),
}
"""The status of every other error, by its exit-code class."""


class Problem(BaseModel):
    """An RFC 9457 problem details document, with hephaestus' error fields as extensions."""

    model_config = ConfigDict(frozen=True)

    type: str = Field(description="urn:hephaestus:error: and the error code")
    title: str = Field(description="What the exit-code class means")
    status: int = Field(description="The HTTP status of the response")
    detail: str = Field(description="One line: what went wrong")
    code: str = Field(description="The error code (the schema operation lists them)")
    exit_code: int = Field(description="The exit code the CLI would give")
    hint: str | None = Field(default=None, description="One line: what to do about it")
    instance: str | None = Field(default=None, description="The request id, also in the log")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Every invalid field, when the request did not validate"
    )


def status_of(error: HephaestusError) -> tuple[int, str]:
    """Return the HTTP status and the gRPC status name for ``error``."""
    if error.code in BY_CODE:
        return BY_CODE[error.code]
    return BY_EXIT.get(ExitCode(error.exit_code), (400, "INVALID_ARGUMENT"))


def problem(error: HephaestusError, *, instance: str | None = None) -> Problem:
    """Describe ``error`` as a problem: one redacted line each for the detail and the hint."""
    status, _ = status_of(error)
    code = ExitCode(error.exit_code)
    return Problem(
        type=PROBLEM_TYPE + error.code,
        title=code.meaning,
        status=status,
        detail=one_line(redact(error.message)),
        code=error.code,
        exit_code=int(code),
        hint=one_line(redact(error.hint)) if error.hint else None,
        instance=instance,
    )
