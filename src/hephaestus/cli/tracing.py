"""The root span of a command: one per run, when the ``OTEL_*`` variables ask for tracing.

Named ``hephaestus <command>`` once the command is known (the CLI semantic conventions allow a
low-cardinality name of the tool's own), with the process attributes (``process.exit.code``,
``process.pid``), the command and run id, and the CI/CD run it belongs to (``cicd.pipeline.*``).
Telemetry is shut down here whatever happens, within its bounded wait: an exporter never
changes the exit code. ``serve`` and ``mcp`` run until stopped: they have no root span (each
request or tool call is a trace of its own, or continues its caller's), and their telemetry is
sent as it accumulates rather than only at exit.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from hephaestus.core.errors import ExitCode

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from hephaestus.core import telemetry

SERVERS = frozenset({"serve", "mcp"})
"""Commands that run until stopped: telemetry is sent as it accumulates, not only at exit."""
_VALUED = frozenset({"--format", "--log-format", "--log-level", "--run-id", "--color"})
"""The root's options that take a value (the command is the first word after them)."""


def command_of(argv: Sequence[str]) -> str | None:
    """Return the command ``argv`` names (its first word that is not a root option)."""
    words = iter(argv)
    for word in words:
        if word == "--":
            return None
        if word in _VALUED:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _asked() -> bool:
    """Whether any ``OTEL_*`` variable is set (without one, telemetry is not even imported)."""
    return any(name.startswith("OTEL_") for name in os.environ)


def traced(run: Callable[[], int], *, argv: Sequence[str]) -> int:
    """Return ``run()``, run inside the command's root span when telemetry is on."""
    if not _asked():
        return run()
    # PLC0415: only with OTEL_* variables set (start-up stays as it was without them)
    from hephaestus.core import telemetry  # noqa: PLC0415
    from hephaestus.core.ci import ci_attributes  # noqa: PLC0415

    server = command_of(argv) in SERVERS
    if not telemetry.start(long_running=server):
        return run()
    if server:
        try:
            return run()
        finally:
            telemetry.shutdown()

    try:
        attributes: dict[str, telemetry.AttributeValue] = {
            "process.executable.name": "hephaestus",
            "process.pid": os.getpid(),
            **ci_attributes(),
        }
        with telemetry.span("hephaestus", attributes=attributes) as root:
            code = run()
            root.set_attributes({"process.exit.code": code})
            if code != ExitCode.OK:
                known = code in {int(member) for member in ExitCode}
                root.fail(error_type=ExitCode(code).name.lower() if known else str(code))
        return code
    finally:
        telemetry.shutdown()


def name_command(command: str | None, *, run_id: str) -> None:
    """Name the root span after ``command`` and record the run id (the root callback calls it)."""
    if not _asked():
        return
    from hephaestus.core import telemetry  # noqa: PLC0415  # see traced()

    root = telemetry.current()
    if command:
        root.rename(f"hephaestus {command}")
        root.set_attributes({"hephaestus.command": command})
    root.set_attributes({"hephaestus.run_id": run_id})
