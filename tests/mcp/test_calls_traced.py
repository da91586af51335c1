"""An MCP tool call is a trace of its own when tracing is on (a server span, its error)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.mcp.fakes import CRASH
from tests.otlp import Collector

from hephaestus.core import telemetry
from hephaestus.core.process_groups import Cancellation
from hephaestus.core.progress import NO_PROGRESS
from hephaestus.mcp.calls import run_tool
from hephaestus.mcp.tools import tool_spec

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_a_tool_call_is_a_server_span_starting_its_own_trace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each call: `tools/call <tool>`, no parent even inside another span, failed on error."""
    with Collector() as collector:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint)
        try:
            assert telemetry.start(long_running=True)
            with telemetry.span("hephaestus mcp"):
                run_tool(
                    tool_spec(CRASH),
                    {},
                    root=tmp_path,
                    run_id="run-5",
                    progress=NO_PROGRESS,
                    cancellation=Cancellation(),
                )
        finally:
            telemetry.shutdown()
        collector.wait_for(lambda c: len(c.spans) == 2)
        spans = {s.name: s for s in collector.spans}
    call = spans[f"tools/call {tool_spec(CRASH).spec.name}"]
    assert call.parent is None
    assert call.trace_id != spans["hephaestus mcp"].trace_id
    assert call.kind == "server"
    assert call.attributes["mcp.method.name"] == "tools/call"
    assert call.attributes["hephaestus.run_id"] == "run-5"
    assert call.attributes["error.type"] == "internal-error"
    assert call.error
