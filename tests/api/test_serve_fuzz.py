"""schemathesis against the served OpenAPI document: no 500, no response outside the schema.

The real server runs as a subprocess with tokens; schemathesis' own CLI generates requests for
every route (examples, boundary coverage, random fuzzing and stateful sequences, a bounded
number each, seed fixed so that a failure reproduces) and checks every answer: not a server
error, a documented status, the documented media type, headers and body schema, and 405 with
``Allow`` for an undeclared method. Deeper runs: ``scripts/fuzz_api.py --examples 200``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Final

from tests.api.servers import TOKENS, make_repo, running

CHECKS: Final = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance,response_headers_conformance,unsupported_method"
)
"""Every check about the server's answers (not ``positive_data_acceptance``: a schema-valid
request may still be refused, e.g. a root outside the server's)."""
SKIPPED: Final = "/v1/analytics/events"
"""NDJSON bodies: schemathesis has no serializer for them (tests/api/test_serve_rest.py)."""


def schemathesis(
    url: str, *, examples: int, seed: int, token: str, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run ``st run`` against ``url``'s OpenAPI document, in ``cwd`` (it writes a cache there)."""
    st = Path(sys.executable).parent / "st"
    return subprocess.run(
        [
            str(st),
            "run",
            f"{url}/openapi.json",
            "--checks",
            CHECKS,
            "--max-examples",
            str(examples),
            "--seed",
            str(seed),
            "--exclude-path",
            SKIPPED,
            "-H",
            f"Authorization: Bearer {token}",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
        cwd=cwd,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
    )


def test_no_response_is_a_server_error_or_outside_the_schema(tmp_path: Path) -> None:
    """Every route, fuzzed with an admin token: zero 500s, zero schema violations."""
    repo = make_repo(tmp_path / "repo")
    with running(repo, tmp_path / "state", grpc=False) as server:
        result = schemathesis(
            server.url, examples=8, seed=1, token=TOKENS["admin"][0], cwd=tmp_path
        )
    assert result.returncode == 0, result.stdout[-6000:]
