"""``hephaestus plan`` through the CLI."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.analytics.history import build_history

if TYPE_CHECKING:
    from pathlib import Path

    import pytest
    from tests.conftest import Cli


def test_plan_text_json_and_simulation(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Steps in text and JSON; --simulate shows the change; a bad key exits 2."""
    root = tmp_path / "repo"
    build_history(root)
    monkeypatch.chdir(root)
    text = cli("plan", "--since", "2000-01-01")
    assert text.exit_code == 0, text.stderr
    assert "raise coverage to 80%" in text.stdout
    out = cli("--format", "json", "plan", "--since", "2000-01-01", "--simulate", "coverage=0.9")
    document = json.loads(out.stdout)
    assert document["coverage_goal"] == 0.9
    assert document["simulation"]["settings"] == {"coverage": 0.9}
    assert {s["id"] for s in document["steps"]} == {
        "gates",
        "drift",
        "coverage",
        "split-functions",
        "split-modules",
    }
    bad = cli("plan", "--simulate", "speed=2")
    assert bad.exit_code == 2
    assert "hint: keys: coverage, complex-function, large-module" in bad.stderr
