"""``hephaestus plan`` through the CLI."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.analytics.history import build_history

from hephaestus.cli.plan import parse_simulate
from hephaestus.core.errors import UsageError

if TYPE_CHECKING:
    from pathlib import Path

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


STRICT = re.compile(r"(coverage|complex-function|large-module)=([0-9]+(\.[0-9]+)?|\.[0-9]+)")


def _well_formed(pair: str) -> bool:
    """KEY=VALUE exactly: a known key, a plain decimal in the key's range."""
    match = STRICT.fullmatch(pair)
    if match is None:
        return False
    value = float(match.group(2))
    if match.group(1) == "coverage":
        return value <= 1
    return value >= 1 and value.is_integer()


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=24)
    | st.builds(
        lambda key, sep, value: key + sep + value,
        st.sampled_from(["coverage", "complex-function", "large-module", " coverage", "speed"]),
        st.sampled_from(["=", " = ", "==", ""]),
        st.sampled_from(["0.9", "1", "20", "2.5", ".5", " 0.9", "nan", "-1", "1e3", "½", "٣"]),
    )
)
def test_simulate_pairs_are_parsed_strictly(pair: str) -> None:
    """Whitespace, unknown keys, signs, exponents, non-ASCII digits, out of range: refused."""
    if _well_formed(pair):
        key, _, value = pair.partition("=")
        assert parse_simulate([pair]) == {key: float(value)}
        return
    with pytest.raises(UsageError) as caught:
        parse_simulate([pair])
    assert caught.value.message.startswith("--simulate ")


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (["coverage"], "expected KEY=VALUE"),
        (["speed=3"], "unknown key 'speed'"),
        ([" coverage=2"], "unknown key ' coverage'"),
        (["coverage=high"], "is not a number"),
        (["coverage=1.5"], "coverage is a fraction from 0 to 1, not 1.5"),
        (["large-module=0"], "large-module is a whole number from 1, not 0"),
        (["coverage=0.5", "coverage=0.9"], "coverage given twice"),
    ],
)
def test_bad_simulations_exit_2_naming_the_flag(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pairs: list[str], message: str
) -> None:
    """Each bad --simulate is one error line naming the flag and the problem, exit 2."""
    monkeypatch.chdir(tmp_path)
    outcome = cli("plan", *(f"--simulate={pair}" for pair in pairs))
    assert outcome.exit_code == 2, outcome
    first = outcome.stderr.splitlines()[0]
    assert first.startswith("error: --simulate ")
    assert message in first
