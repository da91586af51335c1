"""The release tests' fixtures (defined in tests/release/fixtures.py, shared with tests/cli)."""

from __future__ import annotations

from tests.release.fixtures import (  # noqa: F401  # fixtures are found by name
    pip_only,
    fresh_venv,
    standin,
    tiny_wheels,
    wheelhouse_tar,
)
