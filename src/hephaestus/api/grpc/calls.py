"""What every RPC of the gRPC face does around its work: who calls, what is recorded, how it ends.

Each RPC runs inside :meth:`Calls.answering`, which gives it a request id (sent back as
``hephaestus-request-id`` trailing metadata, on success and on error), and once it has ended
writes one audit line and counts it by RPC and gRPC status. A
:class:`~hephaestus.core.errors.HephaestusError` ends the RPC with the status
:func:`~hephaestus.api.problems.status_of` gives it, the problem's one-line redacted detail,
and trailing metadata ``hephaestus-error-code`` and ``hephaestus-hint``; any other exception
is a bug: its traceback goes to the server's log and the client gets ``INTERNAL`` with a
generic message. The caller's token is read from the ``authorization`` metadata
(``Bearer <token>``), as the REST face reads the header.
"""

from __future__ import annotations

import time
import urllib.parse
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import grpc

from hephaestus.api.auth import AuthenticationError
from hephaestus.api.problems import problem, status_of
from hephaestus.core import telemetry
from hephaestus.core.errors import HephaestusError
from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger

if TYPE_CHECKING:
    from collections.abc import Iterator

    from hephaestus.api.audit import AuditLog
    from hephaestus.api.auth import Authenticator, Principal
    from hephaestus.api.metrics import Metrics

_log = get_logger(__name__)
AUTHORIZATION: Final = "authorization"
"""The metadata key holding ``Bearer <token>`` (gRPC metadata keys are lower case)."""
REQUEST_ID: Final = "hephaestus-request-id"
ERROR_CODE: Final = "hephaestus-error-code"
HINT: Final = "hephaestus-hint"
"""Trailing metadata: the hint of an error, percent-encoded UTF-8 (as gRPC encodes details)."""
DEADLINE_SLACK: Final = 0.25
"""Seconds before its deadline at which an ended RPC counts as past it: the client's own timer
fires first, and its cancellation arrives about one network latency before the server's."""
_METADATA_SAFE: Final = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")
"""What a metadata value keeps as it is: printable ASCII but ``%``, as grpc-message does."""


@dataclass(slots=True)
class CallRecord:
    """What the audit log and the metrics say of one RPC; the RPC fills it in as it proceeds."""

    method: str
    """The full RPC name, e.g. ``/hephaestus.v1.GuardRails/Run`` (the metrics' route)."""
    operation: str
    """The registry operation, or what the RPC does (``task_get``): the audit's operation."""
    request_id: str
    principal: str = "-"
    root: str | None = None
    span: telemetry.Span = telemetry.NO_SPAN
    """The RPC's server span (its status is set as the RPC ends)."""


def metadata_value(text: str) -> str:
    """Return ``text`` as a legal metadata value: percent-encoded outside printable ASCII."""
    return urllib.parse.quote(text, safe=_METADATA_SAFE)


class Calls:
    """Authenticates RPCs, then audits, counts and ends each one; thread-safe."""

    def __init__(self, *, authenticator: Authenticator, audit: AuditLog, metrics: Metrics) -> None:
        """Authenticate with ``authenticator``; record in ``audit``; count in ``metrics``."""
        self.authenticator = authenticator
        self.audit = audit
        self.metrics = metrics

    def authenticate(self, context: grpc.ServicerContext, record: CallRecord) -> Principal:
        """Return the principal whose token the RPC's ``authorization`` metadata carries.

        Raises:
            AuthenticationError: no token, a malformed one, one the server does not accept, or
                more than one ``authorization`` entry (``unauthenticated``).

        """
        values = [v for k, v in context.invocation_metadata() or () if k == AUTHORIZATION]
        if len(values) > 1:
            raise AuthenticationError(
                "the call carries more than one authorization entry",
                hint="send one 'authorization: Bearer <token>' metadata entry",
            )
        value = values[0] if values and isinstance(values[0], str) else None
        principal = self.authenticator.authenticate(value)
        record.principal = principal.name
        return principal

    @contextmanager
    def answering(
        self, context: grpc.ServicerContext, *, method: str, operation: str
    ) -> Iterator[CallRecord]:
        """Run the body of RPC ``method`` as described in the module; yield its record.

        Raises:
            Exception: what ``context.abort`` raises to end the RPC with an error status.
            GeneratorExit: unchanged (a streaming RPC the client left), recorded ``CANCELLED``.

        """
        record = CallRecord(method=method, operation=operation, request_id=uuid.uuid4().hex[:16])
        started = time.perf_counter()
        context.set_trailing_metadata(((REQUEST_ID, record.request_id),))
        with telemetry.span(
            method.lstrip("/"),
            kind="server",
            attributes=_rpc_attributes(method, record.request_id),
            parent=telemetry.extract_from(context.invocation_metadata() or ()),
            judged=True,  # an abort raises for a client's error too: _record judges
        ) as span:
            record.span = span
            yield from self._run(context, record, started)

    def _run(
        self, context: grpc.ServicerContext, record: CallRecord, started: float
    ) -> Iterator[CallRecord]:
        method = record.method
        try:
            yield record
        except HephaestusError as error:
            context.abort(*self._failed(context, record, error, started))
        except GeneratorExit:
            self._record(record, started, status="CANCELLED", outcome="cancelled")
            raise
        except Exception as exc:  # noqa: BLE001  # a bug: logged whole, one generic line out
            _log.error(
                Event.COMMAND_FAILED, command=method, request_id=record.request_id, exc_info=exc
            )
            bug = HephaestusError(
                f"{method} failed: internal error",
                hint="this is a bug in hephaestus: the traceback is in the server's log",
                code="internal-error",
            )
            context.abort(*self._failed(context, record, bug, started))
        else:
            status = _ended(context) or "OK"
            self._record(
                record, started, status=status, outcome="ok" if status == "OK" else "cancelled"
            )

    def _failed(
        self,
        context: grpc.ServicerContext,
        record: CallRecord,
        error: HephaestusError,
        started: float,
    ) -> tuple[grpc.StatusCode, str]:
        """Record the RPC as failed with ``error``; return the status and detail to abort with."""
        _, name = status_of(error)
        body = problem(error, instance=record.request_id)
        trailing = [(REQUEST_ID, record.request_id), (ERROR_CODE, metadata_value(error.code))]
        if body.hint:
            trailing.append((HINT, metadata_value(body.hint)))
        context.set_trailing_metadata(tuple(trailing))
        self._record(record, started, status=_ended(context) or name, outcome=error.code)
        return grpc.StatusCode[name], body.detail

    def _record(self, record: CallRecord, started: float, *, status: str, outcome: str) -> None:
        seconds = time.perf_counter() - started
        record.span.set_attributes({"rpc.grpc.status_code": grpc.StatusCode[status].value[0]})
        if status in _SERVER_FAULTS:
            record.span.fail(error_type=status)
        self.metrics.request(face="grpc", route=record.method, status=status, seconds=seconds)
        self.audit.record(
            principal=record.principal,
            face="grpc",
            operation=record.operation,
            root=record.root,
            outcome=outcome,
            status=status,
            duration_ms=seconds * 1000,
            request_id=record.request_id,
        )


_SERVER_FAULTS: Final = frozenset(
    {"UNKNOWN", "DEADLINE_EXCEEDED", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS"}
)
"""The statuses that mark a server span failed (the RPC semantic conventions' list)."""


def _rpc_attributes(method: str, request_id: str) -> dict[str, telemetry.AttributeValue]:
    """Return the RPC conventions' attributes of ``method`` (``/hephaestus.v1.Tasks/Get``)."""
    service, _, name = method.lstrip("/").rpartition("/")
    return {
        "rpc.system": "grpc",
        "rpc.service": service,
        "rpc.method": name,
        "hephaestus.request_id": request_id,
    }


def _ended(context: grpc.ServicerContext) -> str | None:
    """Return how the RPC ended before its handler did (deadline, cancelled), if it did."""
    if context.is_active():
        return None
    remaining: float | None = context.time_remaining()  # None without a deadline
    deadline = remaining is not None and remaining <= DEADLINE_SLACK
    return "DEADLINE_EXCEEDED" if deadline else "CANCELLED"
