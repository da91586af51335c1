from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest
from tests.gitrepo import git

from hephaestus.gates.inputs import input_listing, input_universe, repository_files, select

if TYPE_CHECKING:
    from pathlib import Path


def put(root: Path, name: str, data: bytes = b"x\n") -> None:
    """Write ``data`` to ``root/name``, creating its directories."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with tracked, untracked and ignored files, environments and tool state."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    put(root, ".gitignore", b"generated/\n*.dat\n.venv/\nbuild/\n__pycache__/\n.mypy_cache/\n")
    put(root, "src/pkg/mod.py")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "init")
    put(root, "untracked.py")
    put(root, "generated/schema.py")  # ignored, imported by checked code
    put(root, "generated/deep/data.json")
    put(root, "tests/data/sample.dat")  # ignored test data
    put(root, "build/lib/pkg/mod.py")
    put(root, ".venv/pyvenv.cfg")
    put(root, ".venv/lib/site.py")
    put(root, "env/pyvenv.cfg")  # an environment that no ignore rule covers
    put(root, "env/lib/site.py")
    put(root, "build/venv/pyvenv.cfg")  # an environment inside an ignored directory
    put(root, "build/venv/lib/site.py")
    put(root, "conda/conda-meta/history")
    put(root, "conda/lib/site.py")
    put(root, "node_modules/left-pad/index.js")
    put(root, ".tox/py311/x.py")
    put(root, "src/pkg/__pycache__/mod.cpython-311.pyc")
    put(root, ".mypy_cache/3.11/mod.json")
    put(root, ".hephaestus/cache/gates/x.json")
    put(root, ".hg/store")
    put(root, ".coverage")
    put(root, "src/pkg/stray.pyc")
    return root


def test_universe_holds_tracked_untracked_and_ignored_files(repo: Path) -> None:
    """Every file a tool may read is listed; environments, VCS data and tool state are not."""
    assert input_universe(repo) == (
        ".gitignore",
        "build/lib/pkg/mod.py",
        "generated/deep/data.json",
        "generated/schema.py",
        "src/pkg/mod.py",
        "tests/data/sample.dat",
        "untracked.py",
    )


def test_listing_marks_what_git_ignores(repo: Path) -> None:
    """The ignored files are exactly the universe minus what gates check (repository_files)."""
    listing = input_listing(repo)
    assert listing.files == input_universe(repo)
    assert listing.ignored == set(listing.files) - set(repository_files(repo))
    assert "generated/deep/data.json" in listing.ignored  # below an ignored directory


def test_repository_files_stay_what_gates_check(repo: Path) -> None:
    """repository_files keeps listing tracked and untracked-not-ignored files only."""
    assert "generated/schema.py" not in repository_files(repo)
    assert {"src/pkg/mod.py", "untracked.py"} <= set(repository_files(repo))


def test_nested_repository_is_walked_without_its_git_data(repo: Path) -> None:
    """A repository inside the root counts by its files, never by its .git directory."""
    nested = repo / "vendor" / "lib"
    nested.mkdir(parents=True)
    git(nested, "init", "-q")
    put(nested, "code.py")
    universe = input_universe(repo)
    assert "vendor/lib/code.py" in universe
    assert not [p for p in universe if "/.git" in p]


def test_submodule_like_git_file_is_not_an_input(repo: Path) -> None:
    """A ``.git`` file (linked work tree, submodule) is VCS data, wherever it is."""
    put(repo, "generated/linked/.git", b"gitdir: /elsewhere\n")
    put(repo, "generated/linked/code.py")
    universe = input_universe(repo)
    assert "generated/linked/code.py" in universe
    assert "generated/linked/.git" not in universe


def test_symlinks_are_listed_never_followed(repo: Path, tmp_path: Path) -> None:
    """A link to a directory outside root is one entry; what it points to is not walked."""
    outside = tmp_path / "outside"
    put(outside, "secret.py")
    (repo / "generated" / "link").symlink_to(outside)
    (repo / "loop").symlink_to(repo)
    universe = input_universe(repo)
    assert {"generated/link", "loop"} <= set(universe)
    assert not [p for p in universe if p.startswith(("generated/link/", "loop/"))]


def test_without_git_the_tree_is_walked_with_the_same_pruning(tmp_path: Path) -> None:
    """Outside a repository every file counts, hidden ones too, minus the pruned directories."""
    root = tmp_path / "plain"
    for name in ("a.py", ".config.toml", "data/x.bin", ".venv/pyvenv.cfg", "venv2/pyvenv.cfg"):
        put(root, name)
    put(root, ".git/config")
    put(root, "pkg/__pycache__/a.pyc")
    assert input_universe(root) == (".config.toml", "a.py", "data/x.bin")


def test_git_redirecting_variables_cannot_point_elsewhere(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIT_DIR and friends from a hook are dropped: git answers for root's repository only."""
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    put(other, "elsewhere.py")
    git(other, "add", ".")
    git(other, "commit", "-q", "-m", "other")
    expected, checked = input_universe(repo), repository_files(repo)
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other / ".git" / "index"))
    assert input_universe(repo) == expected
    assert repository_files(repo) == checked


def test_names_that_are_not_utf8_round_trip(repo: Path) -> None:
    """A file name with bytes that are not UTF-8 is listed as os.fsdecode gives it."""
    name = os.fsdecode(b"generated/caf\xe9.py")
    put(repo, name)
    assert name in input_universe(repo)


def test_select_always_includes_pyproject() -> None:
    """Patterns select gitignore-style, and pyproject.toml is always an input."""
    files = ["a.py", "docs/b.md", "pyproject.toml", "sub/pyproject.toml", "c.txt"]
    assert select(files, ["*.py"]) == ["a.py", "pyproject.toml", "sub/pyproject.toml"]
    assert select(files, ["*"]) == files
