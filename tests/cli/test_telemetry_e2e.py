"""Tracing end to end: the installed hephaestus, real gates, and an OTLP receiver on 127.0.0.1.

The receiver decodes the protobuf the exporters send (tests/otlp.py). A guard-rails run on a
repository whose own environment holds ruff and pytest must arrive as one trace, continued from
the TRACEPARENT it was given: command → gates → their processes, and the test that pytest
runs sees a TRACEPARENT whose parent is pytest's process span.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from tests.gates.seeded import build
from tests.otlp import Collector, ReceivedSpan, Silent, by_id, closed_port
from tests.venvs import make_venv

from hephaestus.core.errors import ExitCode

if TYPE_CHECKING:
    from collections.abc import Mapping

HEPHAESTUS = str(Path(sys.executable).parent / "hephaestus")
PARENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{PARENT_TRACE}-{PARENT_SPAN}-01"
SEES_THE_TRACE = """\
import os
from pathlib import Path


def test_sees_the_trace():
    Path(os.environ["TRACE_FILE"]).write_text(os.environ.get("TRACEPARENT", "none"))
"""
GITHUB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_WORKFLOW": "Quality",
    "GITHUB_RUN_ID": "4242",
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/traced",
    "GITHUB_JOB": "guard-rails",
    "GITHUB_SHA": "0123abcd",
}


@pytest.fixture
def traced_repo(tmp_path: Path) -> Path:
    """A repository checked by ruff and pytest, whose one test writes the TRACEPARENT it sees."""
    root = build(
        tmp_path / "repo",
        {
            ".gitignore": ".venv/\n",
            "pyproject.toml": '[project]\nname = "traced"\nversion = "0"\n'
            '[dependency-groups]\ndev = ["pytest", "ruff"]\n[tool.ruff]\nline-length = 100\n',
            "tests/test_trace.py": SEES_THE_TRACE,
        },
    )
    make_venv(root / ".venv", tools=("pytest", "ruff"))
    return root


def _hephaestus(*args: str, cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the installed hephaestus as a user's shell would (its own venv active)."""
    return subprocess.run(
        [HEPHAESTUS, *args],
        cwd=cwd,
        env={**os.environ, "VIRTUAL_ENV": sys.prefix, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _children(spans: list[ReceivedSpan], parent: ReceivedSpan) -> list[ReceivedSpan]:
    return [s for s in spans if s.parent == parent.span_id]


def test_a_guard_rails_run_is_one_trace_from_the_ci_job_to_each_process(
    traced_repo: Path, tmp_path: Path
) -> None:
    """One trace: command → gates → processes, under the given TRACEPARENT, with attributes."""
    trace_file = tmp_path / "traceparent.txt"
    with Collector() as collector:
        done = _hephaestus(
            "--format", "json", "guard-rails", "--gate", "ruff-check", "--gate", "pytest",
            "--no-cache",
            cwd=traced_repo,
            env={
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
                "TRACEPARENT": TRACEPARENT,
                "TRACE_FILE": str(trace_file),
                **GITHUB,
            },
        )  # fmt: skip
        assert done.returncode == ExitCode.OK, done.stderr
        assert "telemetry" not in done.stderr
        collector.wait_for(lambda c: any(s.name == "hephaestus guard-rails" for s in c.spans))
        collector.wait_for(lambda c: any(p.metric == "hephaestus.gate.results" for p in c.points))
        spans, points = collector.spans, collector.points

    (root,) = [s for s in spans if s.name == "hephaestus guard-rails"]
    assert {s.trace_id for s in spans} == {PARENT_TRACE}
    assert root.parent == PARENT_SPAN
    assert root.attributes["hephaestus.command"] == "guard-rails"
    assert root.attributes["process.exit.code"] == 0
    assert root.attributes["cicd.pipeline.name"] == "Quality"
    assert root.attributes["cicd.pipeline.run.id"] == "4242"
    gates = {s.name: s for s in _children(spans, root) if s.name.startswith("gate ")}
    assert set(gates) == {"gate ruff-check", "gate pytest"}
    for name, gate in gates.items():
        assert gate.attributes["hephaestus.gate.name"] == name.removeprefix("gate ")
        assert gate.attributes["hephaestus.gate.status"] == "passed"
        assert gate.attributes["hephaestus.gate.cached"] is False
        assert gate.attributes["hephaestus.gate.findings.error"] == 0
        assert gate.attributes["hephaestus.gate.tool.version"]
        assert gate.attributes["hephaestus.gate.duration"] > 0
    assert gates["gate ruff-check"].attributes["hephaestus.gate.tool.name"] == "ruff"
    ruff = [s for s in _children(spans, gates["gate ruff-check"]) if s.kind == "client"]
    assert "ruff" in {s.attributes["process.executable.name"] for s in ruff}
    assert all(s.attributes["process.exit.code"] == 0 for s in ruff)

    # The test pytest ran saw a TRACEPARENT whose parent is pytest's process span.
    _, trace_id, parent_id, _ = trace_file.read_text().split("-")
    pytest_process = by_id(spans)[parent_id]
    assert trace_id == PARENT_TRACE
    assert pytest_process.parent == gates["gate pytest"].span_id
    assert pytest_process.kind == "client"
    assert pytest_process.name == pytest_process.attributes["process.executable.name"] == "pytest"
    assert "--junitxml" not in str(pytest_process.attributes)  # argv[0] only, never arguments

    results = {
        (p.attributes["hephaestus.gate.name"], p.attributes["hephaestus.gate.status"]): p.value
        for p in points
        if p.metric == "hephaestus.gate.results"
    }
    assert results[("ruff-check", "passed")] == 1
    assert results[("pytest", "passed")] == 1
    durations = {
        p.attributes["hephaestus.gate.name"] for p in points if p.metric.endswith("duration")
    }
    assert durations == {"ruff-check", "pytest"}


@pytest.mark.parametrize(("ratio", "sent"), [("0", False), ("1", True)])
def test_the_sampler_variables_decide_what_is_sent(tmp_path: Path, ratio: str, sent: bool) -> None:
    """OTEL_TRACES_SAMPLER=traceidratio: with 0 no span leaves the process, with 1 all do."""
    with Collector() as collector:
        done = _hephaestus(
            "version",
            cwd=tmp_path,
            env={
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
                "OTEL_METRICS_EXPORTER": "none",
                "OTEL_TRACES_SAMPLER": "traceidratio",
                "OTEL_TRACES_SAMPLER_ARG": ratio,
            },
        )
        assert done.returncode == ExitCode.OK, done.stderr
        names = [s.name for s in collector.spans]
    assert names == (["hephaestus version"] if sent else [])


@pytest.mark.parametrize("collector", ["closed port", "never answers"])
@pytest.mark.parametrize(
    ("args", "code"), [(("version",), ExitCode.OK), (("version", "--nope"), ExitCode.USAGE)]
)
def test_an_unreachable_collector_changes_no_exit_code(
    tmp_path: Path, collector: str, args: tuple[str, ...], code: int
) -> None:
    """The exit code is the command's; what could not be sent is one warning with its count."""
    with Silent() as silent:
        endpoint = closed_port() if collector == "closed port" else silent.endpoint
        done = _hephaestus(*args, cwd=tmp_path, env={"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})
    assert done.returncode == code
    warnings = [line for line in done.stderr.splitlines() if "telemetry" in line]
    assert len(warnings) == 1, done.stderr
    assert "telemetry.dropped" in warnings[0]
    assert "spans=1" in warnings[0]


def test_a_cleanup_is_traced_and_counted(tmp_path: Path) -> None:
    """`cleanup --yes`: plan and delete spans under the command, with counts and bytes freed."""
    root = build(
        tmp_path / "repo",
        {".gitignore": "__pycache__/\n", "pkg/__init__.py": "", "pyproject.toml": ""},
    )
    caches = [root / "pkg" / "__pycache__", root / "__pycache__"]
    for number, cache in enumerate(caches):
        cache.mkdir()
        (cache / "m.cpython-311.pyc").write_bytes(b"\0" * (100 + number))
    with Collector() as collector:
        done = _hephaestus("--format", "json", "cleanup", "--yes", cwd=root,
                           env={"OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint})  # fmt: skip
        assert done.returncode == ExitCode.OK, done.stderr
        collector.wait_for(lambda c: any(s.name == "hephaestus cleanup" for s in c.spans))
        collector.wait_for(lambda c: any(p.metric.startswith("hephaestus.cle") for p in c.points))
        spans, points = collector.spans, collector.points
    (command,) = [s for s in spans if s.name == "hephaestus cleanup"]
    phases = {s.name: s for s in _children(spans, command)}
    assert {"cleanup plan", "cleanup delete"} <= set(phases)
    report = json.loads(done.stdout)
    freed = sum(removal["size"] for removal in report["removed"])
    assert len(report["removed"]) == 2
    assert phases["cleanup plan"].attributes["hephaestus.cleanup.candidates"] == 2
    assert phases["cleanup delete"].attributes["hephaestus.cleanup.removed"] == 2
    assert phases["cleanup delete"].attributes["hephaestus.cleanup.bytes"] == freed
    measured = {p.metric: p.value for p in points}
    assert measured["hephaestus.cleanup.removed"] == 2
    assert measured["hephaestus.cleanup.freed"] == freed
