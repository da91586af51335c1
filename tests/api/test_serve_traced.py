"""``hephaestus serve`` traced: each request a trace of its own, or its caller's, tasks included.

The real server runs as a subprocess with ``OTEL_EXPORTER_OTLP_ENDPOINT`` pointing at the OTLP
receiver of tests/otlp.py. A REST request carrying a ``traceparent`` header, and a gRPC call
carrying it as metadata, continue the caller's trace; the operation's spans hang under the
request's; a task started by a request runs in that request's trace. ``/metrics`` shows the
operations' own instruments (what OTLP carries) under Prometheus names.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Final

import grpc
from tests.api.servers import TOKENS, make_repo, running
from tests.api.test_serve_rest import client, wait_done
from tests.otlp import Collector, ReceivedSpan

from hephaestus.api.grpc.v1.call_pb2 import NamedOperationRequest, OperationRequest
from hephaestus.api.grpc.v1.operations_pb2_grpc import OperationsStub

if TYPE_CHECKING:
    from pathlib import Path

TRACE: Final = "0af7651916cd43dd8448eb211c80319c"
CALLER: Final = "b7ad6b7169203331"
GRPC_TRACE: Final = "5b8efff798038103d269b633813fc60c"
GRPC_CALLER: Final = "eee19b7ec3c1b174"
FAST: Final = {"OTEL_BSP_SCHEDULE_DELAY": "100", "OTEL_METRIC_EXPORT_INTERVAL": "200"}
"""Send spans and metrics every few hundred milliseconds (a server sends as it goes)."""


def _named(spans: list[ReceivedSpan], name: str) -> ReceivedSpan:
    found = [s for s in spans if s.name == name]
    assert len(found) == 1, [s.name for s in spans]
    return found[0]


def _version_traced(address: str) -> None:
    """Call ``version`` over gRPC with a ``traceparent`` in the call's metadata."""
    with grpc.insecure_channel(address) as channel:
        OperationsStub(channel).Call(
            NamedOperationRequest(operation="version", request=OperationRequest()),
            metadata=(
                ("authorization", f"Bearer {TOKENS['admin'][0]}"),
                ("traceparent", f"00-{GRPC_TRACE}-{GRPC_CALLER}-01"),
            ),
            timeout=30,
        )


def _counter(exposition: str, name: str) -> float:
    """The value of the unlabelled counter ``name`` in a Prometheus text exposition."""
    found = re.search(rf"^{name} (\S+)$", exposition, re.MULTILINE)
    assert found is not None, exposition
    return float(found.group(1))


def test_requests_tasks_and_rpcs_are_traced_under_their_callers(tmp_path: Path) -> None:
    """REST and gRPC server spans continue the caller's trace; a task continues its request's."""
    repo = make_repo(tmp_path / "repo")
    with Collector() as collector:
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint, **FAST}
        with running(repo, tmp_path / "state", env=env) as server, client(server) as http:
            traced = {"traceparent": f"00-{TRACE}-{CALLER}-01"}
            plan = http.post("/v1/operations/cleanup_plan", json={}, headers=traced)
            assert plan.status_code == 200, plan.text
            started = http.post("/v1/operations/cleanup", json={"plan_id": plan.json()["plan_id"]})
            assert started.status_code == 202, started.text
            assert wait_done(http, started.json()["id"])["status"] == "succeeded"
            refused = http.post("/v1/operations/no_such_operation", json={})
            assert refused.status_code == 404
            assert server.grpc is not None
            _version_traced(server.grpc)
            collector.wait_for(lambda c: any(s.name == "cleanup delete" for s in c.spans))
            collector.wait_for(lambda c: any(s.name.endswith("Operations/Call") for s in c.spans))
            metrics = http.get("/metrics").text
        spans = collector.spans

    assert not [s for s in spans if s.name.startswith("hephaestus ")]  # no process-long span
    request = _named(spans, "POST /v1/operations/cleanup_plan")
    assert (request.trace_id, request.parent, request.kind) == (TRACE, CALLER, "server")
    assert request.attributes["http.route"] == "/v1/operations/cleanup_plan"
    assert request.attributes["http.response.status_code"] == 200
    assert not request.error
    (planned,) = [s for s in spans if s.name == "cleanup plan" and s.parent == request.span_id]
    assert planned.attributes["hephaestus.cleanup.candidates"] >= 1

    submitted = _named(spans, "POST /v1/operations/cleanup")
    assert submitted.parent is None  # no traceparent: a trace of its own
    assert submitted.attributes["http.response.status_code"] == 202
    task = _named(spans, "task cleanup")
    assert (task.trace_id, task.parent) == (submitted.trace_id, submitted.span_id)
    assert task.attributes["hephaestus.task_id"] == started.json()["id"]
    deleted = _named(spans, "cleanup delete")
    assert deleted.parent == task.span_id
    assert deleted.attributes["hephaestus.cleanup.removed"] >= 1
    assert deleted.attributes["hephaestus.cleanup.complete"] is True

    # A client's error is not the server's: the 404's span is not failed.
    missing = [s for s in spans if s.attributes.get("http.response.status_code") == 404]
    assert missing
    assert not any(s.error for s in missing)

    rpc = _named(spans, "hephaestus.v1.Operations/Call")
    assert (rpc.trace_id, rpc.parent, rpc.kind) == (GRPC_TRACE, GRPC_CALLER, "server")
    assert rpc.attributes["rpc.system"] == "grpc"
    assert rpc.attributes["rpc.grpc.status_code"] == 0

    removed = deleted.attributes["hephaestus.cleanup.removed"]
    assert _counter(metrics, "hephaestus_cleanup_removed_total") == removed
    freed = deleted.attributes["hephaestus.cleanup.bytes"]
    assert _counter(metrics, "hephaestus_cleanup_freed_bytes_total") == freed > 0


def test_metrics_show_the_operations_instruments_without_telemetry(tmp_path: Path) -> None:
    """With no OTEL_* variable set, /metrics still counts what the operations measure."""
    repo = make_repo(tmp_path / "repo")
    when = "2026-01-01T00:00:00Z"
    lines = "\n".join(
        json.dumps({"source": "ci", "kind": "coverage", "value": v, "unit": "%", "timestamp": when})
        for v in (80, 81)
    )
    with running(repo, tmp_path / "state", grpc=False) as server, client(server) as http:
        stored = http.post("/v1/analytics/events", content=f"{lines}\nnot json\n")
        assert stored.status_code == 200, stored.text
        metrics = http.get("/metrics").text
    assert 'hephaestus_ingest_events_total{hephaestus_ingest_result="accepted"} 2.0' in metrics
    assert 'hephaestus_ingest_events_total{hephaestus_ingest_result="rejected"} 1.0' in metrics
    assert "# TYPE hephaestus_gate_duration_seconds histogram" in metrics
