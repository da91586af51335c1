"""`hephaestus.core.telemetry`: off by default; on, the real SDK against a real OTLP receiver."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import TYPE_CHECKING

import httpx
import pytest
from tests.otlp import Collector, GrpcCollector, ReceivedSpan, Silent, closed_port

import hephaestus.core
from hephaestus.core import telemetry
from hephaestus.core.ci import ci_attributes
from hephaestus.core.errors import ToolTimeoutError
from hephaestus.core.events import Event
from hephaestus.core.http import create_client
from hephaestus.core.http_spans import safe_url
from hephaestus.core.instruments import GATE_DURATION, GATE_RESULTS
from hephaestus.core.logging import REDACTED, LogSettings, configure, get_logger
from hephaestus.core.proc import run
from hephaestus.core.streams import RecordStream

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PARENT_TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT_SPAN = "b7ad6b7169203331"
TRACEPARENT = f"00-{PARENT_TRACE}-{PARENT_SPAN}-01"
PRINT_CONTEXT = (
    "import os; print(os.environ.get('TRACEPARENT'), os.environ.get('HEPHAESTUS_RUN_ID'))"
)


@pytest.fixture(autouse=True)
def _off_afterwards() -> Iterator[None]:
    """Whatever a test leaves on is shut down: the next one starts from nothing."""
    yield
    telemetry.shutdown()


@pytest.fixture
def collector(monkeypatch: pytest.MonkeyPatch) -> Iterator[Collector]:
    """A receiving collector that the OTEL_* variables name; telemetry is shut down after."""
    with Collector() as running:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", running.endpoint)
        yield running
        telemetry.shutdown()


def _sent(collector: Collector, count: int) -> list[ReceivedSpan]:
    """Shut telemetry down; return the spans sent, once ``count`` have arrived."""
    telemetry.shutdown()
    collector.wait_for(lambda c: len(c.spans) >= count)
    return collector.spans


def test_nothing_is_asked_for_without_otel_variables() -> None:
    """No variable, or OTEL_SDK_DISABLED=true, asks for nothing; an endpoint asks for OTLP."""
    assert telemetry.requested({}) is None
    assert telemetry.requested({"OTEL_SERVICE_NAME": "x"}) is None
    disabled = {"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://h:4318"}
    assert telemetry.requested(disabled) is None
    wanted = telemetry.requested({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://h:4318"})
    assert wanted == telemetry.Requested(traces=("otlp",), metrics=("otlp",), logs=())


def test_each_signal_follows_its_own_variables() -> None:
    """`none` turns a signal off, a signal's endpoint turns it on, unknown exporters are named."""
    only_metrics = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://h", "OTEL_TRACES_EXPORTER": "none"}
    assert telemetry.requested(only_metrics) == telemetry.Requested((), ("otlp",), ())
    only_traces = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://h/v1/traces"}
    assert telemetry.requested(only_traces) == telemetry.Requested(("otlp",), (), ())
    named = telemetry.requested({"OTEL_TRACES_EXPORTER": "console, zipkin"})
    assert named == telemetry.Requested(("console",), (), (), ignored=("zipkin",))


def test_off_everything_is_a_no_op() -> None:
    """With no OTEL_* variable nothing starts, and every call returns at once with nothing."""
    assert telemetry.start() is False
    assert not telemetry.active()
    with telemetry.span("x", attributes={"a": 1}) as span:
        assert span is telemetry.NO_SPAN
        assert telemetry.child_environment() == {}
    assert telemetry.open_span("y") is telemetry.NO_SPAN
    assert telemetry.extract_from({"traceparent": TRACEPARENT}) is None
    telemetry.record(GATE_RESULTS, 1, {"hephaestus.gate.name": "x"})
    telemetry.shutdown()


def test_spans_nest_and_reach_the_collector(collector: Collector) -> None:
    """A span inside another is its child; both arrive with the service's resource."""
    assert telemetry.start()
    with telemetry.span("outer", attributes={"hephaestus.command": "x"}) as outer:
        outer.rename("outer renamed")
        with telemetry.span("inner", kind="client") as inner:
            inner.set_attributes({"process.exit.code": 3})
    spans = {s.name: s for s in _sent(collector, 2)}
    assert spans["inner"].parent == spans["outer renamed"].span_id
    assert spans["inner"].kind == "client"
    assert spans["inner"].attributes["process.exit.code"] == 3
    assert spans["outer renamed"].parent is None
    assert spans["outer renamed"].resource["service.name"] == "hephaestus"
    assert "service.version" in spans["outer renamed"].resource


def test_the_service_name_and_resource_come_from_the_variables(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the defaults."""
    monkeypatch.setenv("OTEL_SERVICE_NAME", "ci-quality")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=ci,team=qa")
    assert telemetry.start()
    with telemetry.span("one"):
        pass
    (span,) = _sent(collector, 1)
    assert span.resource["service.name"] == "ci-quality"
    assert span.resource["team"] == "qa"


def test_traceparent_from_the_environment_is_the_first_spans_parent(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TRACEPARENT continues the trace; BAGGAGE and the run id go on to children."""
    monkeypatch.setenv("TRACEPARENT", TRACEPARENT)
    monkeypatch.setenv("BAGGAGE", "team=qa")
    configure(LogSettings(run_id="run-42"))
    assert telemetry.start()
    with telemetry.span("root"):
        carried = telemetry.child_environment()
    (root,) = _sent(collector, 1)
    assert (root.trace_id, root.parent) == (PARENT_TRACE, PARENT_SPAN)
    assert carried["TRACEPARENT"].split("-")[1:3] == [PARENT_TRACE, root.span_id]
    assert carried["BAGGAGE"] == "team=qa"
    assert carried["HEPHAESTUS_RUN_ID"] == "run-42"


@pytest.mark.parametrize(
    "carrier",
    [{"TraceParent": TRACEPARENT}, [("traceparent", TRACEPARENT), ("x-other", "1")]],
    ids=["headers", "grpc-metadata"],
)
def test_a_server_continues_the_callers_trace(
    collector: Collector, carrier: dict[str, str] | list[tuple[str, str]]
) -> None:
    """extract_from reads headers (any case) or metadata pairs: the request's span continues."""
    assert telemetry.start()
    with telemetry.span("GET /v1/tasks", kind="server", parent=telemetry.extract_from(carrier)):
        pass
    (span,) = _sent(collector, 1)
    assert (span.trace_id, span.parent, span.kind) == (PARENT_TRACE, PARENT_SPAN, "server")


def test_an_error_leaving_a_span_marks_it_failed(collector: Collector) -> None:
    """The error goes on; the span has an error status and the error's code as error.type."""
    assert telemetry.start()
    with (
        pytest.raises(ToolTimeoutError),
        telemetry.span("slow"),
    ):
        raise ToolTimeoutError("'x' did not finish", hint="wait")
    (span,) = _sent(collector, 1)
    assert span.error
    assert span.attributes["error.type"] == "tool-timeout"


def test_a_child_process_continues_the_trace_under_its_process_span(collector: Collector) -> None:
    """proc.run's child gets TRACEPARENT naming its process span; no argument is recorded."""
    configure(LogSettings(run_id="run-7"))
    assert telemetry.start()
    with telemetry.span("parent"):
        done = run([sys.executable, "-c", PRINT_CONTEXT, "--token", "s3cret"], timeout=60)
    spans = _sent(collector, 2)
    process = next(s for s in spans if s.kind == "client")
    traceparent, run_id = done.stdout.split()
    assert traceparent.split("-")[1:3] == [process.trace_id, process.span_id]
    assert run_id == "run-7"
    assert process.name == os.path.basename(sys.executable)  # noqa: PTH119  # a str path
    assert process.attributes["process.exit.code"] == 0
    assert process.attributes["process.pid"] > 0
    assert "s3cret" not in json.dumps(process.attributes)
    assert process.parent == next(s for s in spans if s.name == "parent").span_id


def test_a_streamed_process_is_a_span_and_continues_the_trace(
    collector: Collector, tmp_path: Path
) -> None:
    """A RecordStream's process is a span from its start to its close, its child under it."""
    assert telemetry.start()
    with RecordStream(
        [sys.executable, "-c", PRINT_CONTEXT], cwd=tmp_path, timeout=60, separator=b"\n"
    ) as stream:
        (line,) = list(stream)
    (span,) = _sent(collector, 1)
    assert line.split()[0].split("-")[2] == span.span_id
    assert span.attributes["process.exit.code"] == 0


def test_a_failing_process_is_a_failed_span(collector: Collector) -> None:
    """A non-zero exit is data for the caller, and an error for the span (CLI conventions)."""
    assert telemetry.start()
    result = run([sys.executable, "-c", "raise SystemExit(3)"], timeout=60)
    assert result.returncode == 3
    (span,) = _sent(collector, 1)
    assert span.error
    assert span.attributes["error.type"] == "3"


def test_an_http_request_is_a_span_without_secrets(collector: Collector) -> None:
    """Each request is a client span; the URL keeps no credentials nor secret query values."""
    assert telemetry.start()
    with create_client(timeout=10) as client:
        base = collector.endpoint.replace("http://", "http://user:pw@")
        response = client.get(f"{base}/v1/nothing?X-Amz-Signature=abc&page=2")
    assert response.status_code == 501  # the receiver takes POST only
    (span,) = _sent(collector, 1)
    assert span.name == "GET"
    assert span.attributes["http.response.status_code"] == 501
    assert span.attributes["url.full"] == (
        f"{collector.endpoint}/v1/nothing?X-Amz-Signature=%5BREDACTED%5D&page=2"
    )
    assert span.error


def test_safe_url_removes_credentials_and_tokens() -> None:
    """User information goes; secret-looking parameters and known tokens are redacted."""
    url = httpx.URL("https://u:p@h.example/a?sig=1&per_page=100&q=ghp_abcdefghijklmnop")
    assert safe_url(url) == "https://h.example/a?sig=%5BREDACTED%5D&per_page=100&q=[REDACTED]"


def test_metrics_arrive_with_their_names_and_attributes(collector: Collector) -> None:
    """Counters and histograms are pushed at shutdown with their attributes and units."""
    assert telemetry.start()
    gate = {"hephaestus.gate.name": "ruff-check", "hephaestus.gate.status": "passed"}
    telemetry.record(GATE_RESULTS, 1, gate)
    telemetry.record(GATE_RESULTS, 1, gate)
    telemetry.record(GATE_DURATION, 1.5, gate)
    telemetry.shutdown()
    collector.wait_for(lambda c: len(c.points) >= 2)
    points = {p.metric: p for p in collector.points}
    assert points["hephaestus.gate.results"].value == 2
    assert points["hephaestus.gate.results"].attributes == gate
    assert (points["hephaestus.gate.duration"].value, points["hephaestus.gate.duration"].unit) == (
        1.5,
        "s",
    )


def test_a_ratio_of_zero_samples_nothing_but_still_propagates(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OTEL_TRACES_SAMPLER=traceidratio with 0: no span is sent; children learn it is unsampled."""
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0")
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "none")
    assert telemetry.start()
    with telemetry.span("unsampled"):
        carried = telemetry.child_environment()
    telemetry.shutdown()
    assert int(carried["TRACEPARENT"].rsplit("-", 1)[1], 16) & 1 == 0
    assert collector.spans == []


def test_log_events_carry_the_current_trace(
    collector: Collector, capsys: pytest.CaptureFixture[str]
) -> None:
    """Inside a span every log event names its trace_id and span_id."""
    configure(LogSettings(level="debug", format="json"))
    assert telemetry.start()
    with telemetry.span("logged"):
        get_logger(__name__).info(Event.COMMAND_STARTED, command="x")
    (span,) = _sent(collector, 1)
    event = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert (event["trace_id"], event["span_id"]) == (span.trace_id, span.span_id)


@pytest.mark.parametrize("server", ["closed", "silent"])
def test_an_unreachable_collector_costs_one_warning(
    server: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A refused or silent collector: shutdown returns promptly and warns once, with counts."""
    with Silent() as silent:
        endpoint = closed_port() if server == "closed" else silent.endpoint
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        assert telemetry.start()
        with telemetry.span("lost"):
            telemetry.record(GATE_RESULTS, 1, {"hephaestus.gate.name": "x"})
        started = time.monotonic()
        telemetry.shutdown()
        waited = time.monotonic() - started
    assert waited < 5  # the SDK's own defaults wait 10 s and more (the figure: benchmarks/)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "telemetry.dropped" in lines[0]
    assert "spans=1" in lines[0]
    assert "metric_points=1" in lines[0]


def test_the_console_exporter_writes_to_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The console exporter prints spans on stderr: stdout carries data only."""
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    assert telemetry.start()
    with telemetry.span("printed"):
        pass
    telemetry.shutdown()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert '"name": "printed"' in captured.err


def test_without_the_sdk_telemetry_stays_off_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Asked for without the otel extra, it says to install it and the command goes on."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", closed_port())
    monkeypatch.setitem(sys.modules, "hephaestus.core.otel", None)  # an import then fails
    monkeypatch.delattr(hephaestus.core, "otel", raising=False)
    assert telemetry.start() is False
    assert "hephaestus-toolkit[otel]" in capsys.readouterr().err


def test_ci_attributes_follow_the_semantic_conventions() -> None:
    """GitHub Actions and GitLab CI runs become cicd.pipeline.* attributes; elsewhere none."""
    github = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKFLOW": "CI",
        "GITHUB_RUN_ID": "42",
        "GITHUB_RUN_ATTEMPT": "2",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_JOB": "quality",
        "GITHUB_SHA": "abc",
    }
    assert ci_attributes(github) == {
        "cicd.pipeline.name": "CI",
        "cicd.pipeline.run.id": "42",
        "cicd.pipeline.run.url.full": "https://github.com/o/r/actions/runs/42/attempts/2",
        "cicd.pipeline.task.name": "quality",
        "vcs.repository.url.full": "https://github.com/o/r",
        "vcs.ref.head.revision": "abc",
    }
    gitlab = {"GITLAB_CI": "true", "CI_PIPELINE_ID": "7", "CI_JOB_NAME": "lint"}
    assert ci_attributes(gitlab) == {"cicd.pipeline.run.id": "7", "cicd.pipeline.task.name": "lint"}
    assert ci_attributes({"GITHUB_RUN_ID": "42"}) == {}


def test_otlp_over_grpc_carries_both_signals(monkeypatch: pytest.MonkeyPatch) -> None:
    """OTEL_EXPORTER_OTLP_PROTOCOL=grpc sends spans and metrics to a gRPC collector."""
    with GrpcCollector() as collector:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        assert telemetry.start()
        with telemetry.span("over grpc"):
            telemetry.record(GATE_RESULTS, 1, {"hephaestus.gate.name": "x"})
        telemetry.shutdown()
        collector.wait_for(lambda c: bool(c.spans and c.points))
        assert [s.name for s in collector.spans] == ["over grpc"]
        assert [p.metric for p in collector.points] == ["hephaestus.gate.results"]


def test_a_silent_grpc_collector_costs_one_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Over gRPC too, a collector that never answers is abandoned and named once."""
    with Silent() as silent:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", silent.endpoint)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        assert telemetry.start()
        with telemetry.span("lost"):
            pass
        telemetry.shutdown()
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert "telemetry.dropped" in line
    assert "spans=1" in line


def test_log_events_are_exported_when_asked_for(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OTEL_LOGS_EXPORTER=otlp: each event is a log record in its span, redacted as on stderr."""
    monkeypatch.setenv("OTEL_LOGS_EXPORTER", "otlp")
    configure(LogSettings(level="info", run_id="run-3"))
    assert telemetry.start()
    with telemetry.span("logged"):
        fake = "ghp_" + "abcdefghij1234"  # a token's shape, to see it redacted
        get_logger(__name__).warning(Event.GATE_CRASHED, gate="x", token=fake)
    telemetry.shutdown()
    collector.wait_for(lambda c: bool(c.logs and c.spans))
    (record,) = collector.logs
    (span,) = collector.spans
    assert (record.event, record.severity) == ("gate.crashed", 13)
    assert (record.trace_id, record.span_id) == (span.trace_id, span.span_id)
    assert record.attributes["gate"] == "x"
    assert record.attributes["token"] == REDACTED
    assert record.attributes["run_id"] == "run-3"


def test_log_events_stay_local_unless_asked_for(collector: Collector) -> None:
    """An endpoint alone sends traces and metrics, never log records."""
    configure(LogSettings(level="info"))
    assert telemetry.start()
    get_logger(__name__).warning(Event.GATE_CRASHED, gate="x")
    telemetry.shutdown()
    assert "/v1/logs" not in collector.requests


def test_headers_and_compression_follow_the_variables(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OTEL_EXPORTER_OTLP_HEADERS are sent (URL-decoded); gzip compresses the body."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=k%201,x-team=qa")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip")
    assert telemetry.start()
    with telemetry.span("compressed"):
        pass
    (span,) = _sent(collector, 1)
    (headers,) = collector.headers
    assert (headers["x-api-key"], headers["x-team"]) == ("k 1", "qa")
    assert headers["content-encoding"] == "gzip"
    assert headers["content-type"] == "application/x-protobuf"
    assert span.name == "compressed"


def test_a_collector_refusing_the_export_is_named_in_the_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An error status drops what was sent, and the warning says which status."""
    with Collector(status=503) as refusing:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", refusing.endpoint)
        assert telemetry.start()
        with telemetry.span("refused"):
            pass
        telemetry.shutdown()
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert "spans=1" in line
    assert "HTTP 503" in line


def test_console_metrics_and_logs_go_to_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The console exporters print OTLP JSON on stderr, nothing on stdout."""
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "console")
    monkeypatch.setenv("OTEL_LOGS_EXPORTER", "console")
    configure(LogSettings(level="error"))
    assert telemetry.start()
    telemetry.record(GATE_RESULTS, 1, {"hephaestus.gate.name": "x"})
    get_logger(__name__).error(Event.GATE_CRASHED, gate="x")
    telemetry.shutdown()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert '"name": "hephaestus.gate.results"' in captured.err
    assert '"eventName": "gate.crashed"' in captured.err
