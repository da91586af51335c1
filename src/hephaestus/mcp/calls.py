"""One tool call, run in-process: arguments → request → safety checks → operation → outcome.

Runs in a worker thread (operations are synchronous). Every call works on the server's root:
a request's ``root`` defaults to it, relative paths resolve against it, and nobody is there to
confirm anything (:class:`~hephaestus.core.context.Context` ``confirm`` answers no). A tool that
writes must stay inside the root, and a destructive tool with a dry-run twin must carry the
twin's ``plan_id``. Whatever goes wrong comes back as an error outcome carrying the error's
``code``, ``exit_code``, ``message`` and ``hint``, never as a stack trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from hephaestus.core import telemetry
from hephaestus.core.errors import (
    ExitCode,
    HephaestusError,
    UsageError,
    error_document,
    field_ref,
    one_line,
)
from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger, redact
from hephaestus.invoke import call, confine, default_configuration, request_for
from hephaestus.registry import Safety

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from hephaestus.core.process_groups import Cancellation
    from hephaestus.core.progress import Progress
    from hephaestus.core.request import Request
    from hephaestus.mcp.tools import ToolSpec

_log = get_logger(__name__)
WRITES: Final = frozenset({Safety.destructive, Safety.writes_state})
"""Safety classes whose path arguments must stay inside the root."""
SUMMARY_LIMIT: Final = 600
"""Characters at most in a result's text content (the data is in the structured content)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a tool call returns: structured content, a short text, and whether it failed."""

    structured: dict[str, Any]
    text: str
    is_error: bool = False


def run_tool(  # noqa: PLR0913  # the face's side of a call, all keywords
    tool: ToolSpec,
    arguments: Mapping[str, Any],
    *,
    root: Path,
    run_id: str,
    progress: Progress,
    cancellation: Cancellation,
) -> Outcome:
    """Call ``tool``'s operation with ``arguments`` on ``root``; never raises for its errors.

    When tracing, each call is a trace of its own: a server span ``tools/call <tool>``.
    """
    attributes: dict[str, telemetry.AttributeValue] = {
        "mcp.method.name": "tools/call",
        "gen_ai.tool.name": tool.spec.name,
        "hephaestus.operation": tool.operation.name,
        "hephaestus.run_id": run_id,
    }
    # extract_from({}): no caller's context to continue, so the call starts a trace of its own
    parent = telemetry.extract_from({})
    with telemetry.span(
        f"tools/call {tool.spec.name}", kind="server", attributes=attributes, parent=parent
    ) as span:
        outcome = _run(tool, arguments, root=root, run_id=run_id, progress=progress,
                       cancellation=cancellation)  # fmt: skip
        if outcome.is_error:
            span.fail(error_type=str(outcome.structured.get("error", {}).get("code", "error")))
    return outcome


def _run(  # noqa: PLR0913  # run_tool's arguments, handed on
    tool: ToolSpec,
    arguments: Mapping[str, Any],
    *,
    root: Path,
    run_id: str,
    progress: Progress,
    cancellation: Cancellation,
) -> Outcome:
    try:
        request = prepare(tool, arguments, root=root)
        result = call(
            tool.operation,
            request,
            cwd=root,
            run_id=run_id,
            progress=progress,
            cancellation=cancellation,
            configuration=default_configuration(),  # read afresh: pyproject.toml may change
        )
    except HephaestusError as error:
        return error_outcome(error)
    except Exception as exc:  # noqa: BLE001  # a bug: logged in full here, one line to the agent
        _log.error(Event.COMMAND_FAILED, command=tool.operation.name, exc_info=exc)
        return error_outcome(
            HephaestusError(
                f"{tool.operation.name} failed: internal error ({type(exc).__name__})",
                hint="this is a bug in hephaestus: the traceback is in the server's log",
                code="internal-error",
            )
        )
    data = result.model_dump(mode="json")
    return Outcome(structured=data, text=summarize(tool.operation.name, data))


def prepare(tool: ToolSpec, arguments: Mapping[str, Any], *, root: Path) -> Request:
    """Validate ``arguments`` into the request, checked for what MCP does not allow.

    Raises:
        UsageError: an argument is unknown or invalid, or a required ``plan_id`` is missing
            (``invalid-request``, exit 2).
        SafetyError: a tool that writes was given a path outside the root, or asked to leave
            it (``outside-root``, exit 3).

    """
    request = request_for(tool.operation, arguments)
    if "root" in type(request).model_fields and getattr(request, "root", None) is None:
        request = request.model_copy(update={"root": root})
    if tool.requires_plan and getattr(request, "plan_id", None) is None:
        twin = tool.operation.twin
        raise UsageError(
            f"{field_ref('plan_id')}: required: a destructive tool carries out a plan of {twin}",
            hint=f"call {twin} with the same arguments and pass the {field_ref('plan_id')} "
            "it returns",
            code="invalid-request",
        )
    if tool.operation.safety & WRITES:
        confine(request, root)
    return request


def error_outcome(error: HephaestusError) -> Outcome:
    """Turn ``error`` into an error outcome: the CLI's JSON error document, redacted."""
    message = one_line(redact(error.message))
    hint = one_line(redact(error.hint)) if error.hint else None
    document = error_document(error.code, int(ExitCode(error.exit_code)), message, hint)
    text = f"error ({error.code}): {message}" + (f"\nhint: {hint}" if hint else "")
    return Outcome(structured=document, text=text, is_error=True)


def summarize(name: str, data: Mapping[str, Any]) -> str:
    """One short line about a result: its scalar fields and how many items each list holds."""
    parts: list[str] = []
    for key, value in data.items():
        if isinstance(value, (list, dict)):
            parts.append(f"{key}: {len(value)}")
        elif value is not None and value != "":
            parts.append(f"{key}={value}")
    fields = ", ".join(parts)
    if len(fields) > SUMMARY_LIMIT:
        fields = fields[: SUMMARY_LIMIT - 1] + "…"
    return f"{name}: {fields} (all of it in the structured content)"
