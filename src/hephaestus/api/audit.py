"""The audit log of ``hephaestus serve``: one JSON object per line for every call, on every face.

Each line says when (``time``, ISO-8601 UTC), who (``principal``), through which face
(``rest``, ``grpc``, ``mcp``), what (``operation`` or route) on which ``root``, how it ended
(``outcome``: ``ok`` or an error code; ``status``: the HTTP status or gRPC status name), how long
it took (``duration_ms``) and the ``request_id`` that ties it to the server's log.

The log lives in a directory the server gives (its state directory), made ``0700``; the file is
``0600``, opened without following links, and appended to line by line. Every string passes
through :func:`~hephaestus.core.logging.redact` and loses anything shaped like a hephaestus
token; headers named ``Authorization`` (or ``Proxy-Authorization``, ``Cookie``) are dropped.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Literal, Self, TextIO, get_args

from hephaestus.api.auth import TOKEN_PREFIX
from hephaestus.core.errors import SafetyError
from hephaestus.core.fs import printable_path
from hephaestus.core.logging import REDACTED, redact

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from types import TracebackType

Face = Literal["rest", "grpc", "mcp"]
"""The face a call came through."""
FACES: Final = frozenset(get_args(Face))
AUDIT_FILE: Final = "audit.jsonl"
"""The log's default file name in the directory the server gives."""
DROPPED_HEADERS: Final = frozenset({"authorization", "proxy-authorization", "cookie"})
"""Headers never written, whatever their value (compared case-insensitively)."""
OUR_TOKEN: Final = re.compile(rf"{TOKEN_PREFIX}[A-Za-z0-9_-]+")
"""A token :func:`~hephaestus.api.auth.new_token` makes (redact knows other services' tokens)."""
_BEARER: Final = re.compile(
    r"bearer\s+(?P<secret>[A-Za-z0-9._~+/=-]+?)(?=bearer\s|[^A-Za-z0-9._~+/=-]|\Z)", re.IGNORECASE
)
"""A bearer credential, ending where another ``Bearer`` begins (see :func:`_scrub`)."""
_DIRECTORY_FLAGS: Final = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: a FIFO planted in place of the log fails at once (ENXIO) instead of hanging.
_FILE_FLAGS: Final = (
    os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
)


class UnsafeAuditLogError(SafetyError):
    """The audit log or its directory is a link, not a plain file or directory, or not ours."""

    code = "unsafe-audit-log"


def _refuse(path: Path, reason: str) -> UnsafeAuditLogError:
    return UnsafeAuditLogError(
        f"refusing to write the audit log {printable_path(path)}: {reason}",
        hint="remove it, or give the server another state directory",
    )


def _make_private(descriptor: int, path: Path, mode: int, *, directory: bool) -> None:
    """Check that ``descriptor`` is our own directory or regular file; tighten it to ``mode``."""
    info = os.fstat(descriptor)
    kind = stat.S_ISDIR(info.st_mode) if directory else stat.S_ISREG(info.st_mode)
    if not kind:
        raise _refuse(path, "it is not a plain " + ("directory" if directory else "file"))
    if info.st_uid != os.geteuid():
        raise _refuse(path, "another user owns it")
    if stat.S_IMODE(info.st_mode) != mode:
        os.fchmod(descriptor, mode)


def _open_private(directory: Path, file_name: str) -> int:
    """Open ``directory/file_name`` for appending, both made ours alone; return its descriptor."""
    with contextlib.suppress(FileExistsError):
        directory.mkdir(mode=0o700)
    try:
        directory_fd = os.open(directory, _DIRECTORY_FLAGS)
    except OSError as exc:
        if exc.errno in {errno.ELOOP, errno.ENOTDIR}:
            raise _refuse(directory, "it is a symbolic link or not a directory") from exc
        raise
    try:
        _make_private(directory_fd, directory, 0o700, directory=True)
        try:
            descriptor = os.open(file_name, _FILE_FLAGS, 0o600, dir_fd=directory_fd)
        except OSError as exc:
            if exc.errno in {errno.ELOOP, errno.ENXIO, errno.EISDIR}:
                raise _refuse(directory / file_name, "it is not a plain file") from exc
            raise
        try:
            _make_private(descriptor, directory / file_name, 0o600, directory=False)
            os.set_blocking(descriptor, True)
        except BaseException:
            os.close(descriptor)
            raise
        return descriptor
    finally:
        os.close(directory_fd)


def _scrub(value: Any) -> Any:  # noqa: ANN401  # a JSON value of any shape
    """Remove hephaestus tokens and bearer credentials from every string in ``value``.

    Runs before :func:`redact`, which knows every other secret: its bearer rule lets a
    credential swallow a following ``Bearer`` (``Bearer a/Bearer b`` keeps ``b``), so bearer
    credentials are cut here first, each ending where the next ``Bearer`` starts.
    """
    if isinstance(value, str):
        value = _BEARER.sub(lambda m: m[0][: m.start("secret") - m.start()] + REDACTED, value)
        return OUR_TOKEN.sub(REDACTED, value)
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    return value


class AuditLog:
    """An append-only JSON-lines log of calls, safe to share between threads.

    Open it with :meth:`open`; close it with :meth:`close` or a ``with`` block.
    """

    def __init__(self, path: Path, stream: TextIO) -> None:
        self.path = path
        self._stream = stream
        self._lock = threading.Lock()

    @classmethod
    def open(cls, directory: Path, *, file_name: str = AUDIT_FILE) -> AuditLog:
        """Open (or create) the log ``directory/file_name`` for appending.

        ``directory`` is made if missing (its parent must exist) with mode ``0700``, an existing
        one is tightened to it; the file is created ``0600`` (an existing one tightened too).
        Pass a directory of the server's own, such as ``state_directory(root) / "serve"``.

        Raises:
            UnsafeAuditLogError: the directory or the file is a symbolic link, not a plain
                directory or file (a FIFO, a device), or another user's (exit 3).
            ValueError: ``file_name`` is not a plain file name.
            OSError: the directory or the file cannot be created or opened.

        """
        if not file_name or "/" in file_name or file_name in {".", ".."}:
            raise ValueError("file_name must be a plain file name")
        descriptor = _open_private(directory, file_name)
        stream = os.fdopen(descriptor, "a", buffering=1, encoding="utf-8", newline="\n")
        return cls(directory / file_name, stream)

    def record(  # noqa: PLR0913  # one keyword per field of the line
        self,
        *,
        principal: str,
        face: Face,
        operation: str,
        root: str | os.PathLike[str] | None,
        outcome: str,
        status: int | str,
        duration_ms: float,
        request_id: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Append one line for a call; ``outcome`` is ``ok`` or the error's code.

        ``headers``, when given, are written too, minus :data:`DROPPED_HEADERS`. Every string
        is redacted first. The line is written whole, under a lock, and flushed at once.

        Raises:
            ValueError: ``face`` is not one of ``rest``, ``grpc``, ``mcp``, ``duration_ms`` is
                not a finite number, or the log is closed.
            OSError: the line cannot be written (a full disk).

        """
        if face not in FACES:
            raise ValueError(f"unknown face {face!r}")
        entry: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "principal": principal,
            "face": face,
            "operation": operation,
            "root": None if root is None else os.fspath(root),
            "outcome": outcome,
            "status": status,
            "duration_ms": round(duration_ms, 3),
            "request_id": request_id,
        }
        if headers is not None:
            entry["headers"] = {
                name: value
                for name, value in headers.items()
                if name.lower() not in DROPPED_HEADERS
            }
        line = json.dumps(redact(_scrub(entry)), separators=(",", ":"), allow_nan=False)
        with self._lock:
            self._stream.write(line + "\n")

    def close(self) -> None:
        """Close the file; later :meth:`record` calls raise ``ValueError``."""
        with self._lock:
            self._stream.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
