"""Everything one server holds, shared by its faces: the service, who may call, what is recorded."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hephaestus.api.audit import AuditLog
    from hephaestus.api.auth import Authenticator
    from hephaestus.api.metrics import Metrics
    from hephaestus.api.service import Service


@dataclass(slots=True, kw_only=True)
class ServerState:
    """The parts of one running server; the REST app and the gRPC servicer read the same one."""

    service: Service
    authenticator: Authenticator
    audit: AuditLog
    metrics: Metrics
    stopping: threading.Event = field(default_factory=threading.Event)
    """Set once a shutdown began: readiness fails and new tasks are refused."""
