"""The store: incremental history, trend between snapshots, crash safety, a concurrent reader."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from tests.analytics.conftest import SECTION
from tests.analytics.history import commit, write

from hephaestus.analytics import AnalysisOptions, find_hotspots, history, rank_files
from hephaestus.analytics.churn import head_commit
from hephaestus.analytics.ingest import ingest_events
from hephaestus.analytics.store import SCHEMA_VERSION, StoreError, database_path, open_store
from hephaestus.core.progress import NO_PROGRESS

if TYPE_CHECKING:
    from pathlib import Path

STORED = AnalysisOptions()
EVENT = {"source": "ci", "kind": "duration", "value": 1.5, "unit": "s",
         "timestamp": "2024-01-06T00:00:00Z", "path": "pkg/core.py"}  # fmt: skip


def test_trend_and_incremental_history(repo: Path) -> None:
    """A second run reads only the new commit and shows each score's change."""
    first = find_hotspots(repo, section=SECTION, options=STORED)
    assert (first.snapshot, first.window.fetched) == (1, 5)
    write(repo, "pkg/util.py", "def helper(a, b):\n    return a and b or None\n\n\n"
          "def extra(y):\n    return y if y else 1\n")  # fmt: skip
    commit(repo, "alice", 6, "extra")
    second = find_hotspots(repo, section=SECTION, options=STORED, trend=True)
    assert (second.snapshot, second.previous_snapshot, second.window.fetched) == (2, 1, 1)
    rows = {
        r.path: (r.commits, r.complexity, r.score, r.previous_score, r.trend) for r in second.rows
    }
    assert rows == {
        "pkg/core.py": (3, 9, 1.0, 1.0, 0.0),
        "pkg/util.py": (
            3,
            5,
            round(5 / 9, 4),
            round(2 / 9, 4),
            round(round(5 / 9, 4) - round(2 / 9, 4), 4),
        ),
        "pkg/moved.py": (2, 2, round(2 / 3 * 2 / 9, 4), round(2 / 3 * 2 / 9, 4), 0.0),
    }
    cold = find_hotspots(repo, section=SECTION, options=AnalysisOptions(store=False))
    assert [r.score for r in cold.rows] == [r.score for r in second.rows]


def test_first_trend_says_there_is_nothing_to_compare(repo: Path) -> None:
    """--trend without an earlier snapshot says so instead of inventing a change."""
    report = find_hotspots(repo, section=SECTION, options=STORED, trend=True)
    assert [m.factor for m in report.missing] == ["trend"]
    assert all(r.trend is None for r in report.rows)


def test_a_rename_in_new_commits_relabels_the_cached_history(repo: Path) -> None:
    """Incremental results equal a cold run after a file is renamed on top of the cache."""
    find_hotspots(repo, section=SECTION, options=STORED)
    rank_files(repo, section=SECTION, options=STORED)  # line counts: the cache is re-read once
    (repo / "pkg" / "moved.py").rename(repo / "pkg" / "relocated.py")
    commit(repo, "bob", 7, "rename")
    warm = rank_files(repo, section=SECTION, options=STORED)
    cold = rank_files(repo, section=SECTION, options=AnalysisOptions(store=False))
    assert warm.window.fetched == 1
    assert [(r.path, r.churn, r.score) for r in warm.rows] == [
        (r.path, r.churn, r.score) for r in cold.rows
    ]
    relocated = next(r for r in warm.rows if r.path == "pkg/relocated.py")
    assert relocated.churn == 5


def test_rewritten_history_starts_over(repo: Path) -> None:
    """When the cached HEAD is no longer an ancestor, the whole window is read again."""
    find_hotspots(repo, section=SECTION, options=STORED)
    subprocess.run(["git", "reset", "-q", "--hard", "HEAD~1"], cwd=repo, check=True)
    report = find_hotspots(repo, section=SECTION, options=STORED)
    assert (report.window.fetched, report.window.commits, report.window.large_commits) == (4, 4, 0)


CRASH = """
import os, signal, sys
from pathlib import Path
from hephaestus.analytics.store import open_store
with open_store(Path(sys.argv[1])) as store:
    store.db.execute("BEGIN IMMEDIATE")
    store.db.executemany(
        "INSERT INTO events (source, kind, value, unit, path, metrics, metadata, timestamp,"
        " ingested) VALUES ('x', 'y', 1, 'u', NULL, '{}', '{}', 't', 't')", [()] * 5000)
    print("writing", flush=True)
    if sys.argv[2] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    sys.stdin.readline()
    store.db.execute("COMMIT")
"""


def test_a_crash_mid_write_loses_only_the_unfinished_transaction(repo: Path) -> None:
    """A writer killed mid-transaction leaves the committed data intact and nothing partial."""
    with open_store(repo) as store:
        ingest_events([json.dumps(EVENT)], store=store, source="test")
    done = subprocess.run([sys.executable, "-c", CRASH, str(repo), "kill"], capture_output=True,
                          text=True, check=False, timeout=60)  # fmt: skip
    assert done.returncode == -9, done.stderr
    with open_store(repo) as store:
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert store.event_count() == 1
        assert store.path_metrics() == {"pkg/core.py": {"ci/duration": 1.5}}


def test_a_reader_works_while_a_writer_writes(repo: Path) -> None:
    """With a write transaction open in another process, listing and reading still work."""
    find_hotspots(repo, section=SECTION, options=STORED)
    writer = subprocess.Popen([sys.executable, "-c", CRASH, str(repo), "hold"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline() == "writing\n"
        with open_store(repo) as store:
            assert [s.id for s in store.snapshots()] == [1]
            assert store.event_count() == 0
            assert len(store.snapshot_files(1)) == 3
    finally:
        assert writer.stdin is not None
        writer.stdin.write("\n")
        writer.stdin.close()
        writer.wait(timeout=60)
        if writer.stdout is not None:
            writer.stdout.close()
    with open_store(repo) as store:
        assert store.event_count() == 5000


def test_schema_version_and_a_newer_database(repo: Path) -> None:
    """The schema is versioned; a database from a newer hephaestus is refused, not damaged."""
    with open_store(repo) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db = sqlite3.connect(database_path(repo))
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer than this hephaestus knows"), open_store(repo):
        pass


def test_schema_one_is_migrated_keeping_snapshots_and_events(repo: Path) -> None:
    """A schema-1 database gains the tally; its caches restart, snapshots and events stay."""
    from hephaestus.analytics.store import MIGRATIONS  # noqa: PLC0415  # the schema-1 DDL

    database_path(repo).parent.mkdir(exist_ok=True)
    db = sqlite3.connect(database_path(repo), isolation_level=None)
    for statement in MIGRATIONS[0].split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("INSERT INTO meta VALUES ('head', 'abc'), ('since', '0'), ('lines', '0')")
    db.execute("INSERT INTO commits VALUES ('abc', 1, 'alice', 1)")
    db.execute("INSERT INTO changes VALUES ('abc', 'pkg/core.py', NULL, NULL)")
    db.execute("INSERT INTO complexity VALUES ('digest', '{}')")
    db.execute(
        "INSERT INTO snapshots (created, head, command, since) VALUES ('t', 'abc', 'x', 's')"
    )
    db.execute(
        "INSERT INTO events (source, kind, value, unit, path, metrics, metadata, timestamp,"
        " ingested) VALUES ('ci', 'k', 1, 'u', NULL, '{}', '{}', 't', 't')"
    )
    db.execute("PRAGMA user_version = 1")
    db.close()
    with open_store(repo) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        assert store.history() is None
        assert store.db.execute("SELECT COUNT(*) FROM complexity").fetchone()[0] == 0
        assert [s.id for s in store.snapshots()] == [1]
        assert store.event_count() == 1
    report = find_hotspots(repo, section=SECTION, options=STORED)
    assert (report.window.fetched, report.snapshot) == (5, 2)


def test_schema_two_gains_the_ingestion_keys_keeping_its_events(tmp_path: Path) -> None:
    """A schema-2 database gains ingest_batches (migration 3); its events stay."""
    from hephaestus.analytics.store import MIGRATIONS  # noqa: PLC0415  # the older DDL

    database_path(tmp_path).parent.mkdir()
    db = sqlite3.connect(database_path(tmp_path), isolation_level=None)
    for statement in ";".join(MIGRATIONS[:2]).split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute(
        "INSERT INTO events (source, kind, value, unit, path, metrics, metadata, timestamp,"
        " ingested) VALUES ('ci', 'k', 1, 'u', NULL, '{}', '{}', 't', 't')"
    )
    db.execute("PRAGMA user_version = 2")
    db.close()
    with open_store(tmp_path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        assert store.event_count() == 1
        assert store.ingest_batch("k") is None
        with store.transaction():
            store.record_ingest_batch(key="k", accepted=2, rejected=1, source="s")
        assert store.ingest_batch("k") == (2, 1)
        with pytest.raises(sqlite3.IntegrityError), store.transaction():
            store.record_ingest_batch(key="k", accepted=5, rejected=0, source="s")
        assert store.ingest_batch("k") == (2, 1)


def test_a_moved_window_and_a_new_limit_equal_a_cold_run(repo: Path) -> None:
    """The stored tally serves a later window only when no cached commit left it."""
    find_hotspots(repo, section=SECTION, options=STORED)
    for since, large in (("2024-01-02", 3), ("2024-01-03T13:00:00", 3), ("2024-01-01", 4)):
        section = SECTION.model_copy(update={"since": since, "large_commit": large})
        warm = rank_files(repo, section=section, options=STORED)
        cold = rank_files(repo, section=section, options=AnalysisOptions(store=False))
        assert [(r.path, r.churn, r.score) for r in warm.rows] == [
            (r.path, r.churn, r.score) for r in cold.rows
        ]
        assert warm.window == cold.window.model_copy(update={"fetched": warm.window.fetched})


def test_a_file_changed_in_the_work_tree_is_measured_as_it_is(repo: Path) -> None:
    """Complexity follows the work tree, not the index: an edited file is hashed and measured."""
    first = {
        r.path: r.complexity for r in find_hotspots(repo, section=SECTION, options=STORED).rows
    }
    write(repo, "pkg/util.py", "def helper(a):\n    return a if a else 0\n\n\n"
          "def more(b):\n    return [c for c in b if c]\n")  # fmt: skip
    second = {
        r.path: r.complexity for r in find_hotspots(repo, section=SECTION, options=STORED).rows
    }
    assert (first["pkg/util.py"], second["pkg/util.py"]) == (3, 5)
    assert first["pkg/core.py"] == second["pkg/core.py"] == 9


def test_a_name_reused_after_a_rename_keeps_its_own_history(repo: Path) -> None:
    """Renamed, then a new file takes the old name, both in new commits: as a cold run."""
    find_hotspots(repo, section=SECTION, options=STORED)
    (repo / "pkg" / "moved.py").rename(repo / "pkg" / "relocated.py")
    commit(repo, "bob", 7, "rename")
    write(repo, "pkg/moved.py", "def fresh(x):\n    return x or 0\n")
    commit(repo, "carol", 8, "a new file under the old name")
    warm = find_hotspots(repo, section=SECTION, options=STORED)
    cold = find_hotspots(repo, section=SECTION, options=AnalysisOptions(store=False))
    assert warm.window.fetched == 2
    assert [(r.path, r.commits, r.score) for r in warm.rows] == [
        (r.path, r.commits, r.score) for r in cold.rows
    ]
    assert {r.path: r.commits for r in warm.rows}["pkg/moved.py"] == 1


def test_work_beside_git_that_fails_leaves_the_store_as_it_was(repo: Path) -> None:
    """The tree survey runs while git reads the log; if it fails, nothing is cached."""

    def survey() -> None:
        raise OSError("the tree could not be listed")

    head = head_commit(repo)
    assert head is not None
    with open_store(repo) as store:
        with pytest.raises(OSError, match="could not be listed"):
            history.update(
                store, repo, head=head, since=0, large=50, lines=False, progress=NO_PROGRESS,
                meanwhile=survey, cut=(),
            )  # fmt: skip
        assert store.history() is None
        assert store.last_row() == 0


def test_schema_three_snapshots_gain_totals_keeping_their_files(tmp_path: Path) -> None:
    """Migration 4: a schema-3 snapshot keeps its files and has no totals (null, not invented)."""
    from hephaestus.analytics.store import MIGRATIONS  # noqa: PLC0415  # the older DDL

    database_path(tmp_path).parent.mkdir()
    db = sqlite3.connect(database_path(tmp_path), isolation_level=None)
    for statement in ";".join(MIGRATIONS[:3]).split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute(
        "INSERT INTO snapshots (created, head, command, since) VALUES ('t', 'abc', 'hotspots', 's')"
    )
    db.execute("INSERT INTO snapshot_files VALUES (1, 'a.py', '{\"score\": 0.5}')")
    db.execute("PRAGMA user_version = 3")
    db.close()
    with open_store(tmp_path) as store:
        (old,) = store.snapshots()
        assert (old.files, old.totals) == (1, None)
        assert store.snapshot_files(1) == {"a.py": {"score": 0.5}}
        new = store.save_snapshot(
            command="hotspots", head="def", since="s", files={}, totals={"complexity": 3}
        )
        assert store.snapshots()[0].totals == {"complexity": 3}
        assert new == 2


def test_snapshot_files_of_chosen_paths_only(tmp_path: Path) -> None:
    """Chosen paths come back (in batches past SQLite's bound-parameter comfort); others don't."""
    files = {f"f{i}.py": {"score": i / 1200} for i in range(1200)}
    with open_store(tmp_path) as store:
        snapshot = store.save_snapshot(command="hotspots", head="h", since="s", files=files)
        wanted = [f"f{i}.py" for i in range(0, 1200, 2)] + ["absent.py"]
        got = store.snapshot_files(snapshot, wanted)
        assert got == {p: files[p] for p in wanted[:-1]}
        assert store.snapshot_files(snapshot, []) == {}
        assert store.snapshot_files(snapshot) == files
