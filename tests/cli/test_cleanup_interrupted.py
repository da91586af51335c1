"""The real console script under signals and contention: the journal names exactly what is gone.

SIGINT, SIGTERM and SIGKILL arrive at random points of a 50,000-file deletion; two cleanups of
one root run at once. Each time the audit manifest is compared with the disk.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest
from tests.gitrepo import git

from hephaestus.cleanup.audit import BATCH, read_manifest
from hephaestus.cleanup.delete import REMOVAL_WORKERS

if TYPE_CHECKING:
    from collections.abc import Iterator

HEPHAESTUS = str(Path(sys.executable).parent / "hephaestus")
PACKAGES: Final = 200
FILES: Final = 200  # per package: 200 stray .pyc files and a __pycache__ of 50 -> 50,000 files
PROTECTED: Final = ("src/keep.py", "venv/pyvenv.cfg", "venv/lib/x.pyc", "src/build/tracked.pyc")


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs mounted in ``tmp_path`` when allowed (50,000 files in a second, not in 20)."""
    fast = tmp_path / "tmpfs"
    fast.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1g", "tmpfs", str(fast)],
        capture_output=True,
        check=False,
    )
    try:
        yield fast
    finally:
        if mounted.returncode == 0:
            subprocess.run(["umount", "-l", str(fast)], check=True)


def make_tree(root: Path) -> set[str]:
    """A repository with 50,000 debris files and protected paths; return the debris tops."""
    root.mkdir()
    git(root, "init", "-q")
    for relative in PROTECTED:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text("precious")
    git(root, "add", "-f", "src/keep.py", "src/build/tracked.pyc")
    git(root, "commit", "-q", "-m", "tracked")
    tops = set()
    flags = os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC
    for p in range(PACKAGES):
        package = f"{root}/pkg/p{p}"
        os.makedirs(f"{package}/__pycache__")  # noqa: PTH103
        for f in range(FILES):
            os.close(os.open(f"{package}/m{f}.pyc", flags, 0o644))
            tops.add(f"{package}/m{f}.pyc")
        for f in range(50):
            os.close(os.open(f"{package}/__pycache__/c{f}.pyc", flags, 0o644))
        tops.add(f"{package}/__pycache__")
    return tops


def start(root: Path, manifest: Path) -> subprocess.Popen[bytes]:
    """Run ``hephaestus cleanup ROOT --yes`` writing ``manifest``, as the console script."""
    return subprocess.Popen(
        [HEPHAESTUS, "cleanup", str(root), "--yes", "--audit-manifest", str(manifest)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for_journal(process: subprocess.Popen[bytes], manifest: Path) -> None:
    """Wait until the run has opened its journal (removal starts right after)."""
    deadline = time.monotonic() + 60
    while not manifest.exists() and process.poll() is None:
        assert time.monotonic() < deadline, "the journal never appeared"
        time.sleep(0.005)


@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGKILL, -signal.SIGKILL)],
)
def test_interrupted_run_leaves_a_manifest_naming_what_is_gone(
    scratch: Path, signum: signal.Signals, code: int
) -> None:
    """After a signal mid-deletion the manifest is marked incomplete and names what is gone."""
    seed = random.randrange(1 << 30)  # noqa: S311  # timing, not secrets
    delay = random.Random(seed).uniform(0.02, 0.4)  # noqa: S311
    root = scratch / "root"
    tops = make_tree(root)
    manifest = scratch / "audit" / "run.json"
    process = start(root, manifest)
    wait_for_journal(process, manifest)
    time.sleep(delay)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    returned = process.returncode
    context = f"seed {seed}, delay {delay:.3f}s: {stderr.decode()[-500:]}"
    recorded = read_manifest(manifest)
    gone = {path for path in tops if not os.path.lexists(path)}
    removed = {r.path for r in recorded.removed}
    if returned == 0:
        pytest.skip(f"the run finished before the signal ({context})")
    assert returned == code, context
    if recorded.complete:  # the signal came after the last removal: the report says all of it
        assert removed == gone == tops, context
    elif signum == signal.SIGKILL:
        assert removed <= gone, context
        assert len(gone - removed) <= BATCH + REMOVAL_WORKERS, context
    else:
        assert removed == gone, context
    for relative in PROTECTED:
        assert (root / relative).read_text() == "precious", relative
    rerun = subprocess.run(
        [HEPHAESTUS, "cleanup", str(root), "--yes", "--audit-manifest", str(scratch / "2.json")],
        capture_output=True,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert not any(os.path.lexists(path) for path in tops), "the rerun did not finish the job"
    assert {r.path for r in read_manifest(scratch / "2.json").removed} == tops - gone


def test_unwritable_manifest_is_refused_before_anything_is_removed(tmp_path: Path) -> None:
    """A manifest that cannot be created (its parent is a file) exits 2 with nothing removed."""
    root = tmp_path / "root"
    (root / "__pycache__").mkdir(parents=True)
    (root / "x.pyc").write_text("x")
    blocker = tmp_path / "file"
    blocker.write_text("")
    for manifest in (blocker / "m.json", tmp_path):
        done = subprocess.run(
            [HEPHAESTUS, "cleanup", str(root), "--yes", "--audit-manifest", str(manifest)],
            capture_output=True,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert (root / "__pycache__").exists()
        assert (root / "x.pyc").exists()


def test_two_simultaneous_cleanups_never_claim_the_same_removal(scratch: Path) -> None:
    """Two runs on one root: their manifests' removals are disjoint and together are all."""
    root = scratch / "root"
    tops = make_tree(root)
    first, second = scratch / "a.json", scratch / "b.json"
    processes = [start(root, first), start(root, second)]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    a = {r.path for r in read_manifest(first).removed}
    b = {r.path for r in read_manifest(second).removed}
    assert not a & b, f"{len(a & b)} removals claimed twice"
    assert a | b == tops
