"""Who knows the code: ownership, fragmentation, truck factor, code age and soc, by hand."""

from __future__ import annotations

import json
import os
import subprocess
import time
from typing import TYPE_CHECKING, Any

import pytest
from tests.gitrepo import GIT_ENV

from hephaestus.analytics.churn import Commit
from hephaestus.analytics.team import (
    MONTH,
    age_buckets,
    ages,
    directories,
    ownerships,
    soc_rows,
    tally_team,
    truck_factor,
)
from hephaestus.invoke import call
from hephaestus.registry import Safety, operation

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Cli

DAY = 86400
NOW = 1_700_000_000
# A small log (code-maat's input: one row per commit and file) with code-maat's output stated:
#   c1 alice: a.py +10, b.py +4     c2 bob: a.py +3 -2, c.py +1     c3 alice: a.py +1 -1
#   c4 carol: a.py +4, b.py +2 -2, c.py +1 -1 (a bot's commit and a 4-file commit besides)
# code-maat `-a soc`:           a.py 4, b.py 3, c.py 3   (c1: 1 each, c2: 1 each, c4: 2 each)
# code-maat `-a fragmentation`: a.py 0.625 (1 - (2/4)^2 - 2 * (1/4)^2), b.py 0.5, c.py 0.5
LOG = [
    Commit("c4", NOW - 10 * DAY, "carol", ["a.py", "b.py", "c.py"], [(4, 0), (2, 2), (1, 1)]),
    Commit("c3", NOW - 20 * DAY, "alice", ["a.py"], [(1, 1)]),
    Commit("c2", NOW - 200 * DAY, "bob", ["a.py", "c.py"], [(3, 2), (1, 0)]),
    Commit("c1", NOW - 400 * DAY, "alice", ["a.py", "b.py"], [(10, 0), (4, 0)]),
    Commit("b1", NOW - 5 * DAY, "dependabot[bot]", ["a.py"], [(50, 50)]),
]
LARGE = Commit("L", NOW - 1 * DAY, "dave", ["a.py", "b.py", "c.py", "d.py"], [(9, 9)] * 4)
FILES = {"a.py", "b.py", "c.py"}


def _team(**window: int) -> Any:  # noqa: ANN401  # the TeamHistory
    options = {"since": 0, "large": 3, "max_changeset": 3, **window}
    return tally_team([*LOG, LARGE], files=FILES, **options)


def test_soc_equals_code_maats_on_the_stated_log() -> None:
    """Soc per file is the stated code-maat output; the 4-file commit is over max-changeset."""
    rows = soc_rows(_team())
    assert [(r.path, r.soc, r.commits) for r in rows] == [
        ("a.py", 4, 5),  # the bot's commit changed a.py alone: 0 others, still a commit
        ("b.py", 3, 2),
        ("c.py", 3, 2),
    ]


def test_fragmentation_and_shares_equal_the_hand_computed_values() -> None:
    """Fragmentation is code-maat's fractal value; shares are of changed lines; bots left out."""
    files, _ = ownerships(_team(), FILES)
    by_path = {f.path: f for f in files}
    a = by_path["a.py"]
    assert a.fragmentation == 0.625  # code-maat prints it to two decimals
    assert a.lines == 12 + 5 + 4  # alice 10 + 2, bob 5, carol 4: the bot's 100 left out
    assert a.main_developer == "alice"
    assert a.main_share == round(12 / 21, 4)
    assert [(s.author, s.lines, s.commits) for s in a.authors] == [
        ("alice", 12, 2), ("bob", 5, 1), ("carol", 4, 1)
    ]  # fmt: skip
    assert by_path["b.py"].fragmentation == 0.5
    assert by_path["b.py"].main_developer == "alice"  # 4 lines against carol's 4: name order
    assert by_path["c.py"].main_developer == "carol"  # 2 lines against bob's 1


def test_directories_aggregate_each_commit_once() -> None:
    """A directory counts a commit once per author, lines summed over its files."""
    commits = [
        Commit("x", NOW, "alice", ["pkg/a.py", "pkg/sub/b.py"], [(3, 0), (2, 0)]),
        Commit("y", NOW, "bob", ["pkg/sub/b.py"], [(1, 0)]),
    ]
    files = {"pkg/a.py", "pkg/sub/b.py"}
    team = tally_team(commits, files=files, since=0, large=50, max_changeset=30)
    _, places = ownerships(team, files)
    shown = {p.path: (p.commits, p.lines, p.main_developer) for p in places}
    assert shown == {".": (2, 6, "alice"), "pkg": (2, 6, "alice"), "pkg/sub": (2, 3, "alice")}
    assert directories("pkg/sub/b.py") == ["pkg/sub", "pkg", "."]


@pytest.mark.parametrize(
    ("mains", "expected"),
    [
        ([], (0, [])),
        (["a", "a", "a", "b"], (1, ["a"])),  # a owns 3 of 4: more than half
        (["a", "a", "a", "b", "b", "c"], (2, ["a", "b"])),  # 3 of 6 is not more than half
        (["b", "a"], (2, ["a", "b"])),  # ties removed in name order
    ],
)
def test_truck_factor_removes_the_top_owner_until_more_than_half_is_orphaned(
    mains: list[str], expected: tuple[int, list[str]]
) -> None:
    """The greedy truck factor of the module's documented algorithm."""
    assert truck_factor(mains) == expected


def test_code_age_in_whole_30_day_months_and_buckets() -> None:
    """Age counts from the latest non-bot, non-large change; unchanged files counted apart."""
    files = ages(_team(), [*FILES, "new.py"], now=NOW)
    assert [(f.path, f.months) for f in files] == [
        ("a.py", 0), ("b.py", 0), ("c.py", 0), ("new.py", None)
    ]  # fmt: skip
    old = ages(_team(), FILES, now=NOW + 400 * DAY)
    assert [f.months for f in old] == [(410 * DAY) // MONTH] * 3 == [13] * 3
    counts = {b.label: b.files for b in age_buckets(files)}
    assert counts["0-1 months"] == 3
    assert counts["no change counted"] == 1


# --- a real repository: authors, dates, a rename, a .mailmap --------------------------------


def _commit(root: Path, author: str, email: str, days_ago: int) -> None:
    """Commit everything as ``author <email>``, ``days_ago`` days before now."""
    date = f"@{int(time.time()) - days_ago * DAY} +0000"
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email,
           "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}  # fmt: skip
    for args in (["add", "-A", "."], ["commit", "-q", "-m", f"{author} {days_ago}"]):
        subprocess.run(
            ["git", "-c", "commit.gpgsign=false", *args], cwd=root, env=env, check=True,
            capture_output=True,
        )  # fmt: skip


def _lines(count: int, tag: str) -> str:
    return "".join(f"{tag}_{k} = {k}\n" for k in range(count))


@pytest.fixture
def team_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Alice (two identities merged by .mailmap) wrote pkg/ long ago; Bob is active now.

    1. 400 days ago, "A. Old" <alice.old@…> (Alice by .mailmap): pkg/core.py +10, pkg/old.py +4
    2. 300 days ago, Alice <alice@…>: pkg/old.py renamed pkg/util.py (+2 lines)
    3. 10 days ago, Bob: pkg/core.py +2, app/main.py +3
    4. 5 days ago, dependabot[bot]: app/main.py +1 (left out of ownership)
    """
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    (root / ".mailmap").write_text(
        "Alice <alice@example.invalid> <alice.old@example.invalid>\n", encoding="utf-8"
    )
    (root / "pkg").mkdir()
    (root / "app").mkdir()
    (root / "pkg" / "core.py").write_text(_lines(10, "core"), encoding="utf-8")
    (root / "pkg" / "old.py").write_text(_lines(4, "util"), encoding="utf-8")
    _commit(root, "A. Old", "alice.old@example.invalid", 400)
    (root / "pkg" / "old.py").rename(root / "pkg" / "util.py")
    with (root / "pkg" / "util.py").open("a", encoding="utf-8") as handle:
        handle.write(_lines(2, "more"))
    _commit(root, "Alice", "alice@example.invalid", 300)
    with (root / "pkg" / "core.py").open("a", encoding="utf-8") as handle:
        handle.write(_lines(2, "bob"))
    (root / "app" / "main.py").write_text(_lines(3, "main"), encoding="utf-8")
    _commit(root, "Bob", "bob@example.invalid", 10)
    with (root / "app" / "main.py").open("a", encoding="utf-8") as handle:
        handle.write("bumped = 1\n")
    _commit(root, "dependabot[bot]", "bot@example.invalid", 5)
    monkeypatch.chdir(root)
    return root


def _run(name: str, root: Path, **fields: Any) -> dict[str, Any]:  # noqa: ANN401
    result = call(name, {"since": "5 years", **fields}, cwd=root)
    return result.model_dump(mode="json")


def test_team_operations_are_registered_read_only() -> None:
    """Each new measure is a read-only operation with its CLI command path."""
    for name, command in [
        ("tools_team_ownership", "tools team ownership"),
        ("tools_team_knowledge_risk", "tools team knowledge-risk"),
        ("tools_team_code_age", "tools team code-age"),
        ("tools_refactor_soc", "tools refactor soc"),
    ]:
        assert operation(name).safety == {Safety.read_only}
        assert operation(name).command == command


def test_ownership_follows_mailmap_and_renames(team_repo: Path) -> None:
    """Both of Alice's identities are one author; the renamed file keeps its history."""
    report = _run("tools_team_ownership", team_repo)
    files = {f["path"]: f for f in report["files"]}
    assert set(files) == {"pkg/core.py", "pkg/util.py", "app/main.py"}
    util = files["pkg/util.py"]
    assert (util["main_developer"], util["commits"], util["lines"]) == ("Alice", 2, 4 + 2 + 0)
    core = files["pkg/core.py"]
    assert [(a["author"], a["lines"]) for a in core["authors"]] == [("Alice", 10), ("Bob", 2)]
    assert core["main_share"] == round(10 / 12, 4)
    assert core["fragmentation"] == 0.5  # one commit each: 1 - 1/4 - 1/4
    assert files["app/main.py"]["authors"][0]["author"] == "Bob"  # the bot left out
    places = {d["path"]: d for d in report["directories"]}
    assert places["pkg"]["main_developer"] == "Alice"
    assert places["pkg"]["lines"] == 10 + 4 + 2 + 2  # the rename of a 4-line file: 2 lines
    assert places["."]["commits"] == 3


def test_knowledge_risk_names_files_whose_owner_went_quiet(team_repo: Path) -> None:
    """Alice's last commit is 300 days old: with 6 months she is inactive, with 12 not."""
    report = _run("tools_team_knowledge_risk", team_repo)
    assert report["inactive_months"] == 6
    risky = {f["path"]: f for f in report["files"]}
    assert set(risky) == {"pkg/core.py", "pkg/util.py"}
    assert risky["pkg/util.py"]["inactive_months"] == 10  # 300 days
    assert [d["path"] for d in report["directories"]] == [".", "pkg"]  # Alice: 16 lines of 21
    factors = {t["directory"]: t for t in report["truck_factors"]}
    assert (factors["."]["truck_factor"], factors["."]["authors"]) == (1, ["Alice"])
    assert (factors["app"]["files"], factors["app"]["authors"]) == (1, ["Bob"])
    later = _run("tools_team_knowledge_risk", team_repo, inactive_months=12)
    assert later["files"] == []


def test_code_age_and_soc_on_the_repository(team_repo: Path) -> None:
    """Ages in months since the last change; soc counts the analysed files changed alongside."""
    age = _run("tools_team_code_age", team_repo)
    assert {f["path"]: f["months"] for f in age["files"]} == {
        "pkg/util.py": 10, "pkg/core.py": 0, "app/main.py": 0
    }  # fmt: skip
    assert {b["label"]: b["files"] for b in age["buckets"]}["6-12 months"] == 1
    soc = _run("tools_refactor_soc", team_repo)
    # commit 1: core + old (util); commit 3: core + main; the bot's: main alone.
    assert {r["path"]: (r["soc"], r["commits"]) for r in soc["rows"]} == {
        "pkg/core.py": (2, 2), "pkg/util.py": (1, 2), "app/main.py": (1, 2)
    }  # fmt: skip


@pytest.mark.usefixtures("team_repo")
def test_the_commands_print_json_and_text(cli: Cli) -> None:
    """Each command answers one JSON document, and a text table naming the main developer."""
    for argv in (
        ["tools", "team", "ownership"], ["tools", "team", "knowledge-risk"],
        ["tools", "team", "code-age"], ["tools", "refactor", "soc"],
    ):  # fmt: skip
        text = cli(*argv, "--since", "5 years")
        assert text.exit_code == 0, text.stderr
        assert "pkg/core.py" in text.stdout
    out = cli("--format", "json", "tools", "team", "ownership", "--since", "5 years")
    files = {f["path"]: f for f in json.loads(out.stdout)["files"]}
    assert files["pkg/core.py"]["main_developer"] == "Alice"


def test_incremental_updates_equal_a_fresh_read(team_repo: Path) -> None:
    """After new commits (a rename among them) the cached pass answers as a fresh one."""
    _run("tools_team_ownership", team_repo)  # fills the store's commit cache
    (team_repo / "pkg" / "util.py").rename(team_repo / "pkg" / "helpers.py")
    with (team_repo / "pkg" / "helpers.py").open("a", encoding="utf-8") as handle:
        handle.write(_lines(3, "carol"))
    _commit(team_repo, "Carol", "carol@example.invalid", 1)
    for name, read in (
        ("tools_team_ownership", 1), ("tools_team_code_age", 0), ("tools_refactor_soc", 0)
    ):  # fmt: skip
        cached = _run(name, team_repo)
        fresh = _run(name, team_repo, no_store=True)
        assert cached["window"]["fetched"] == read  # only the new commit read from git
        del cached["window"], fresh["window"]
        if name == "tools_team_code_age":
            del cached["now"], fresh["now"]
        assert cached == fresh, name
    helpers = {f["path"]: f for f in _run("tools_team_ownership", team_repo)["files"]}
    assert helpers["pkg/helpers.py"]["commits"] == 3  # its two old commits follow the rename


def test_a_changed_mailmap_is_applied_to_cached_commits(team_repo: Path) -> None:
    """Adding an identity to .mailmap re-reads the history: cached names are not kept stale."""
    before = _run("tools_team_ownership", team_repo)
    assert {a["author"] for f in before["files"] for a in f["authors"]} == {"Alice", "Bob"}
    with (team_repo / ".mailmap").open("a", encoding="utf-8") as handle:
        handle.write("Alice <alice@example.invalid> Bob <bob@example.invalid>\n")
    after = _run("tools_team_ownership", team_repo)
    assert {a["author"] for f in after["files"] for a in f["authors"]} == {"Alice"}
    assert after["window"]["fetched"] == 4
