"""Category patterns: exact names, compiled patterns, nothing fnmatch-shaped."""

from __future__ import annotations

import pytest

from hephaestus.cleanup.patterns import Matcher
from hephaestus.cleanup.settings import CleanupCategory as Category

ALL = Matcher.for_categories(frozenset(Category))


@pytest.mark.parametrize(
    ("name", "is_dir", "expected"),
    [
        ("__pycache__", True, Category.python_cache),
        ("mod.cpython-311.pyc", False, Category.python_cache),
        ("mod.pyo", False, Category.python_cache),
        (".pytest_cache", True, Category.tool_caches),
        (".ipynb_checkpoints", True, Category.tool_caches),
        ("build", True, Category.build_artifacts),
        ("demo.egg-info", True, Category.build_artifacts),
        (".coverage", False, Category.coverage),
        (".coverage.host.123.456", False, Category.coverage),
        ("htmlcov", True, Category.coverage),
        ("Icon\r", False, Category.os_cruft),
        ("._photo.jpg", False, Category.os_cruft),
        ("__MACOSX", True, Category.os_cruft),
        ("node_modules", True, Category.node_modules),
    ],
)
def test_matches(name: str, is_dir: bool, expected: Category) -> None:
    """Each documented name is classified into its category."""
    assert ALL.match(name, is_dir=is_dir) is expected


@pytest.mark.parametrize(
    ("name", "is_dir"),
    [
        ("Icons", False),  # the old tool's `Icon?` deleted any five-letter Icon* name
        ("Icon", False),
        ("Iconr", False),
        ("module.py", False),
        ("pyc", False),
        (".pyc_notes", False),
        ("__pycache__", False),  # a *file* named like the directory
        ("build", False),
        ("demo.egg-info", False),
        (".coverage", True),
        ("coveragerc", False),
        ("._", False),
        ("builds", True),
        ("node_modules_backup", True),
    ],
)
def test_does_not_match(name: str, is_dir: bool) -> None:
    """Look-alikes, wrong kinds and partial names are never matched."""
    assert ALL.match(name, is_dir=is_dir) is None


def test_only_chosen_categories_match() -> None:
    """A matcher for python-cache ignores other categories' names."""
    only = Matcher.for_categories(frozenset({Category.python_cache}))
    assert only.match("__pycache__", is_dir=True) is Category.python_cache
    assert only.match(".DS_Store", is_dir=False) is None
    assert only.match("build", is_dir=True) is None
    assert Matcher.for_categories(frozenset()).match("x.pyc", is_dir=False) is None


def test_symlinks_match_either_kind() -> None:
    """A symlink named like a directory or a file category matches (it is removed as a link)."""
    assert ALL.match_link("__pycache__") is Category.python_cache
    assert ALL.match_link("x.pyc") is Category.python_cache
    assert ALL.match_link("README") is None
