"""Start-up stays light: heavy packages are imported only by the commands that need them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

HEAVY = (
    "sigstore",
    "httpx",
    "fastapi",
    "starlette",
    "grpc",
    "google",  # protobuf
    "prometheus_client",
    "opentelemetry",
    "mcp",
    "mcp_types",
    "uvicorn",
    "plotly",  # the report extra: only `tools refactor report --html` draws with it
)
NOT_FOR_HELP = (*HEAVY, "pydantic_settings", "structlog")

PROBE = """
import json, sys
from hephaestus.cli import main
code = main({argv!r})
sys.stdout.flush()
print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)), file=sys.stderr)
"""


def _loaded(argv: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> set[str]:
    """Run ``hephaestus argv`` in a fresh interpreter; return the top-level modules it loaded."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv)],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("argv", [["--help"], []])
def test_help_imports_nothing_heavy(argv: list[str], tmp_path: Path) -> None:
    """`--help` loads no sigstore, httpx, server, otel, mcp, pydantic-settings or structlog."""
    loaded = _loaded(argv, tmp_path)
    assert not loaded & set(NOT_FOR_HELP), loaded & set(NOT_FOR_HELP)
    assert "pydantic" not in loaded
    assert "rich" not in loaded


def test_version_imports_nothing_heavy(tmp_path: Path) -> None:
    """`hephaestus version` loads none of sigstore, httpx, fastapi, grpc, opentelemetry, mcp."""
    loaded = _loaded(["version"], tmp_path)
    assert not loaded & set(HEAVY), loaded & set(HEAVY)
    assert "structlog" not in loaded
    assert "pydantic_settings" not in loaded


def test_help_imports_no_command_module(tmp_path: Path) -> None:
    """Listing commands imports none of their modules (the table holds their one-line help)."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import sys; from hephaestus.cli import main; main(['--help']); "
                "print([m for m in sys.modules if m.startswith('hephaestus.')], file=sys.stderr)"
            ),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    loaded = done.stderr.strip().splitlines()[-1]
    for command in ("version", "schema", "config"):
        assert f"hephaestus.cli.{command}'" not in loaded


def test_mcp_help_imports_no_mcp_sdk(tmp_path: Path) -> None:
    """`hephaestus mcp --help` describes the command without importing the MCP SDK."""
    loaded = _loaded(["mcp", "--help"], tmp_path)
    assert not loaded & {"mcp", "mcp_types", "uvicorn", "starlette", "anyio"}, loaded


@pytest.mark.parametrize("argv", [["serve", "--help"], ["serve-token", "--help"]])
def test_the_serve_commands_help_imports_no_server(argv: list[str], tmp_path: Path) -> None:
    """`serve --help` names its options without importing fastapi, uvicorn, grpc or prometheus."""
    loaded = _loaded(argv, tmp_path)
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_the_report_command_help_imports_no_plotly(tmp_path: Path) -> None:
    """`tools refactor report --help` lists --html without importing plotly (the extra)."""
    assert "plotly" not in _loaded(["tools", "refactor", "report", "--help"], tmp_path)


TELEMETRY_OFF = {
    "no OTEL_* variable": {},
    "OTEL_SDK_DISABLED": {
        "OTEL_SDK_DISABLED": "true",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
    },
    "exporters none": {
        "OTEL_TRACES_EXPORTER": "none",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_SERVICE_NAME": "ci",
    },
}


@pytest.mark.parametrize("env", TELEMETRY_OFF.values(), ids=TELEMETRY_OFF.keys())
@pytest.mark.parametrize("argv", [["--help"], ["version"]])
def test_telemetry_off_imports_no_opentelemetry(
    argv: list[str], env: dict[str, str], tmp_path: Path
) -> None:
    """Unless the OTEL_* variables ask for telemetry, nothing of opentelemetry is imported."""
    assert "opentelemetry" not in _loaded(argv, tmp_path, env)


def test_telemetry_on_imports_the_sdk(tmp_path: Path) -> None:
    """Asked for (here on the console), the SDK is loaded: the probe above sees imports."""
    assert "opentelemetry" in _loaded(["version"], tmp_path, {"OTEL_TRACES_EXPORTER": "console"})
