"""`cleanup` starts light: planning loads no server, network, settings or terminal machinery.

Its start-up is most of a dry run's time on a small tree (the plan is measured against `find`
by benchmarks/cleanup.py), so what it imports is checked here, in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

NOT_FOR_CLEANUP = (
    "sigstore",
    "httpx",
    "fastapi",
    "grpc",
    "opentelemetry",
    "mcp",
    "mcp_types",
    "uvicorn",
    "starlette",
    "anyio",
    "pydantic_settings",
    "structlog",
    "rich",
    "pathspec",
)
"""Top-level packages a dry run never needs (pathspec: only for --exclude patterns)."""

PROBE = """
import json, sys
from hephaestus.cli import main
code = main({argv!r})
sys.stdout.flush()
print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)), file=sys.stderr)
"""


def _loaded(argv: list[str], cwd: Path) -> set[str]:
    """Run ``hephaestus argv`` in a fresh interpreter; return the top-level modules it loaded.

    Without ``HEPHAESTUS_*`` variables (they would rightly load pydantic-settings to parse
    them), ``OTEL_*`` ones (OpenTelemetry when asked for) and ``FORCE_COLOR`` (rich).
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("HEPHAESTUS_", "OTEL_")) and name != "FORCE_COLOR"
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv)],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={**env, "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("output", [[], ["--format", "json"]])
def test_cleanup_dry_run_imports_nothing_heavy(output: list[str], tmp_path: Path) -> None:
    """A dry run (text or JSON) loads none of the servers, network, settings or rich packages."""
    (tmp_path / "pkg" / "__pycache__").mkdir(parents=True)
    (tmp_path / "pkg" / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"x")
    loaded = _loaded([*output, "cleanup", "--dry-run", str(tmp_path)], tmp_path)
    assert not loaded & set(NOT_FOR_CLEANUP), loaded & set(NOT_FOR_CLEANUP)


def test_cleanup_help_imports_nothing_heavy(tmp_path: Path) -> None:
    """`cleanup --help` describes the command without the heavy packages either."""
    loaded = _loaded(["cleanup", "--help"], tmp_path)
    assert not loaded & set(NOT_FOR_CLEANUP), loaded & set(NOT_FOR_CLEANUP)
