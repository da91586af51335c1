"""Hostile inputs through the CLI: one-line errors with their codes, safe text, never exit 70."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest
from tests.analytics.history import build_history, commit, write

from hephaestus.core.errors import ExitCode

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Cli

COMMANDS = [
    ["tools", "refactor", "hotspots"],
    ["tools", "refactor", "rankings"],
    ["tools", "refactor", "opportunities"],
    ["tools", "refactor", "coupling"],
    ["tools", "qa", "coverage"],
    ["plan"],
    ["config"],
    ["cleanup"],
    ["guard-rails"],
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The known history, built once for this module."""
    root = tmp_path_factory.mktemp("hostile") / "repo"
    build_history(root)
    return root


@pytest.fixture
def here(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy as the current directory."""
    root = tmp_path / "repo"
    shutil.copytree(built, root)
    monkeypatch.chdir(root)
    return root


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_pyproject_that_is_not_utf8_is_one_line_exit_2(
    cli: Cli, here: Path, command: list[str]
) -> None:
    """Every command reading the configuration names the file in one line (it was exit 70)."""
    (here / "pyproject.toml").write_bytes(b'[tool.hephaestus]\nlog-level = "caf\xe9"\n')
    outcome = cli(*command)
    assert outcome.exit_code == ExitCode.USAGE, outcome
    first = outcome.stderr.splitlines()[0]
    assert first.startswith("error: ")
    assert "pyproject.toml: not UTF-8" in first


@pytest.mark.parametrize("since", ["2100 years", "1" + "0" * 5000 + " days", "90000 months"])
@pytest.mark.usefixtures("here")
def test_a_since_no_calendar_holds_is_exit_2_and_stores_nothing(cli: Cli, since: str) -> None:
    """``--since "2100 years"`` is a one-line usage error; a later run still sees the history."""
    outcome = cli("tools", "refactor", "hotspots", "--since", since)
    assert outcome.exit_code == ExitCode.USAGE, outcome
    assert len(outcome.stderr.splitlines()) == 2  # error and hint
    for command in (["hotspots"], ["coupling", "--min-revs", "1"], ["opportunities"]):
        later = cli("--format", "json", "tools", "refactor", *command, "--since", "2000-01-01")
        assert later.exit_code == 0, later
        assert json.loads(later.stdout)["window"]["commits"] == 5


def test_ingest_keeps_the_good_lines_of_a_hostile_file(cli: Cli, here: Path) -> None:
    """BOM, raw U+2028, a line nested 100k deep and a 5,000-digit number: bad lines numbered."""
    good = {"source": "ci", "kind": "k", "value": 1, "unit": "s\u2028x",
            "timestamp": "2024-01-06T00:00:00Z"}  # fmt: skip
    lines = [
        json.dumps(good, ensure_ascii=False),
        "[" * 100_000 + "]" * 100_000,
        json.dumps(good).replace('"value": 1', '"value": ' + "9" * 5000),
        json.dumps({**good, "kind": "k\x85\u2029"}, ensure_ascii=False),
    ]
    (here / "events.ndjson").write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\n")
    outcome = cli("--format", "json", "tools", "analytics", "ingest", "events.ndjson")
    assert outcome.exit_code == ExitCode.FINDINGS, outcome
    report = json.loads(outcome.stdout)
    assert report["accepted"] == 2
    assert [r["line"] for r in report["rejected"]] == [2, 3]


def test_text_output_escapes_names_that_hold_commands(cli: Cli, here: Path) -> None:
    """A file named with a newline and ``::add-mask::`` is shown escaped, starting no line."""
    name = "bad\n::add-mask::X.py"
    write(here, name, "def broken(:\n")
    commit(here, "dave", 6, "a hostile name")
    outcome = cli("tools", "refactor", "hotspots", "--since", "2000-01-01")
    assert outcome.exit_code == 0, outcome
    assert "bad\\n::add-mask::X.py" in outcome.stdout
    assert not [line for line in outcome.stdout.splitlines() if line.lstrip().startswith("::")]


def test_a_shallow_clone_says_what_is_missing(
    cli: Cli, built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``git clone --depth 1``: the text report names the cut history and the unshallow hint."""
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{built}", str(clone)], check=True
    )
    monkeypatch.chdir(clone)
    outcome = cli("tools", "refactor", "hotspots", "--since", "2000-01-01")
    assert outcome.exit_code == 0, outcome
    assert "missing history: shallow clone" in outcome.stdout
    assert "git fetch --unshallow" in outcome.stdout
