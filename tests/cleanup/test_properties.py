"""Safety properties of cleanup, proven on generated hostile trees with real git and symlinks.

Each example builds a fresh tree in its own temporary directory: ROOT (maybe a git repository,
with nested repositories, virtual environments of any name, projects with tracked build
outputs, symlinks out of ROOT, names with spaces, newlines and non-UTF-8 bytes, read-only
files) beside OUTSIDE (precious files that symlinks point at). It then plans and executes a
cleanup and compares lstat snapshots taken before and after, never following a symlink.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pathspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.gitrepo import git
from tests.strategies import file_names

from hephaestus.cleanup import CleanupOptions, execute_cleanup, plan_cleanup
from hephaestus.cleanup.models import (
    CleanupPlan,
    CleanupReport,
    EntryKind,
    SkipReason,
)
from hephaestus.cleanup.patterns import PROJECT_MARKERS, VENV_CONTAINERS
from hephaestus.cleanup.settings import CleanupCategory as Category
from hephaestus.core.errors import ExitCode, ExternalError, SafetyError
from hephaestus.core.fs import display_path

if TYPE_CHECKING:
    from collections.abc import Iterator

ALL: Final = frozenset(Category)
RUN_ID: Final = "t"

# --- snapshots --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One path as lstat sees it: kind, mode, apparent size and content (or link target)."""

    kind: str
    mode: int
    size: int
    payload: str


Snapshot = dict[str, Entry]


def snapshot(top: str) -> Snapshot:
    """Every path below ``top``, keyed by absolute path; symlinks recorded, never followed."""
    seen: Snapshot = {}
    stack = [top]
    while stack:
        with os.scandir(stack.pop()) as listing:
            for item in listing:
                info = item.stat(follow_symlinks=False)
                if stat.S_ISLNK(info.st_mode):
                    entry = Entry("link", info.st_mode, info.st_size, os.readlink(item.path))  # noqa: PTH115  # exact text
                elif stat.S_ISDIR(info.st_mode):
                    entry = Entry("dir", info.st_mode, 0, "")
                    stack.append(item.path)
                else:
                    with open(item.path, "rb") as handle:  # noqa: PTH123  # str keeps odd bytes
                        digest = hashlib.sha256(handle.read()).hexdigest()
                    entry = Entry("file", info.st_mode, info.st_size, digest)
                seen[item.path] = entry
    return seen


def under(path: str, ancestor: str) -> bool:
    """Whether ``path`` is ``ancestor`` or below it (plain strings, as the walk builds them)."""
    return path == ancestor or path.startswith(ancestor + "/")


def parent_of(path: str) -> str:
    """The directory part of a ``/``-joined path."""
    return path.rpartition("/")[0]


# --- git --------------------------------------------------------------------------------------


def ls_files(repository: str) -> set[str]:
    """Absolute paths git tracks in ``repository``, decoded from raw bytes like os.scandir."""
    raw = git(repository, "ls-files", "-z")
    return {f"{repository}/{os.fsdecode(name)}" for name in raw.split(b"\0") if name}


# --- tree generation --------------------------------------------------------------------------

CATEGORY_NAMES: Final = (
    "__pycache__",
    "x.pyc",
    "y.pyo",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    ".tox",
    ".nox",
    ".ipynb_checkpoints",
    "build",
    "dist",
    "pkg.egg-info",
    ".eggs",
    "pip-wheel-metadata",
    ".coverage",
    ".coverage.host.1",
    "coverage.xml",
    "htmlcov",
    ".DS_Store",
    "._fork",
    "Thumbs.db",
    "desktop.ini",
    "Icon\r",
    "__MACOSX",
    ".Spotlight-V100",
    ".Trashes",
    ".fseventsd",
    "node_modules",
)
DECOY_NAMES: Final = (
    "src",
    "pkg",
    "Icon1",
    "Icon",
    ".pyc",
    "x.pyc.bak",
    "build.py",
    "a b",
    "new\nline",
    "tab\tname",
    "-rf",
    "*",
    "[x]",
    "back\\slash",
    "site-packages",
    os.fsdecode(b"caf\xe9"),
    os.fsdecode(b"\xff\xfe.pyc"),
    os.fsdecode(b"__pycache__\xff"),
)
_RESERVED_PREFIXES: Final = (".git", ".hephaestus")


def _acceptable(name: str) -> bool:
    return name not in {".", ".."} and not name.startswith(_RESERVED_PREFIXES)


_RANDOM_NAMES = file_names(10).filter(_acceptable)
_DEBRIS_NAMES = st.sampled_from(CATEGORY_NAMES)
NAMES = st.one_of(_DEBRIS_NAMES, st.sampled_from(DECOY_NAMES), _RANDOM_NAMES)
PARENTS = st.lists(NAMES, max_size=3).map(tuple)
DEBRIS_DIRECTORIES = st.sampled_from(
    [
        "__pycache__",
        "build",
        "dist",
        ".pytest_cache",
        ".tox",
        "htmlcov",
        "node_modules",
        "x.egg-info",
    ]
)
DEBRIS_FILES = st.sampled_from(
    [
        "x.pyc",
        "a b.pyc",
        "new\nline.pyo",
        os.fsdecode(b"\xe9t\xe9.pyc"),
        ".coverage",
        ".coverage.\n",
        os.fsdecode(b"._\xff"),
        "Icon\r",
        ".DS_Store",
    ]
)
HOSTILE_NAMES = st.sampled_from(DECOY_NAMES) | _RANDOM_NAMES


VARIANTS: Final = st.integers(min_value=0, max_value=5)


@dataclass(frozen=True, slots=True)
class Op:
    """One thing to create: what, in which directory (below ROOT), under which name."""

    kind: str
    parent: tuple[str, ...]
    name: str
    tracked: bool
    variant: int


def ops_of(
    kind: str,
    names: st.SearchStrategy[str],
    variants: st.SearchStrategy[int] = VARIANTS,
) -> st.SearchStrategy[Op]:
    """Ops of one ``kind`` named from ``names``, placed anywhere, tracked or not."""
    return st.builds(
        Op, kind=st.just(kind), parent=PARENTS, name=names, tracked=st.booleans(), variant=variants
    )


KINDS: Final = ("file", "dir", "link-out", "link-in", "venv", "project", "repo")
REQUIRED: Final = st.tuples(
    ops_of("link-out", DEBRIS_DIRECTORIES | DEBRIS_FILES),
    ops_of("link-out", DEBRIS_DIRECTORIES, st.sampled_from([0, 2, 4, 5])),  # to directories
    ops_of("link-in", DEBRIS_DIRECTORIES),
    ops_of("venv", NAMES, st.just(0)),  # pyvenv.cfg, any name
    ops_of("venv", NAMES, st.just(1)),  # conda-meta/, any name
    ops_of("project", NAMES),
    ops_of("project", NAMES),
    ops_of("repo", NAMES),
    ops_of("dir", DEBRIS_DIRECTORIES),
    ops_of("dir", HOSTILE_NAMES),
    ops_of("file", DEBRIS_FILES),
    ops_of("file", DEBRIS_FILES, st.just(1)),  # read-only
)
"""One of each hostile feature in every example; hypothesis varies names, places and flags."""
OPS = st.builds(
    Op,
    kind=st.sampled_from(KINDS),
    parent=PARENTS,
    name=NAMES,
    tracked=st.booleans(),
    variant=VARIANTS,
)


@dataclass(slots=True)
class Tree:
    """A generated world: ROOT, OUTSIDE beside it, and what git should track."""

    top: str
    root: str
    outside: str
    repositories: list[str] = field(default_factory=list)
    tracked: list[str] = field(default_factory=list)
    read_only_directories: list[str] = field(default_factory=list)


def directory(base: str, parts: tuple[str, ...]) -> str | None:
    """Create ``base/parts…`` one level at a time; ``None`` if a part is a file or symlink.

    Never creating through a symlink is what keeps the generator itself from writing OUTSIDE.
    A missing ``base`` (always one of the test's own fixed directories) is created first.
    """
    if not os.path.lexists(base):
        os.makedirs(base)  # noqa: PTH103
    elif not stat.S_ISDIR(os.lstat(base).st_mode):
        return None
    current = base
    for part in parts:
        current = f"{current}/{part}"
        try:
            os.mkdir(current)  # noqa: PTH102  # str paths keep odd bytes exact
        except FileExistsError:
            pass
        except OSError:  # e.g. a name too long for the filesystem
            return None
        if not stat.S_ISDIR(os.lstat(current).st_mode):
            return None
    return current


def put(base: str, parts: tuple[str, ...], data: bytes = b"data") -> str | None:
    """Write a file at ``base/parts…`` unless something is already there; return its path."""
    folder = directory(base, parts[:-1])
    if folder is None:
        return None
    path = f"{folder}/{parts[-1]}"
    if os.path.lexists(path):
        return None
    with open(path, "wb") as handle:  # noqa: PTH123
        handle.write(data + b"\n" + os.fsencode(path))
    return path


def make_outside(top: str) -> str:
    """OUTSIDE: precious things, some named like debris to tempt a walker that follows links."""
    outside = f"{top}/outside"
    for parts in [
        ("precious.txt",),
        ("precious", "data.txt"),
        ("precious", "__pycache__", "keep.pyc"),
        ("precious", "build", "keep.txt"),
        ("precious", "pyproject.toml"),
        ("__pycache__", "x.pyc"),
        ("venv", "pyvenv.cfg"),
        ("venv", "lib", "__pycache__", "y.pyc"),
    ]:
        put(outside, parts, b"precious")
    return outside


def link_target(tree: Tree, op: Op, *, inward: bool) -> str:
    """Where a generated symlink points: out of ROOT, or back into it (loops included)."""
    if inward:
        return (tree.root, ".", "..", "src", f"../{op.name}", "/".join(op.parent) or ".")[
            op.variant
        ]
    return (
        f"{tree.outside}/precious",
        f"{tree.outside}/precious.txt",
        f"{tree.outside}/__pycache__",
        f"{tree.outside}/missing",
        tree.top,
        "../" * (len(op.parent) + 1) + "outside/precious",
    )[op.variant]


def make_venv(tree: Tree, path: str, op: Op) -> None:
    """A virtual (or conda) environment named ``op.name``, full of debris-looking content."""
    if op.variant % 2:
        directory(path, ("conda-meta",))
        put(path, ("conda-meta", "history"))
    else:
        put(path, ("pyvenv.cfg",), b"home = /usr/bin")
    site = ("lib", "python3.11", "site-packages")
    for parts in [
        (*site, "pip", "_internal", "operations", "build", "__init__.py"),
        (*site, "pkg", "__pycache__", "m.cpython-311.pyc"),
        (*site, "pkg.egg-info", "PKG-INFO"),
        ("__pycache__", "x.pyc"),
        ("build", "lib", "keep.py"),
        ("pyproject.toml",),
        (".coverage",),
        (".pytest_cache", "v"),
        ("Icon\r",),
    ]:
        put(path, parts)
    if op.tracked:
        tree.tracked.append(
            f"{path}/lib/python3.11/site-packages/pkg/__pycache__/m.cpython-311.pyc"
        )


def make_project(tree: Tree, folder: str, op: Op) -> None:
    """A project marker with build/, dist/ and egg-info beside it; build/ or dist/ maybe tracked."""
    marker = sorted(PROJECT_MARKERS)[op.variant % 3]
    put(folder, (marker,))
    module = put(folder, ("build", "lib", "pkg", "mod.py"))
    put(folder, ("build", "__pycache__", "mod.cpython-311.pyc"))
    wheel = put(folder, ("dist", "pkg-1.0.tar.gz"))
    put(folder, ("pkg.egg-info", "PKG-INFO"))
    if op.tracked and module:
        tree.tracked.append(module)
    if op.variant >= 3 and wheel:
        tree.tracked.append(wheel)


def make_repository(tree: Tree, path: str) -> None:
    """A nested repository: committed files named like debris, untracked caches, `.git` debris."""
    if os.path.lexists(f"{path}/.git"):
        return
    git(path, "init", "-q")
    tree.repositories.append(path)
    for parts in [(".coverage",), ("x.pyc",), ("pyproject.toml",), ("build", "keep.txt")]:
        created = put(path, parts, b"committed")
        if created:
            tree.tracked.append(created)
    for parts in [("__pycache__", "t.pyc"), ("__pycache__", "u.pyc")]:
        put(path, parts)
    tree.tracked.append(f"{path}/__pycache__/t.pyc")
    for parts in [(".pytest_cache", "v", "x"), ("sub", "__pycache__", "z.pyc"), ("._fork",)]:
        put(path, parts)
    git_debris(path)


def git_debris(repository: str) -> None:
    """Files named like debris inside `.git`, which cleanup must never enter."""
    for parts in [("__pycache__", "g.pyc"), ("build", "x"), ("x.pyc",), (".DS_Store",)]:
        put(f"{repository}/.git", parts)


def apply(tree: Tree, op: Op) -> None:  # noqa: C901, PLR0912  # one branch per kind of thing
    """Create what ``op`` describes in ``tree``, or nothing if the place is taken."""
    folder = directory(tree.root, op.parent)
    if folder is None:
        return
    path = f"{folder}/{op.name}"
    if op.kind in {"file", "link-out", "link-in"} and os.path.lexists(path):
        return
    if op.kind == "file":
        created = put(folder, (op.name,))
        if created and op.variant % 3 == 1:
            os.chmod(created, 0o444)  # noqa: PTH101
        if created and op.tracked:
            tree.tracked.append(created)
    elif op.kind in {"link-out", "link-in"}:
        target = link_target(tree, op, inward=op.kind == "link-in")
        os.symlink(target, path)  # noqa: PTH211  # str paths keep odd bytes exact
        if op.tracked:
            tree.tracked.append(path)
    elif op.kind == "project":
        make_project(tree, folder, op)
    elif directory(folder, (op.name,)) is not None:
        if op.kind == "dir":
            child = put(path, ("f",))
            put(path, ("inner.pyc",))
            if child and op.tracked:
                tree.tracked.append(child)
            if op.variant % 3 == 1:
                tree.read_only_directories.append(path)
        elif op.kind == "venv":
            make_venv(tree, path, op)
        else:
            make_repository(tree, path)


def commit(tree: Tree) -> None:
    """Add each tracked path to its nearest enclosing repository, and commit every repository."""
    repositories = set(tree.repositories)
    groups: dict[str, list[str]] = {r: [] for r in tree.repositories}
    for path in tree.tracked:
        if not os.path.lexists(path) or stat.S_ISDIR(os.lstat(path).st_mode):
            continue
        owner = parent_of(path)
        while owner not in repositories and len(owner) > len(tree.root):
            owner = parent_of(owner)
        if owner in repositories:
            groups[owner].append(path[len(owner) + 1 :])
    for repository, paths in groups.items():
        if paths:
            git(repository, "add", "-f", "--", *paths)
        git(repository, "commit", "-q", "--allow-empty", "-m", "tree")


def build(top: str, ops: list[Op], *, root_repository: bool, state: bool) -> Tree:
    """Create OUTSIDE and ROOT (a repository or not) from ``ops``."""
    tree = Tree(top=top, root=f"{top}/root", outside=make_outside(top))
    os.mkdir(tree.root)  # noqa: PTH102
    if root_repository:
        git(tree.root, "init", "-q")
        tree.repositories.append(tree.root)
        git_debris(tree.root)
    if state:
        for parts in [
            ("audit", "cleanup-old.json"),
            ("__pycache__", "x.pyc"),
            ("build", "x"),
            ("pyproject.toml",),
        ]:
            put(f"{tree.root}/.hephaestus", parts, b"state")
    for op in ops:
        apply(tree, op)
    commit(tree)
    for path in tree.read_only_directories:
        os.chmod(path, 0o555)  # noqa: PTH101, S103  # read-only, not permissive
    return tree


@dataclass(frozen=True, slots=True)
class Scenario:
    """A generated tree and the options cleanup runs with."""

    ops: list[Op]
    root_repository: bool
    state: bool
    options: CleanupOptions


SCENARIOS = st.builds(
    Scenario,
    ops=st.tuples(REQUIRED, st.lists(OPS, max_size=15)).map(lambda pair: [*pair[0], *pair[1]]),
    root_repository=st.booleans(),
    state=st.booleans(),
    options=st.builds(
        CleanupOptions,
        categories=st.frozensets(st.sampled_from(list(Category))) | st.just(ALL),
        max_depth=st.none() | st.integers(min_value=1, max_value=4),
        exclude=st.lists(
            st.sampled_from(["*.pyc", "build/", "docs/**", "a b/", "__pycache__/", "!x.pyc"]),
            max_size=2,
        ).map(tuple),
    ),
)


# --- the properties ---------------------------------------------------------------------------


def check_only_planned_paths_left(
    plan: CleanupPlan, report: CleanupReport, before: Snapshot, after: Snapshot
) -> set[str]:
    """Only planned candidates (and their contents) left the disk, and all of them did."""
    planned = [c.path for c in plan.candidates]
    assert len(planned) == len(set(planned)), "a path was planned twice"
    assert report.errors == []
    removed = {r.path for r in report.removed}
    assert removed == set(planned), "nothing changed between plan and execute: all must go"
    state = f"{plan.root}/.hephaestus"
    created = {p for p in after.keys() - before.keys() if not under(p, state)}
    assert not created, "cleanup created paths inside ROOT (other than its own state)"
    for path, entry in after.items():
        if path not in before:
            continue  # the state directory holding the cleanup lock
        assert entry == before[path], f"{path!r} survived but was modified"
    gone = before.keys() - after.keys()
    for path in gone:
        assert any(under(path, r) for r in removed), f"{path!r} was removed but never planned"
    for candidate in removed:
        assert not os.path.lexists(candidate)
        assert candidate in before, f"planned {candidate!r} did not exist"
    top_level = {p for p in gone if parent_of(p) not in gone}
    assert top_level == removed
    return removed


def check_protected(tree: Tree, report: CleanupReport, before: Snapshot, after: Snapshot) -> None:
    """Nothing in `.git`, `.hephaestus` or a virtual environment went; build/ only by a marker."""
    gone = before.keys() - after.keys()
    for path in gone:
        relative = path[len(tree.root) :]
        assert "/.git/" not in relative + "/", f"{path!r} inside .git was removed"
        assert "/.hephaestus/" not in relative + "/", f"{path!r} inside .hephaestus was removed"
    environments = {
        path
        for path, entry in before.items()
        if entry.kind == "dir"
        and (f"{path}/pyvenv.cfg" in before or f"{path}/conda-meta" in before)
    }
    # .tox/ and .nox/ are caches made of virtual environments and are removed whole, as those
    # tools themselves do (patterns.VENV_CONTAINERS); any other environment is untouchable.
    containers = {
        r.path
        for r in report.removed
        if r.kind is EntryKind.directory and r.path.rpartition("/")[2] in VENV_CONTAINERS
    }
    for environment in environments:
        if any(under(environment, c) and environment != c for c in containers):
            continue
        assert not any(under(p, environment) for p in gone), f"venv {environment!r} was touched"
    for removal in report.removed:
        name = removal.path.rpartition("/")[2]
        if removal.kind is EntryKind.directory and name in {"build", "dist"}:
            folder = parent_of(removal.path)
            assert any(f"{folder}/{m}" in before for m in PROJECT_MARKERS), removal.path


def check_tracked(tree: Tree, tracked_before: dict[str, set[str]]) -> None:
    """Every repository tracks the same paths as before, and every one of them still exists."""
    for repository, tracked in tracked_before.items():
        assert ls_files(repository) == tracked
        for path in tracked:
            assert os.path.lexists(path), f"tracked {path!r} was removed"
    assert all(os.path.lexists(r) for r in tree.repositories)


def check_options_honoured(
    root: str, options: CleanupOptions, report: CleanupReport, before: Snapshot
) -> None:
    """No removal is excluded, deeper than max_depth, or of a category not chosen."""
    spec = pathspec.GitIgnoreSpec.from_lines(options.exclude)
    for removal in report.removed:
        assert removal.category in options.categories
        parts = removal.path[len(root) + 1 :].split("/")
        if options.max_depth is not None:
            assert len(parts) <= options.max_depth
        for depth in range(1, len(parts) + 1):
            is_dir = depth < len(parts) or before[removal.path].kind == "dir"
            relative = "/".join(parts[:depth]) + ("/" if is_dir else "")
            assert not spec.match_file(relative), f"{removal.path!r} is excluded"


def check_manifest(manifest: Path, report: CleanupReport, before: Snapshot) -> None:
    """The audit manifest on disk says exactly what left the disk: paths, kinds and sizes."""
    document = json.loads(manifest.read_text(encoding="utf-8"))
    assert document["run_id"] == RUN_ID
    assert document["errors"] == []
    kinds = {"file": "file", "dir": "directory", "link": "symlink"}
    expected = []
    for removal in report.removed:
        entry = before[removal.path]
        size = (
            sum(
                e.size
                for p, e in before.items()
                if e.kind != "dir" and p.startswith(removal.path + "/")
            )
            if entry.kind == "dir"
            else entry.size
        )
        expected.append((display_path(removal.path), kinds[entry.kind], size))
    written = [(r["path"], r["kind"], r["size"]) for r in document["removed"]]
    assert sorted(written) == sorted(expected)
    freed: dict[str, list[int]] = {}
    for removal, (_, _, size) in zip(report.removed, expected, strict=True):
        count_bytes = freed.setdefault(removal.category.value, [0, 0])
        count_bytes[0] += 1
        count_bytes[1] += size
    assert {t["category"]: [t["count"], t["bytes"]] for t in document["totals"]} == freed
    assert list(manifest.parent.iterdir()) == [manifest], "a temporary file was left behind"
    for skipped in report.skipped:
        assert os.path.lexists(skipped.path), f"skipped {skipped.path!r} does not exist"
    assert sorted(s["path"] for s in document["skipped"]) == sorted(
        display_path(s.path) for s in report.skipped
    )
    assert CleanupReport.model_validate_json(manifest.read_text(encoding="utf-8")).run_id == RUN_ID


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario=SCENARIOS)
def test_cleanup_removes_only_what_it_planned_and_never_what_it_must_not(
    scenario: Scenario,
) -> None:
    """On hostile trees: only planned paths go; OUTSIDE, tracked, venv, .git paths all stay."""
    with tempfile.TemporaryDirectory(prefix="hephaestus-prop-") as temporary:
        top = os.path.realpath(temporary)
        tree = build(
            top, scenario.ops, root_repository=scenario.root_repository, state=scenario.state
        )
        tracked_before = {r: ls_files(r) for r in tree.repositories}
        before, outside_before = snapshot(tree.root), snapshot(tree.outside)

        plan = plan_cleanup(Path(tree.root), options=scenario.options)
        assert snapshot(tree.root) == before, "planning alone changed the tree"
        manifest = Path(top, "audit", "manifest.json")
        report = execute_cleanup(plan, run_id=RUN_ID, manifest=manifest)

        after = snapshot(tree.root)
        assert snapshot(tree.outside) == outside_before, "OUTSIDE was touched"
        check_only_planned_paths_left(plan, report, before, after)
        check_protected(tree, report, before, after)
        check_tracked(tree, tracked_before)
        check_options_honoured(tree.root, scenario.options, report, before)
        check_manifest(manifest, report, before)


# --- extra paths ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class World:
    """ROOT, an EXTRA directory outside it and a precious OUTSIDE, all under one temporary dir."""

    top: Path
    root: Path
    extra: Path
    outside: Path
    manifest: Path


@pytest.fixture
def world() -> Iterator[World]:
    """A fresh world with caches in ROOT and EXTRA and precious files in OUTSIDE."""
    with tempfile.TemporaryDirectory(prefix="hephaestus-world-") as temporary:
        top = Path(os.path.realpath(temporary))
        make_outside(str(top))
        root, extra = top / "root", top / "extra"
        for base in (root, extra):
            put(str(base), ("pkg", "__pycache__", "m.pyc"))
            put(str(base), ("pkg", "keep.py"), b"keep")
            put(str(base), ("pkg", "sub", "__pycache__", "n.pyc"))
        yield World(top, root, extra, top / "outside", top / "audit" / "manifest.json")


def test_extra_path_outside_root_is_cleaned_when_allowed(world: World) -> None:
    """With allow_outside_root an EXTRA outside ROOT is cleaned too; OUTSIDE stays untouched."""
    outside_before = snapshot(str(world.outside))
    (world.extra / "pkg" / "escape").symlink_to(world.outside / "__pycache__")
    (world.extra / "pkg" / "x.pyc").symlink_to(world.outside / "precious.txt")
    options = CleanupOptions(extra_paths=(world.extra,), allow_outside_root=True)
    plan = plan_cleanup(world.root, options=options)
    assert plan.outside_root == [str(world.extra)]
    assert plan.bases == [str(world.root), str(world.extra)]
    report = execute_cleanup(plan, run_id=RUN_ID, manifest=world.manifest)
    assert {r.path for r in report.removed} == {
        f"{world.root}/pkg/__pycache__",
        f"{world.root}/pkg/sub/__pycache__",
        f"{world.extra}/pkg/__pycache__",
        f"{world.extra}/pkg/sub/__pycache__",
        f"{world.extra}/pkg/x.pyc",
    }
    assert (world.extra / "pkg" / "keep.py").exists()
    assert (world.extra / "pkg" / "escape").is_symlink()
    assert snapshot(str(world.outside)) == outside_before


@pytest.mark.parametrize("spelling", ["direct", "dotdot", "symlink-in-root"])
def test_extra_path_outside_root_is_refused_before_anything_is_removed(
    world: World, spelling: str
) -> None:
    """Without allow_outside_root, an EXTRA outside ROOT (however spelled) is refused: exit 3."""
    link = world.root / "looks-inside"
    link.symlink_to(world.extra)
    extra = {
        "direct": world.extra,
        "dotdot": world.root / "pkg" / ".." / ".." / "extra",
        "symlink-in-root": link,
    }[spelling]
    before = snapshot(str(world.top))
    with pytest.raises(SafetyError) as caught:
        plan_cleanup(world.root, options=CleanupOptions(extra_paths=(extra,)))
    assert caught.value.exit_code is ExitCode.SAFETY
    assert caught.value.code == "outside-root"
    assert snapshot(str(world.top)) == before


@pytest.mark.parametrize("dangerous", ["/", "/usr", "/usr/lib", "/etc/..", "$HOME"])
def test_dangerous_extra_path_is_refused_even_when_outside_root_is_allowed(
    world: World, dangerous: str
) -> None:
    """allow_outside_root never lets the filesystem root, home or a system directory through."""
    before = snapshot(str(world.top))
    extra = Path(os.path.expandvars(dangerous))
    options = CleanupOptions(extra_paths=(extra,), allow_outside_root=True)
    with pytest.raises(SafetyError) as caught:
        plan_cleanup(world.root, options=options)
    assert caught.value.exit_code is ExitCode.SAFETY
    assert caught.value.code == "dangerous-path"
    assert snapshot(str(world.top)) == before


def test_overlapping_extra_paths_are_walked_once(world: World) -> None:
    """An EXTRA inside another EXTRA, or holding ROOT, plans each path once and reports it once."""
    options = CleanupOptions(
        extra_paths=(world.extra, world.extra / "pkg", world.top), allow_outside_root=True
    )
    plan = plan_cleanup(world.root, options=options)
    planned = [c.path for c in plan.candidates]
    assert len(planned) == len(set(planned))
    report = execute_cleanup(plan, run_id=RUN_ID, manifest=world.manifest)
    assert not [s for s in report.skipped if s.reason is SkipReason.vanished]
    assert all(os.path.lexists(s.path) for s in report.skipped)


# --- swaps between plan and execute ------------------------------------------------------------


def _python_cache_plan(world: World) -> CleanupPlan:
    plan = plan_cleanup(world.root, options=CleanupOptions(categories=ALL))
    assert f"{world.root}/pkg/__pycache__" in {c.path for c in plan.candidates}
    return plan


def test_directory_swapped_for_a_symlink_after_planning_is_not_followed(world: World) -> None:
    """A planned `__pycache__/` swapped for a link to OUTSIDE is skipped as "changed"."""
    outside_before = snapshot(str(world.outside))
    plan = _python_cache_plan(world)
    cache = world.root / "pkg" / "__pycache__"
    cache.rename(world.top / "moved-away")
    cache.symlink_to(world.outside / "__pycache__", target_is_directory=True)
    report = execute_cleanup(plan, run_id=RUN_ID, manifest=world.manifest)
    assert snapshot(str(world.outside)) == outside_before
    assert cache.is_symlink()
    changed = [s for s in report.skipped if s.path == str(cache)]
    assert [s.reason for s in changed] == [SkipReason.changed]
    assert str(cache) not in {r.path for r in report.removed}
    assert not (world.root / "pkg" / "sub" / "__pycache__").exists()


def test_parent_swapped_for_a_symlink_after_planning_is_not_followed(world: World) -> None:
    """A candidate's parent replaced by a link to OUTSIDE: skipped as "changed", OUTSIDE intact."""
    decoy = world.outside / "decoy"
    put(str(decoy), ("__pycache__", "m.pyc"), b"precious")
    put(str(decoy), ("sub", "__pycache__", "n.pyc"), b"precious")
    outside_before = snapshot(str(world.outside))
    plan = _python_cache_plan(world)
    package = world.root / "pkg"
    package.rename(world.root / "pkg-moved")
    package.symlink_to(decoy, target_is_directory=True)
    report = execute_cleanup(plan, run_id=RUN_ID, manifest=world.manifest)
    assert snapshot(str(world.outside)) == outside_before
    reasons = {s.path: s.reason for s in report.skipped}
    assert reasons[f"{package}/__pycache__"] is SkipReason.changed
    assert reasons[f"{package}/sub/__pycache__"] is SkipReason.changed
    assert report.removed == []
    assert (world.root / "pkg-moved" / "__pycache__" / "m.pyc").exists()


def test_subdirectory_swapped_for_a_symlink_inside_a_candidate_is_not_followed(
    world: World,
) -> None:
    """A directory in a planned tree swapped for a link to OUTSIDE: the link goes, OUTSIDE stays."""
    put(str(world.root), ("pkg", "__pycache__", "deep", "f.pyc"))
    outside_before = snapshot(str(world.outside))
    plan = _python_cache_plan(world)
    deep = world.root / "pkg" / "__pycache__" / "deep"
    deep.rename(world.top / "deep-moved")
    deep.symlink_to(world.outside / "precious", target_is_directory=True)
    report = execute_cleanup(plan, run_id=RUN_ID, manifest=world.manifest)
    assert f"{world.root}/pkg/__pycache__" in {r.path for r in report.removed}
    assert not os.path.lexists(world.root / "pkg" / "__pycache__")
    assert snapshot(str(world.outside)) == outside_before


def test_file_swapped_for_a_symlink_after_planning_is_skipped(world: World) -> None:
    """A planned `x.pyc` file replaced by a link to an OUTSIDE file is skipped as "changed"."""
    put(str(world.root), ("x.pyc",))
    outside_before = snapshot(str(world.outside))
    plan = _python_cache_plan(world)
    planned = world.root / "x.pyc"
    planned.unlink()
    planned.symlink_to(world.outside / "precious.txt")
    report = execute_cleanup(plan, run_id=RUN_ID, manifest=world.manifest)
    assert {s.path: s.reason for s in report.skipped}[str(planned)] is SkipReason.changed
    assert planned.is_symlink()
    assert snapshot(str(world.outside)) == outside_before


def test_symlink_swapped_for_a_directory_after_planning_is_skipped(world: World) -> None:
    """A planned `__pycache__` link replaced by a real directory is left alone as "changed"."""
    link = world.root / "lib" / "__pycache__"
    link.parent.mkdir()
    link.symlink_to(world.outside / "__pycache__")
    plan = _python_cache_plan(world)
    link.unlink()
    put(str(world.root), ("lib", "__pycache__", "new.pyc"), b"new")
    report = execute_cleanup(plan, run_id=RUN_ID, manifest=world.manifest)
    assert {s.path: s.reason for s in report.skipped}[str(link)] is SkipReason.changed
    assert (link / "new.pyc").exists()


def test_vanished_candidate_is_fine_and_reported(world: World) -> None:
    """A candidate removed by someone else after planning is reported "vanished", not an error."""
    plan = _python_cache_plan(world)
    cache = world.root / "pkg" / "__pycache__"
    (cache / "m.pyc").unlink()
    cache.rmdir()
    report = execute_cleanup(plan, run_id=RUN_ID, manifest=world.manifest)
    assert report.errors == []
    assert {s.path: s.reason for s in report.skipped}[str(cache)] is SkipReason.vanished


# --- git: submodules and names git must report exactly ------------------------------------------


def test_submodule_tracked_files_survive_and_its_caches_go(world: World) -> None:
    """Files a submodule tracks (even `.pyc`, `build/`) stay; its untracked caches are removed."""
    library = world.top / "library"
    library.mkdir()
    git(library, "init", "-q")
    for parts in [("lib.py",), ("cache", "tracked.pyc"), ("build", "keep.txt"), (".coverage",)]:
        put(str(library), parts, b"committed")
    put(str(library), ("pyproject.toml",), b"committed")
    git(library, "add", "-f", "--", ".")
    git(library, "commit", "-q", "-m", "library")
    git(world.root, "init", "-q")
    git(
        world.root,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(library),
        "sub",
    )
    git(world.root, "commit", "-q", "-m", "submodule")
    put(str(world.root), ("sub", "__pycache__", "u.pyc"))
    put(str(world.root), ("sub", "cache", "untracked.pyc"))
    tracked = ls_files(str(world.root / "sub"))
    plan = plan_cleanup(world.root, options=CleanupOptions(categories=ALL))
    report = execute_cleanup(plan, run_id=RUN_ID, manifest=world.manifest)
    assert all(os.path.lexists(p) for p in tracked)
    assert ls_files(str(world.root / "sub")) == tracked
    removed = {r.path for r in report.removed}
    assert f"{world.root}/sub/__pycache__" in removed
    assert f"{world.root}/sub/cache/untracked.pyc" in removed
    assert os.path.lexists(world.root / "sub" / ".git")


def test_tracked_names_with_carriage_returns_survive(world: World) -> None:
    """A committed macOS `Icon` file (name ends in a carriage return) and `a<CR>.pyc` stay."""
    git(world.root, "init", "-q")
    committed = [put(str(world.root), (name,), b"committed") for name in ("Icon\r", "a\r.pyc")]
    git(world.root, "add", "-f", "--", "Icon\r", "a\r.pyc")
    git(world.root, "commit", "-q", "-m", "icons")
    plan = plan_cleanup(world.root, options=CleanupOptions(categories=ALL))
    execute_cleanup(plan, run_id=RUN_ID, manifest=world.manifest)
    assert all(p is not None and os.path.lexists(p) for p in committed)


# --- rules the walk applies that deletion inside a candidate must apply too ----------------------


def test_hephaestus_state_inside_a_candidate_is_never_removed(world: World) -> None:
    """A `.hephaestus/` (audit manifests) nested in a debris directory is not deleted with it."""
    state = put(str(world.root), ("pkg", "__pycache__", ".hephaestus", "audit", "old.json"))
    plan = plan_cleanup(world.root, options=CleanupOptions(categories=ALL))
    execute_cleanup(plan, run_id=RUN_ID, manifest=world.manifest)
    assert state is not None
    assert os.path.lexists(state)


@pytest.mark.parametrize("name", ["build", "dist"])
def test_build_symlink_without_a_project_marker_is_kept(world: World, name: str) -> None:
    """A `build`/`dist` symlink with no project marker beside it is not a build output: it stays."""
    link = world.root / "pkg" / name
    link.symlink_to(world.outside / "precious")
    plan = plan_cleanup(world.root, options=CleanupOptions(categories=ALL))
    execute_cleanup(plan, run_id=RUN_ID, manifest=world.manifest)
    assert link.is_symlink()


def test_planning_fails_closed_when_git_cannot_answer(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A repository and no git on PATH: planning raises (exit 5) instead of assuming "untracked"."""
    git(world.root, "init", "-q")
    put(str(world.root), ("x.pyc",), b"committed")
    git(world.root, "add", "-f", "--", "x.pyc")
    git(world.root, "commit", "-q", "-m", "tracked pyc")
    empty = world.top / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    before = snapshot(str(world.root))
    with pytest.raises(ExternalError) as caught:
        plan_cleanup(world.root, options=CleanupOptions(categories=ALL))
    assert caught.value.exit_code is ExitCode.EXTERNAL
    assert snapshot(str(world.root)) == before
