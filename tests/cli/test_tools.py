"""``hephaestus tools …`` through the CLI: text, JSON, exit codes, errors as one line."""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING

import pytest
from tests.analytics.history import build_history
from tests.gitrepo import git

from hephaestus.cli.schema import generate

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Cli

CONFIG = """
[tool.hephaestus.analytics]
since = "2000-01-01"
large-commit = 3

[tool.hephaestus.analytics.profiles.release]
coverage-goal = 0.9
gates = ["ruff-check", "mypy"]
strictness = "strict"
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The known history, built once for this module."""
    root = tmp_path_factory.mktemp("cli") / "repo"
    build_history(root)
    return root


@pytest.fixture
def here(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy as the current directory, with an untracked pyproject.toml."""
    root = tmp_path / "repo"
    shutil.copytree(built, root)
    (root / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def test_hotspots_text_and_json(cli: Cli, here: Path) -> None:
    """Text shows the table; JSON is one document with the same rows and a snapshot id."""
    text = cli("tools", "refactor", "hotspots")
    assert text.exit_code == 0, text.stderr
    assert "pkg/core.py" in text.stdout
    out = cli("--format", "json", "tools", "refactor", "hotspots", "--trend", "--limit", "2")
    document = json.loads(out.stdout)
    assert [r["path"] for r in document["rows"]] == ["pkg/core.py", "pkg/util.py"]
    assert document["snapshot"] == 2
    assert document["previous_snapshot"] == 1
    assert document["rows"][0]["trend"] == 0.0
    listing = json.loads(cli("--format", "json", "tools", "analytics", "snapshots").stdout)
    assert [s["id"] for s in listing["snapshots"]] == [2, 1]
    assert (here / ".hephaestus" / "analytics.db").is_file()


def test_rankings_without_coverage_say_so(cli: Cli, here: Path) -> None:
    """No coverage data: rows name the missing factor and the hint is printed."""
    out = cli("tools", "refactor", "rankings", "--strategy", "composite", "--no-store")
    assert out.exit_code == 0, out.stderr
    assert "missing: coverage" in out.stdout
    assert "hint: run pytest --cov first, or pass --coverage FILE" in out.stdout
    assert not (here / ".hephaestus").exists()
    qa = json.loads(cli("--format", "json", "tools", "qa", "coverage", "--no-store").stdout)
    assert qa["source"] is None
    assert qa["missing"][0]["hint"] == "run pytest --cov first, or pass --coverage FILE"


@pytest.mark.usefixtures("here")
def test_coupling_and_opportunities(cli: Cli) -> None:
    """Coupling with thresholds from the command line; opportunities run."""
    out = cli("--format", "json", "tools", "refactor", "coupling", "--min-revs", "2")
    pairs = [(p["first"], p["second"], p["degree"]) for p in json.loads(out.stdout)["pairs"]]
    # The 4-file commit is within the default changeset cap (30): 3 shared of 4 and 3 revisions.
    assert pairs[0] == ("pkg/core.py", "pkg/util.py", round(3 / 3.5 * 100, 4))
    out = cli("tools", "refactor", "opportunities")
    assert out.exit_code == 0, out.stderr


@pytest.mark.usefixtures("here")
def test_profiles(cli: Cli) -> None:
    """A known profile is shown; an unknown one exits 2 listing the known names."""
    out = cli("--format", "json", "tools", "qa", "profile", "release")
    assert json.loads(out.stdout) == {
        "name": "release", "coverage_goal": 0.9, "gates": ["ruff-check", "mypy"],
        "strictness": "strict",
    }  # fmt: skip
    listing = cli("tools", "qa", "profile")
    assert "release" in listing.stdout
    bad = cli("tools", "qa", "profile", "nightly")
    assert bad.exit_code == 2
    assert "error: unknown QA profile 'nightly' (known: release)" in bad.stderr


def test_ingest_reports_bad_lines_and_exits_1(cli: Cli, here: Path) -> None:
    """Bad lines are numbered on stdout, good ones stored, exit 1."""
    good = json.dumps({"source": "ci", "kind": "flaky", "value": 3, "unit": "tests",
                       "timestamp": "2024-01-06T00:00:00Z", "path": "pkg/util.py"})  # fmt: skip
    out = cli("tools", "analytics", "ingest", "-", stdin=f"{good}\n{{oops\n")
    assert out.exit_code == 1
    assert "1 events stored" in out.stdout
    assert "line 2: not JSON" in out.stdout
    hot = json.loads(cli("--format", "json", "tools", "refactor", "hotspots").stdout)
    util = next(r for r in hot["rows"] if r["path"] == "pkg/util.py")
    assert util["ingested"] == {"ci/flaky": 3.0}
    missing = cli("tools", "analytics", "ingest", str(here / "nope.ndjson"))
    assert missing.exit_code == 2


HISTORY_COMMANDS = [
    c["path"]
    for c in generate().model_dump(mode="json")["commands"]
    if c["operations"]
    and (c["path"].startswith(("tools refactor", "tools team")) or c["path"] == "plan")
]


@pytest.mark.parametrize("path", HISTORY_COMMANDS)
def test_outside_a_repository_exit_2(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """Not a git repository: exit 2, one error line, no traceback (trends said "0 snapshots")."""
    monkeypatch.chdir(tmp_path)
    out = cli("--format", "json", *path.split())
    assert out.exit_code == 2, out.stdout
    assert json.loads(out.stdout)["error"]["code"] == "not-a-repository"
    assert "Traceback" not in out.stderr
    assert not (tmp_path / ".hephaestus").exists()


@pytest.mark.usefixtures("here")
def test_bad_since_is_a_usage_error(cli: Cli) -> None:
    """A --since that is not a date exits 2 with a hint."""
    out = cli("tools", "refactor", "hotspots", "--since", "yesterday-ish")
    assert out.exit_code == 2
    assert out.stderr.startswith("error: --since 'yesterday-ish': not a date")


def test_one_commit_is_said_in_the_singular(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window line of the refactor and team tables: "1 commit", "1 large one"."""
    root = tmp_path / "one"
    root.mkdir()
    git(root, "init", "-q")
    (root / "a.py").write_text("A = 1\n", encoding="utf-8")
    git(root, "add", "a.py")
    git(root, "commit", "-q", "-m", "one")
    monkeypatch.chdir(root)
    hotspots = cli("tools", "refactor", "hotspots", "--no-store", "--since", "2000-01-01")
    assert ": 1 commit (0 large ones left out, 1 read from git)" in hotspots.stdout
    team = cli("tools", "team", "ownership", "--no-store", "--since", "2000-01-01")
    assert ": 1 commit\n" in team.stdout
