"""Symlink-swap races: another process swaps directories for symlinks out of ROOT during runs.

The swapper renames directories of ROOT away and puts symlinks to OUTSIDE (full of files named
like debris) in their place, over and over, while cleanup plans and removes. Whatever it
catches, nothing outside ROOT may change.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

from hephaestus.cleanup import CleanupOptions, execute_cleanup, plan_cleanup
from hephaestus.cleanup.settings import CleanupCategory as Category

DEEP: Final = frozenset(Category) - {Category.node_modules}
RUNS: Final = 6
SECONDS: Final = 1.5
PACKAGES: Final = 24

SWAPPER: Final = r"""
import os, random, sys, time
root, outside = sys.argv[1], sys.argv[2]
names = sys.argv[3:]
while True:
    name = random.choice(names)
    place = os.path.join(root, name)
    target = outside if "/" not in name else os.path.join(outside, name.split("/", 1)[1])
    try:
        os.rename(place, place + ".moved")
    except OSError:
        continue
    try:
        os.symlink(target, place)
        time.sleep(random.random() / 5000)
        os.unlink(place)
    except OSError:
        pass
    os.rename(place + ".moved", place)
    time.sleep(random.random() / 10000)
"""


def fingerprint(top: Path) -> dict[str, str]:
    """Every path below ``top`` with its content hash or link target (links not followed)."""
    seen = {}
    for directory, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(directory, name)  # noqa: PTH118
            if os.path.islink(path):  # noqa: PTH114  # str paths from os.walk
                seen[path] = "link:" + os.readlink(path)  # noqa: PTH115
            elif os.path.isdir(path):  # noqa: PTH112
                seen[path] = "dir"
            else:
                seen[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return seen


def make_outside(top: Path) -> Path:
    """Precious files laid out exactly like a package, where the swapped-in symlinks point."""
    outside = top / "outside"
    fill(outside, b"precious")
    (outside / "precious.txt").write_text("precious")
    return outside


def fill(package: Path, data: bytes = b"x") -> None:
    """A package's debris: ``__pycache__`` and stray ``.pyc`` files, at two levels."""
    for level in (package, package / "sub"):
        (level / "__pycache__").mkdir(parents=True, exist_ok=True)
        for f in range(40):
            (level / "__pycache__" / f"m{f}.pyc").write_bytes(data)
            (level / f"s{f}.pyc").write_bytes(data)


def make_root(root: Path) -> list[str]:
    """Packages full of debris at several levels; return the names the swapper swaps."""
    (root / "pyproject.toml").parent.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[project]\n")
    swapped = []
    for p in range(PACKAGES):
        fill(root / f"p{p}")
        swapped += [f"p{p}", f"p{p}/sub"]
    return swapped


def restore(root: Path, names: list[str]) -> None:
    """Undo a swap the swapper was killed in the middle of."""
    for name in sorted(names, key=len):
        place = root / name
        if place.is_symlink():
            place.unlink()
        moved = root / f"{name}.moved"
        if moved.exists() and not place.exists():
            moved.rename(place)


def test_symlink_swaps_during_runs_never_touch_outside(tmp_path: Path) -> None:
    """6 runs with a swapper racing plan and removal: OUTSIDE is byte-for-byte unchanged."""
    outside = make_outside(tmp_path)
    before = fingerprint(outside)
    for run in range(RUNS):
        root = tmp_path / f"root{run}"
        names = make_root(root)
        plan = plan_cleanup(root, options=CleanupOptions(categories=DEEP))
        swapper = subprocess.Popen([sys.executable, "-c", SWAPPER, str(root), str(outside), *names])
        try:
            deadline = time.monotonic() + SECONDS
            execute_cleanup(plan, run_id="race", manifest=None)
            while time.monotonic() < deadline:
                again = plan_cleanup(root, options=CleanupOptions(categories=DEEP))
                execute_cleanup(again, run_id="race", manifest=None)
        finally:
            swapper.kill()
            swapper.wait()
        restore(root, names)
        assert fingerprint(outside) == before, f"run {run} touched a file outside ROOT"
