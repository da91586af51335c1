"""execute_cleanup: removes exactly the plan, re-checks each path, writes an exact manifest."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from hephaestus.cleanup import CleanupOptions, audit, delete, execute_cleanup, plan_cleanup, removal
from hephaestus.cleanup.audit import default_manifest_path, write_manifest
from hephaestus.cleanup.models import CleanupReport, SkipReason
from hephaestus.cleanup.settings import CleanupCategory as Category
from hephaestus.core.progress import NO_PROGRESS

DEEP = frozenset(Category) - {Category.node_modules}


def _snapshot(root: Path) -> set[str]:
    """Every path under ``root`` (symlinks not followed), relative."""
    found: set[str] = set()
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            found.add(os.path.relpath(os.path.join(directory, name), root))  # noqa: PTH118
    return found


def test_manifest_matches_what_left_the_disk(repo: Path, tmp_path: Path) -> None:
    """The filesystem before minus after is exactly the manifest's removed paths and contents."""
    before = _snapshot(repo)
    manifest = tmp_path / "audit" / "manifest.json"
    plan = plan_cleanup(repo, options=CleanupOptions(categories=DEEP))
    report = execute_cleanup(plan, run_id="r1", manifest=manifest, progress=NO_PROGRESS)
    after = _snapshot(repo)
    recorded = CleanupReport.model_validate_json(manifest.read_text())
    removed_tops = {os.path.relpath(r.path, repo) for r in recorded.removed}
    gone = before - after
    assert {p for p in gone if str(Path(p).parent) not in gone} == removed_tops
    assert all(any(p == t or p.startswith(t + "/") for t in removed_tops) for p in gone)
    assert recorded == report
    assert recorded.errors == []
    assert recorded.run_id == "r1"
    assert sum(t.bytes for t in recorded.totals) == sum(c.size for c in plan.candidates)
    for kept in ("src/demo/build/__init__.py", "env-3.12/pyvenv.cfg", "docs/build/index.html"):
        assert (repo / kept).exists(), kept


def test_vanished_path_is_fine(repo: Path) -> None:
    """A planned path deleted by someone else meanwhile is reported vanished, not an error."""
    plan = plan_cleanup(repo, options=CleanupOptions())
    shutil.rmtree(repo / ".mypy_cache")
    report = execute_cleanup(plan, run_id="r", manifest=None)
    assert report.errors == []
    vanished = [s for s in report.skipped if s.reason is SkipReason.vanished]
    assert [os.path.relpath(s.path, repo) for s in vanished] == [".mypy_cache"]


def test_type_change_is_not_removed(repo: Path, tmp_path: Path) -> None:
    """A planned file replaced by a directory before execution is left alone as changed."""
    plan = plan_cleanup(repo, options=CleanupOptions(categories=DEEP))
    (repo / ".coverage").unlink()
    (repo / ".coverage").mkdir()
    (repo / ".coverage" / "precious").write_text("keep")
    report = execute_cleanup(plan, run_id="r", manifest=tmp_path / "m.json")
    assert (repo / ".coverage" / "precious").exists()
    assert any(s.reason is SkipReason.changed for s in report.skipped)


def test_permission_error_is_recorded_and_run_goes_on(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A path that cannot be removed is an error entry; the other paths are still removed."""
    real_unlink = os.unlink

    def guarded(path: str, *args: object, **kwargs: object) -> None:
        # root ignores file permissions, so the one error root can meet is simulated here
        if str(path).endswith(".DS_Store"):
            raise PermissionError(13, "Permission denied", path)
        real_unlink(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "unlink", guarded)
    plan = plan_cleanup(repo, options=CleanupOptions())
    report = execute_cleanup(plan, run_id="r", manifest=None)
    assert [os.path.basename(e.path) for e in report.errors] == [".DS_Store"]  # noqa: PTH119
    assert report.errors[0].message.endswith(".DS_Store: Permission denied")
    assert not (repo / ".mypy_cache").exists()


def test_default_manifest_path(tmp_path: Path) -> None:
    """The default manifest lives under .hephaestus/audit with a UTC stamp and the run id."""
    path = default_manifest_path(tmp_path, "abc")
    assert path.parent == tmp_path / ".hephaestus" / "audit"
    assert path.name.startswith("cleanup-")
    assert path.name.endswith("Z-abc.json")


def test_manifest_write_is_atomic(repo: Path, tmp_path: Path) -> None:
    """A manifest is never left half-written: a failed write leaves no file and no temp file."""
    report = execute_cleanup(
        plan_cleanup(repo, options=CleanupOptions()), run_id="r", manifest=None
    )
    target = tmp_path / "out" / "m.json"
    write_manifest(report, target)
    assert json.loads(target.read_text())["run_id"] == "r"
    blocked = tmp_path / "out" / "dir.json"
    blocked.mkdir()
    with pytest.raises(OSError, match="Is a directory"):
        write_manifest(report, blocked)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["dir.json", "m.json"]


def test_failure_inside_a_tree_is_reported_not_counted_as_removed(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory that cannot be fully removed is an error, not a removal; the rest goes."""
    real_unlink = os.unlink

    def guarded(path: str, *args: object, **kwargs: object) -> None:
        # root ignores file permissions, so the one error root can meet is simulated here
        if str(path) == "lastfailed":
            raise PermissionError(13, "Permission denied", path)
        real_unlink(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "unlink", guarded)
    report = execute_cleanup(
        plan_cleanup(repo, options=CleanupOptions()), run_id="r", manifest=None
    )
    (error,) = report.errors
    assert error.path == str(repo / ".pytest_cache")
    assert "lastfailed: Permission denied" in error.message
    assert str(repo / ".pytest_cache") not in {r.path for r in report.removed}
    assert (repo / ".pytest_cache" / "v" / "cache" / "lastfailed").exists()
    assert not (repo / ".mypy_cache").exists()


def test_a_second_cleanup_of_the_same_root_waits_then_reports_busy(repo: Path) -> None:
    """While one cleanup holds the root's lock, another gives up after its wait: exit 5, busy."""
    from hephaestus.cleanup.lock import cleanup_lock  # noqa: PLC0415
    from hephaestus.core.errors import ExternalError  # noqa: PLC0415

    plan = plan_cleanup(repo, options=CleanupOptions())
    with cleanup_lock(repo, timeout=1), pytest.raises(ExternalError) as raised:
        execute_cleanup(plan, run_id="r", manifest=None, lock_timeout=0.2)
    assert raised.value.code == "busy"
    assert (repo / ".mypy_cache").exists()
    assert execute_cleanup(plan, run_id="r", manifest=None).errors == []


@pytest.mark.parametrize("calls_before", [0, 1])
def test_an_interruption_after_the_last_removal_still_names_every_removal(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls_before: int
) -> None:
    """Ctrl-C while the final report is built (0) or the manifest written (1): all recorded.

    The signal reaches the main thread wherever it happens to be; the outcomes still buffered
    in the journal must reach the manifest even then.
    """
    plan = plan_cleanup(repo, options=CleanupOptions(categories=DEEP))
    assert plan.candidates
    manifest = tmp_path / "m.json"
    target = delete if calls_before == 0 else audit
    name = "totals_of" if calls_before == 0 else "write_atomic"
    original = getattr(target, name)
    calls = {"n": 0}

    def interrupted(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, interrupted)
    with pytest.raises(KeyboardInterrupt):
        execute_cleanup(plan, run_id="r", manifest=manifest)
    recorded = CleanupReport.model_validate_json(manifest.read_text())
    assert {r.path for r in recorded.removed} == {c.path for c in plan.candidates}
    assert not any(Path(c.path).exists() for c in plan.candidates)


@pytest.mark.parametrize("slow", ["before the unit", "inside a removal"])
@pytest.mark.parametrize("submitted", [0, 1, 3])
def test_an_interrupt_inside_submit_waits_for_the_worker_the_pool_lost(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, submitted: int, slow: str
) -> None:
    """Ctrl-C inside ``pool.submit``, after a worker thread started: its removals are recorded.

    The pool's shutdown waits only for the threads it knows of; an interrupt landing between
    a thread's start and its registration leaves one running. Here such a worker starts
    (slowed down before its unit, or inside a directory's removal) and the interrupt follows:
    whatever left the disk must be in the manifest, and nothing may leave it once
    ``execute_cleanup`` has raised.
    """
    plan = plan_cleanup(repo, options=CleanupOptions(categories=DEEP))
    assert any(c.kind.value == "directory" for c in plan.candidates)
    manifest = tmp_path / "m.json"
    calls = {"n": 0}
    remove_entry = removal.remove_entry  # as delete imported it

    def slow_removal(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        time.sleep(0.2)  # the interrupt reaches the main thread meanwhile
        return remove_entry(*args, **kwargs)

    def late(fn: Any, *args: Any) -> None:  # noqa: ANN401
        if slow == "before the unit":
            time.sleep(0.2)
        fn(*args)

    class LosingPool(ThreadPoolExecutor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
            calls["n"] += 1
            if calls["n"] > submitted:
                threading.Thread(target=late, args=(fn, *args), daemon=True).start()
                raise KeyboardInterrupt
            return super().submit(fn, *args, **kwargs)

    if slow == "inside a removal":
        monkeypatch.setattr(delete, "remove_entry", slow_removal)
    monkeypatch.setattr(delete, "ThreadPoolExecutor", LosingPool)
    with pytest.raises(KeyboardInterrupt):
        execute_cleanup(plan, run_id="r", manifest=manifest, workers=1)
    gone_at_return = {c.path for c in plan.candidates if not os.path.lexists(c.path)}
    time.sleep(0.6)  # a lost worker, had it been let go, would remove more by now
    gone = {c.path for c in plan.candidates if not os.path.lexists(c.path)}
    recorded = CleanupReport.model_validate_json(manifest.read_text())
    assert gone == gone_at_return
    assert {r.path for r in recorded.removed} == gone
    assert recorded.complete is False
