"""Histories and trees a user can have: never an exit 70, and a failed run changes nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.analytics.conftest import SECTION
from tests.analytics.history import commit, write
from tests.gitrepo import GIT_ENV

from hephaestus.analytics import (
    AnalysisOptions,
    find_coupling,
    find_hotspots,
    find_opportunities,
    rank_files,
)
from hephaestus.analytics.analysis import analysis_store, collect
from hephaestus.analytics.churn import parse_since
from hephaestus.analytics.store import database_path
from hephaestus.core.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from hephaestus.analytics.analysis import Inputs


def _collect(root: Path, **options: Any) -> Inputs:  # noqa: ANN401  # AnalysisOptions' fields
    with analysis_store(root, persist=False) as store:
        return collect(root, section=SECTION, options=AnalysisOptions(**options), store=store)


def _git(root: Path, *args: str, data: bytes | None = None) -> bytes:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(
        ["git", *args], cwd=root, env=env, input=data, capture_output=True, check=True
    )
    return done.stdout.strip()


def _raw_commit(root: Path, author: bytes, when: int) -> None:
    """Commit the work tree with ``author`` written as raw bytes (no encoding header)."""
    _git(root, "add", "-A", ".")
    tree, parent = _git(root, "write-tree"), _git(root, "rev-parse", "HEAD")
    body = b"tree %s\nparent %s\nauthor %s <a@example.invalid> %d +0000\n" % (
        tree, parent, author, when,
    ) + b"committer C <c@example.invalid> %d +0000\n\nraw\n" % when  # fmt: skip
    made = _git(root, "hash-object", "-t", "commit", "-w", "--stdin", data=body)
    _git(root, "update-ref", "HEAD", made.decode())


def _base(root: Path) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    (root / ".git" / "info" / "exclude").write_text(".hephaestus/\n", encoding="utf-8")
    write(root, "a.py", "def f(x):\n    return x\n")
    commit(root, "alice", 1, "start")


not_utf8 = (
    st.binary(min_size=1, max_size=12)
    .filter(lambda b: b"<" not in b and b">" not in b and b"\n" not in b and b"\0" not in b)
    .filter(lambda b: not _is_utf8(b))
)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=8, deadline=None)
@given(names=st.lists(not_utf8, min_size=1, max_size=3, unique=True))
def test_author_names_that_are_not_utf8_are_counted_not_fatal(names: list[bytes]) -> None:
    """Commits whose author names are not UTF-8 are read, stored and counted as distinct authors.

    They used to reach SQLite as surrogate escapes: exit 70 in every history command.
    """
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory) / "repo"
        _base(root)
        for number, name in enumerate(names):
            write(root, "a.py", f"def f(x):\n    return x + {number}\n")
            _raw_commit(root, b"J" + name, 1_704_456_000 + number)
        options = AnalysisOptions(since="2024-01-01")
        hot = find_hotspots(root, section=SECTION, options=options)
        assert hot.window.commits == 1 + len(names)
        inputs = _collect(root, since="2024-01-01")
        assert inputs.churn["a.py"].authors == 1 + len(names)
        rank_files(root, section=SECTION, options=options)
        find_coupling(root, section=SECTION, options=options)
        find_opportunities(root, section=SECTION, options=options)


DEEP: dict[str, Callable[[int], str]] = {
    "unary": lambda n: "x = " + "-" * n + "1\n",
    "parentheses": lambda n: "x = " + "(" * n + "1" + ")" * n + "\n",
    "sum": lambda n: "x = " + "+".join(["a"] * (n * 5)) + "\n",
    "lists": lambda n: "x = " + "[" * n + "]" * n + "\n",
    "calls": lambda n: "x = " + "f(" * n + ")" * n + "\n",
}


@pytest.mark.parametrize("workers", [False, True], ids=["in-process", "worker"])
def test_python_nested_20k_deep_is_named_missing(tmp_path: Path, *, workers: bool) -> None:
    """Files whose expressions nest 20,000 deep are left out and named in ``missing``.

    Python's parser raises MemoryError or RecursionError on them: that was exit 70.
    """
    root = tmp_path / "repo"
    _base(root)
    for kind, source in DEEP.items():
        write(root, f"deep_{kind}.py", source(20_000))
    for number in range(70 if workers else 0):  # more than IN_PROCESS: measured by the worker
        write(root, f"small/m{number}.py", "def g():\n    return 1\n")
    commit(root, "bob", 2, "deep")
    write(root, "deep_unary.py", DEEP["unary"](20_001))  # changed in the work tree: measured here
    inputs = _collect(root, since="2024-01-01")
    said = sorted(m.message.split(":")[0] for m in inputs.missing if m.factor == "complexity")
    assert said == sorted(f"deep_{kind}.py" for kind in DEEP)
    assert "a.py" in inputs.complexity


@given(
    amount=st.one_of(
        st.integers(2100 * 365, 10**30).map(str),
        st.integers(4_000, 6_000).map(lambda digits: "9" * digits),  # past int()'s digit limit
    ),
    unit=st.sampled_from(["years", "months", "weeks", "days"]),
)
def test_since_outside_the_calendar_is_a_usage_error(amount: str, unit: str) -> None:
    """A window start no date can name is a one-line usage error (it was exit 70, year -72)."""
    value = f"{amount} {unit}"
    with pytest.raises(UsageError) as caught:
        parse_since(value, now=1_700_000_000)
    assert caught.value.exit_code is ExitCode.USAGE
    assert len(caught.value.message) < 200
    assert "\n" not in caught.value.message


def test_since_before_1970_is_the_whole_history() -> None:
    """A start git cannot date (before 1970) reads the whole history, not an empty one."""
    assert parse_since("100 years", now=1_700_000_000) == 0
    assert parse_since("1960-01-01") == 0


def _dump(root: Path) -> dict[str, list[Any]]:
    db = sqlite3.connect(database_path(root))
    try:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {
            t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr)  # noqa: S608  # names from sqlite_master
            for t in tables
            if t != "sqlite_sequence"
        }
    finally:
        db.close()


def _answers(root: Path) -> str:
    options = AnalysisOptions(since="2000-01-01")
    drop = {"snapshot": True, "previous_snapshot": True}
    answers = [
        find_hotspots(root, section=SECTION, options=options).model_dump(exclude=drop),
        find_coupling(root, section=SECTION, options=options).model_dump(),
        find_opportunities(root, section=SECTION, options=options).model_dump(),
    ]
    return repr(answers).replace(str(root), "<root>")


BAD_COVERAGE = {
    "coverage.json": b'{"files": {"pkg/core.py": {"summary": {"num_statements": -1}}}}',
    "coverage.xml": b"<coverage><packages><package",
    ".coverage": b"\xff\xfe not sqlite at all",
}


@pytest.mark.parametrize("name", sorted(BAD_COVERAGE))
def test_a_run_that_fails_midway_changes_nothing_in_the_store(
    repo: Path, known_history: Path, tmp_path: Path, name: str
) -> None:
    """A run that fails after reading history (a bad coverage file) stores none of it.

    The commit cache used to be committed before the failure: after a crash, every later
    hotspots/coupling/opportunities answered "0 commits ... no changed files" with exit 0.
    """
    bad = tmp_path / name
    bad.write_bytes(BAD_COVERAGE[name])
    with pytest.raises(UsageError):
        rank_files(repo, section=SECTION, options=AnalysisOptions(since="2000-01-01", coverage=bad))
    with pytest.raises(UsageError):
        find_hotspots(repo, section=SECTION, options=AnalysisOptions(since="2100 years"))
    assert all(rows == [] for rows in _dump(repo).values())
    clean = tmp_path / "clean"
    subprocess.run(["cp", "-a", str(known_history), str(clean)], check=True)
    after, expected = _answers(repo), _answers(clean)
    assert after == expected
    assert "'commits': 5," in after
    assert _dump(repo) == _dump(clean) | {"snapshots": _dump(repo)["snapshots"]}
