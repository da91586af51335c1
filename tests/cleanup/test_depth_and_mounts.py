"""fd-relative safety: any depth (beyond PATH_MAX) and never across a mount point.

Trees deeper than PATH_MAX (4,096 bytes) cannot be made or checked by path: they are built and
inspected here through directory descriptors, as cleanup itself now walks them.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.cleanup.conftest import make
from tests.gitrepo import git

from hephaestus.cleanup import CleanupOptions, execute_cleanup, plan_cleanup
from hephaestus.cleanup.models import SkipReason
from hephaestus.cleanup.settings import CleanupCategory as Category
from hephaestus.core.errors import ExitCode

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.conftest import Cli

DEEP: Final = frozenset(Category) - {Category.node_modules}
PATH_MAX: Final = 4096
PROTECTED: Final = ("pyvenv.cfg", "conda-meta", ".git", ".hephaestus")


def make_chain(top: str, names: list[str]) -> int:
    """Create ``top/names[0]/names[1]/…`` through descriptors; return the deepest one, open."""
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    for name in names:
        os.mkdir(name, dir_fd=fd)
        child = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = child
    return fd


def write_at(fd: int, name: str, data: bytes = b"precious") -> None:
    """Create file ``name`` in the open directory ``fd``."""
    handle = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(handle, data)
    os.close(handle)


def exists_at(top: str, parts: list[str]) -> bool:
    """Whether ``top/parts…`` exists, looked up component by component (any depth)."""
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in parts[:-1]:
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = child
        os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    finally:
        os.close(fd)
    return True


@contextlib.contextmanager
def scratch() -> Iterator[str]:
    """A fresh directory per example, removed afterwards through descriptors."""
    with tempfile.TemporaryDirectory(prefix="hephaestus-deep-") as top:
        yield top


SEGMENT = st.integers(min_value=40, max_value=255).map(lambda n: "d" * n)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    segments=st.lists(SEGMENT, min_size=1, max_size=4),
    marker=st.sampled_from(PROTECTED),
    container=st.sampled_from(["build", "dist", "pkg.egg-info", "__pycache__", ".pytest_cache"]),
    beyond=st.integers(min_value=0, max_value=2000),
)
def test_protection_holds_beyond_path_max(
    segments: list[str], marker: str, container: str, beyond: int
) -> None:
    """A venv, conda env, nested .git or state deeper than PATH_MAX inside a candidate is kept.

    Debris at the same depth outside any candidate is found and removed: the walk and the
    removal reach where paths cannot.
    """
    with scratch() as top:
        root = f"{top}/root"
        os.mkdir(root)  # noqa: PTH102  # str paths, as the descriptors below
        with open(f"{root}/pyproject.toml", "w") as handle:  # noqa: PTH123
            handle.write("[project]\n")
        names: list[str] = []
        while len("/".join(names)) < PATH_MAX + beyond:
            names += segments
        keep = [container, *names, "env", marker]
        fd = make_chain(root, keep)
        write_at(fd, "inside")
        os.close(fd)
        debris = ["plain", *names, "__pycache__", "x.pyc"]
        fd = make_chain(root, debris[:-1])
        write_at(fd, "x.pyc", b"debris")
        os.close(fd)

        plan = plan_cleanup(Path(root), options=CleanupOptions(categories=DEEP))
        kept = {s.path: s.reason for s in plan.skipped}
        assert f"{root}/{container}" not in {c.path for c in plan.candidates}
        assert kept[f"{root}/{container}"] in {
            SkipReason.contains_virtual_environment,
            SkipReason.contains_repository,
            SkipReason.contains_state,
        }
        report = execute_cleanup(plan, run_id="t", manifest=None)
        assert exists_at(root, [*keep, "inside"]), "protected content beyond PATH_MAX was removed"
        assert not exists_at(root, debris[:-1]), "debris beyond PATH_MAX was not removed"
        assert report.errors == []


def test_unreadable_directory_inside_a_candidate_keeps_it(tmp_path: Path) -> None:
    """A candidate holding something the walk cannot open is kept whole and reported."""
    root = tmp_path / "root"
    (root / "__pycache__" / "locked").mkdir(parents=True)
    (root / "__pycache__" / "x.pyc").write_text("x")
    real_open = os.open

    def refusing(path: str, flags: int, *args: object, **kwargs: object) -> int:
        # root reads everything, so the one error root can meet is simulated here
        if path == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "open", refusing)
        plan = plan_cleanup(root, options=CleanupOptions(categories=DEEP))
    assert str(root / "__pycache__") not in {c.path for c in plan.candidates}
    (skip,) = [s for s in plan.skipped if s.path == str(root / "__pycache__")]
    assert skip.reason is SkipReason.unreadable
    assert skip.detail == str(root / "__pycache__" / "locked")


# --- mount points -----------------------------------------------------------------------------


@contextlib.contextmanager
def bind(source: Path, target: Path) -> Iterator[None]:
    """Bind-mount ``source`` on ``target`` for the duration; skip if mounting is not allowed."""
    done = subprocess.run(
        ["mount", "--bind", str(source), str(target)], capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {done.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(target)], check=True)


def outside_tree(top: Path) -> Path:
    """Precious files that look like debris, on the far side of a mount."""
    outside = top / "outside"
    for relative in ["precious.txt", "__pycache__/keep.pyc", "x.pyc", "build/keep", ".coverage"]:
        (outside / relative).parent.mkdir(parents=True, exist_ok=True)
        (outside / relative).write_text("precious")
    return outside


def snapshot(top: Path) -> set[str]:
    """Every path below ``top``."""
    return {str(p) for p in top.rglob("*")}


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        ("build/mnt", SkipReason.contains_mount_point),
        ("__pycache__", SkipReason.mount_point),
        ("src/mnt", SkipReason.mount_point),
        ("src/__pycache__/deep/mnt", SkipReason.contains_mount_point),
    ],
)
def test_mount_point_is_never_crossed(tmp_path: Path, where: str, reason: SkipReason) -> None:
    """A bind mount anywhere in the tree is kept and reported; nothing behind it is touched."""
    outside = outside_tree(tmp_path)
    root = tmp_path / "root"
    (root / "src" / "__pycache__").mkdir(parents=True)
    (root / "src" / "__pycache__" / "y.pyc").write_text("x")
    (root / "pyproject.toml").write_text("[project]\n")
    (root / "build").mkdir()
    (root / where).mkdir(parents=True, exist_ok=True)
    before = snapshot(outside)
    with bind(outside, root / where):
        plan = plan_cleanup(root, options=CleanupOptions(categories=DEEP))
        skipped = {s.path: s.reason for s in plan.skipped}
        kept = next(p for p in skipped if (root / where).as_posix().startswith(p))
        assert skipped[kept] is reason
        execute_cleanup(plan, run_id="t", manifest=None)
        assert snapshot(outside) == before
        assert (root / where / "precious.txt").exists()


def test_mount_appearing_after_the_plan_is_not_crossed(tmp_path: Path) -> None:
    """A mount made inside a candidate between plan and removal stops the removal there."""
    outside = outside_tree(tmp_path)
    root = tmp_path / "root"
    (root / "__pycache__" / "sub").mkdir(parents=True)
    (root / "__pycache__" / "a.pyc").write_text("x")
    plan = plan_cleanup(root, options=CleanupOptions(categories=DEEP))
    assert [c.path for c in plan.candidates] == [str(root / "__pycache__")]
    before = snapshot(outside)
    with bind(outside, root / "__pycache__" / "sub"):
        report = execute_cleanup(plan, run_id="t", manifest=None)
        assert snapshot(outside) == before
        (error,) = report.errors
        assert "mount point" in error.message
        assert report.removed == []


def test_git_cannot_answer_for_a_repository_beyond_path_max(tmp_path: Path) -> None:
    """A nested repository too deep for git to run in is kept whole, not a failed run."""
    root = tmp_path / "root"
    root.mkdir()
    git(root, "init", "-q")
    names = ["n" * 200] * 22
    fd = make_chain(str(root), names)
    os.mkdir(".git", dir_fd=fd)
    os.mkdir("__pycache__", dir_fd=fd)
    os.close(fd)
    plan = plan_cleanup(root, options=CleanupOptions(categories=DEEP))
    assert plan.candidates == []
    assert any(s.reason is SkipReason.unreadable for s in plan.skipped)


def test_tree_deeper_than_the_descriptor_limit_is_kept_not_a_crash(tmp_path: Path) -> None:
    """A build/ deeper than the open-descriptor limit is kept as unreadable; with room, it goes."""
    import resource  # noqa: PLC0415  # POSIX only, like the rest of this module

    root = tmp_path / "root"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\n")
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    # siblings (listed before or after, as the directory hashes them) keep ancestors open
    for level, name in enumerate(["build", *["d"] * 600]):
        os.mkdir(name, dir_fd=fd)
        for sibling in range(3):
            os.mkdir(f"s{level}-{sibling}", dir_fd=fd)
        child = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = child
    write_at(fd, "deep.pyc")
    os.close(fd)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (48, hard))
    try:
        plan = plan_cleanup(root, options=CleanupOptions(categories=DEEP))
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    (kept,) = [s for s in plan.skipped if s.path == str(root / "build")]
    assert kept.reason is SkipReason.unreadable
    assert plan.candidates == []
    plan = plan_cleanup(root, options=CleanupOptions(categories=DEEP))
    assert str(root / "build") in [c.path for c in plan.candidates]
    report = execute_cleanup(plan, run_id="t", manifest=None)
    assert report.errors == []
    assert not (root / "build").exists()


@contextlib.contextmanager
def read_only(tree: Path, view: Path) -> Iterator[None]:
    """Show ``tree`` read-only at ``view`` (a read-only bind mount); skip if not allowed."""
    view.mkdir()
    with bind(tree, view):
        done = subprocess.run(
            ["mount", "-o", "remount,ro,bind", str(view)], capture_output=True, check=False
        )
        if done.returncode != 0:
            pytest.skip(f"cannot remount read-only here: {done.stderr.decode().strip()}")
        yield


@pytest.mark.parametrize("state", ["absent", "present"])
def test_a_read_only_tree_is_a_usage_error_not_a_crash(
    tmp_path: Path, cli: Cli, state: str
) -> None:
    """No state directory can be made (or no lock taken): exit 2, one line, nothing removed."""
    tree = tmp_path / "tree"
    make(tree, {"pyproject.toml": "[project]\n", "pkg/__pycache__/m.pyc": "x"})
    if state == "present":
        (tree / ".hephaestus").mkdir()
    before = sorted(p.relative_to(tree) for p in tree.rglob("*"))
    view = tmp_path / "view"
    manifest = tmp_path / "manifest.json"  # outside the read-only tree: only the lock fails
    with read_only(tree, view):
        outcome = cli("cleanup", "--yes", str(view), "--audit-manifest", str(manifest))
    assert outcome.exit_code == ExitCode.USAGE
    first, hint = outcome.stderr.splitlines()
    assert first.startswith(f"error: cannot write the state directory {view}/.hephaestus: ")
    assert first.endswith("; nothing was removed")
    assert hint.startswith("hint: ")
    assert sorted(p.relative_to(tree) for p in tree.rglob("*")) == before
