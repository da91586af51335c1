"""Several writers at once: nothing lost, the schema made once, a held lock is "busy, retry"."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hephaestus.analytics.ingest import ingest_events
from hephaestus.analytics.store import (
    SCHEMA_VERSION,
    StoreBusyError,
    StoreError,
    database_path,
    open_store,
)
from hephaestus.core.errors import ExitCode

HEPHAESTUS = Path(sys.executable).parent / "hephaestus"


def _events(writer: int, count: int) -> str:
    return "".join(
        json.dumps(
            {
                "source": f"w{writer}",
                "kind": "k",
                "value": n,
                "unit": "s",
                "timestamp": "2024-01-06T00:00:00Z",
            }
        )
        + "\n"
        for n in range(count)
    )


@pytest.mark.parametrize("round_", range(3))
def test_four_parallel_ingests_into_a_new_repository_lose_nothing(
    tmp_path: Path, round_: int
) -> None:
    """Four `tools analytics ingest` processes started together all store all their events.

    They used to race to create the schema: "table meta already exists", events lost.
    """
    root = tmp_path / f"repo{round_}"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for writer in range(4):
        (root / f"w{writer}.ndjson").write_text(_events(writer, 200 + writer), encoding="utf-8")
    processes = [
        subprocess.Popen(
            [str(HEPHAESTUS), "tools", "analytics", "ingest", f"w{writer}.ndjson"],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for writer in range(4)
    ]
    outcomes = [(p.wait(timeout=120), p.stderr.read() if p.stderr else b"") for p in processes]
    for process in processes:
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    assert [code for code, _ in outcomes] == [0, 0, 0, 0], outcomes
    db = sqlite3.connect(database_path(root))
    try:
        counts = dict(db.execute("SELECT source, COUNT(*) FROM events GROUP BY source"))
        version = db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()
    assert counts == {f"w{w}": 200 + w for w in range(4)}
    assert version == SCHEMA_VERSION


def test_schema_creation_is_serialised_and_idempotent(tmp_path: Path) -> None:
    """Eight openers of one new database at once: each finds the schema made exactly once."""
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def open_one() -> None:
        start.wait()
        try:
            with open_store(tmp_path) as store:
                assert store.event_count() == 0
        except BaseException as exc:  # noqa: BLE001  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with open_store(tmp_path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_lock_held_too_long_is_busy_retry_exit_5(tmp_path: Path) -> None:
    """Waiting for another writer is bounded and said as "busy, retry", never as corruption."""
    with open_store(tmp_path):
        pass
    holder = sqlite3.connect(database_path(tmp_path), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("INSERT INTO meta VALUES ('holder', '1')")
        line = _events(0, 1).strip()
        with pytest.raises(StoreBusyError) as caught, open_store(tmp_path, wait=0.2) as store:
            ingest_events([line], store=store, source="x")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert caught.value.exit_code is ExitCode.EXTERNAL
    assert "busy, retry" in caught.value.message
    assert "unusable" not in caught.value.message
    assert not any(word in (caught.value.hint or "") for word in ("remove", "delete"))
    with open_store(tmp_path) as store:
        assert store.event_count() == 0


@pytest.mark.parametrize(
    "content",
    [b"not a database at all" * 100, b"SQLite format 3\0" + b"\xff" * 4000],
    ids=["garbage", "truncated"],
)
def test_advice_to_remove_data_says_what_would_be_lost(tmp_path: Path, content: bytes) -> None:
    """A database that cannot be read is a store error whose hint names what would be lost."""
    path = database_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(StoreError) as caught, open_store(tmp_path) as store:
        store.event_count()
    hint = caught.value.hint or ""
    assert "lost" in hint
    assert "snapshots" in hint
    assert "ingested events" in hint
