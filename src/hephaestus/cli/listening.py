"""Where a server command may listen: loopback only, unless callers must authenticate."""

from __future__ import annotations

import ipaddress
import socket

from hephaestus.core.errors import SafetyError, UsageError


def refuse_unless_loopback(host: str, *, why: str, hint: str) -> None:
    """Refuse ``host`` if it is, or resolves to, an address other computers can reach.

    Raises:
        UsageError: ``host`` cannot be resolved (exit 2).
        SafetyError: it can be reached from elsewhere (``unauthenticated-listener``, exit 3);
            the message ends with ``why``.

    """
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError as exc:
        raise UsageError(
            f"--host {host}: cannot be resolved ({exc.strerror or exc})",
            hint="use 127.0.0.1 or ::1",
        ) from exc
    exposed = sorted(a for a in addresses if not ipaddress.ip_address(a.split("%")[0]).is_loopback)
    if exposed:
        raise SafetyError(
            f"refusing --host {host}: {', '.join(exposed)} can be reached from other computers, "
            f"and {why}",
            hint=hint,
            code="unauthenticated-listener",
        )
