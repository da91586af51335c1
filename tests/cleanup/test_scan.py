"""plan_cleanup: one walk, the right candidates, every trap skipped with its reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hephaestus.cleanup import CleanupOptions, plan_cleanup
from hephaestus.cleanup.models import CleanupPlan, EntryKind, SkipReason
from hephaestus.cleanup.settings import CleanupCategory as Category
from hephaestus.core.errors import ExitCode, SafetyError, UsageError
from hephaestus.core.progress import NullProgress

DEEP = frozenset(Category) - {Category.node_modules}


def _relative(plan: CleanupPlan) -> set[str]:
    return {os.path.relpath(c.path, plan.root) for c in plan.candidates}


def _skips(plan: CleanupPlan) -> dict[str, SkipReason]:
    return {os.path.relpath(s.path, plan.root): s.reason for s in plan.skipped}


def test_deep_clean_plan(repo: Path) -> None:
    """--deep-clean plans exactly the debris, not the traps."""
    plan = plan_cleanup(repo, options=CleanupOptions(categories=DEEP))
    assert _relative(plan) == {
        "src/demo/__pycache__",
        "src/demo/build/__pycache__",
        "src/stray.pyc",
        "src/stray.pyo",
        ".pytest_cache",
        ".mypy_cache",
        ".tox",
        "build",
        "dist",
        "demo.egg-info",
        ".coverage",
        ".coverage.host.1.2",
        "coverage.xml",
        "htmlcov",
        ".DS_Store",
        "._resource",
        "Icon\r",
    }


def test_traps_are_skipped_with_reasons(repo: Path) -> None:
    """Tracked build/, venvs by content, and build/ without a project marker are reported."""
    skips = _skips(plan_cleanup(repo, options=CleanupOptions(categories=DEEP)))
    assert skips["src/demo/build"] is SkipReason.tracked
    assert skips["env-3.12"] is SkipReason.virtual_environment
    assert skips["conda"] is SkipReason.virtual_environment
    assert skips["docs/build"] is SkipReason.no_project_marker


def test_default_categories(repo: Path) -> None:
    """Out of the box: python-cache, tool-caches and os-cruft only."""
    plan = plan_cleanup(repo, options=CleanupOptions())
    assert {c.category for c in plan.candidates} == {
        Category.python_cache,
        Category.tool_caches,
        Category.os_cruft,
    }
    assert "build" not in _relative(plan)


def test_node_modules_only_when_chosen(repo: Path) -> None:
    """node_modules is neither entered nor removed unless its category is chosen."""
    plan = plan_cleanup(repo, options=CleanupOptions(categories=frozenset(Category)))
    assert "node_modules" in _relative(plan)
    assert not any(p.startswith("node_modules/") for p in _relative(plan))
    deep = plan_cleanup(repo, options=CleanupOptions(categories=DEEP))
    assert not any("node_modules" in p for p in _relative(deep))


def test_sizes_and_totals(repo: Path) -> None:
    """Candidates carry their apparent size; totals add up per category."""
    plan = plan_cleanup(repo, options=CleanupOptions(categories=DEEP))
    by_path = {os.path.relpath(c.path, repo): c for c in plan.candidates}
    assert by_path["dist"].size == len("wheel")
    assert by_path["dist"].entries == 2
    assert by_path["dist"].kind is EntryKind.directory
    assert by_path[".coverage"].kind is EntryKind.file
    for total in plan.totals:
        mine = [c for c in plan.candidates if c.category is total.category]
        assert (total.count, total.bytes) == (len(mine), sum(c.size for c in mine))


def test_exclude_patterns(repo: Path) -> None:
    """gitignore-style excludes keep matching paths and everything below them."""
    options = CleanupOptions(categories=DEEP, exclude=("src/", "*.xml"))
    plan = plan_cleanup(repo, options=options)
    assert not any(p.startswith("src") for p in _relative(plan))
    assert "coverage.xml" not in _relative(plan)
    assert _skips(plan)["src"] is SkipReason.excluded


def test_max_depth(repo: Path) -> None:
    """--max-depth 1 looks only at the root's own entries."""
    plan = plan_cleanup(repo, options=CleanupOptions(categories=DEEP, max_depth=1))
    assert all("/" not in p for p in _relative(plan))
    assert ".mypy_cache" in _relative(plan)


def test_symlinks_are_links_never_followed(repo: Path, tmp_path: Path) -> None:
    """A matching symlink is planned as a link; a symlinked directory is never entered."""
    outside = tmp_path / "outside"
    (outside / "__pycache__").mkdir(parents=True)
    (repo / "linked").symlink_to(outside)
    (repo / "src" / "__pycache__").symlink_to(outside / "__pycache__")
    plan = plan_cleanup(repo, options=CleanupOptions(categories=DEEP))
    kinds = {os.path.relpath(c.path, repo): c.kind for c in plan.candidates}
    assert kinds["src/__pycache__"] is EntryKind.symlink
    assert not any(p.startswith("linked") for p in kinds)


def test_nested_repository_tracked_files_survive(repo: Path) -> None:
    """A nested repository's tracked files are protected even when they match a category."""
    from tests.gitrepo import git  # noqa: PLC0415

    nested = repo / "vendor" / "lib"
    nested.mkdir(parents=True)
    git(nested, "init", "-q")
    (nested / "committed.pyc").write_text("kept on purpose")
    (nested / "stray.pyc").write_text("debris")
    git(nested, "add", "committed.pyc")
    git(nested, "commit", "-q", "-m", "x")
    plan = plan_cleanup(repo, options=CleanupOptions(categories=DEEP))
    assert "vendor/lib/stray.pyc" in _relative(plan)
    assert _skips(plan)["vendor/lib/committed.pyc"] is SkipReason.tracked


def test_candidate_holding_a_repository_or_venv_is_skipped(repo: Path) -> None:
    """A dist/ holding a .git, or a build/ that is a venv, is never planned."""
    (repo / "dist" / ".git").mkdir()
    (repo / "build" / "pyvenv.cfg").write_text("home = /usr\n")
    skips = _skips(plan_cleanup(repo, options=CleanupOptions(categories=DEEP)))
    assert skips["dist"] is SkipReason.contains_repository
    assert skips["build"] is SkipReason.virtual_environment


def test_progress_counts_scanned_entries(repo: Path) -> None:
    """The progress sink receives every scanned entry."""

    class Counting(NullProgress):
        def __init__(self) -> None:
            self.seen = 0

        def advance(self, n: int = 1) -> None:
            self.seen += n

    progress = Counting()
    plan = plan_cleanup(repo, options=CleanupOptions(), progress=progress)
    assert progress.seen == plan.scanned > 0


@pytest.mark.parametrize("path", ["/", "/usr", "/etc/ssl"])
def test_dangerous_roots_refused(path: str) -> None:
    """The library itself refuses dangerous roots with exit code 3."""
    with pytest.raises(SafetyError) as refused:
        plan_cleanup(Path(path), options=CleanupOptions())
    assert refused.value.exit_code == ExitCode.SAFETY


def test_home_refused(tmp_path: Path) -> None:
    """The home directory (and its ancestors) is refused."""
    with pytest.raises(SafetyError, match="home directory"):
        plan_cleanup(Path.home(), options=CleanupOptions())
    with pytest.raises(SafetyError, match="home directory"):
        plan_cleanup(tmp_path, options=CleanupOptions())  # HOME is tmp_path/home


def test_missing_root_is_usage_error(tmp_path: Path) -> None:
    """A root that does not exist is a usage error."""
    with pytest.raises(UsageError):
        plan_cleanup(tmp_path / "nope", options=CleanupOptions())


def test_extra_path_outside_root(repo: Path, tmp_path: Path) -> None:
    """An extra path outside the root needs allow_outside_root; inside, it is already covered."""
    other = tmp_path / "other"
    (other / "__pycache__").mkdir(parents=True)
    with pytest.raises(SafetyError, match="outside the root"):
        plan_cleanup(repo, options=CleanupOptions(extra_paths=(other,)))
    plan = plan_cleanup(repo, options=CleanupOptions(extra_paths=(other,), allow_outside_root=True))
    assert plan.outside_root == [str(other)]
    assert str(other / "__pycache__") in {c.path for c in plan.candidates}
    inside = plan_cleanup(repo, options=CleanupOptions(extra_paths=(repo / "src",)))
    assert inside.bases == [str(repo)]


def test_exclude_inside_a_candidate_protects_it(repo: Path) -> None:
    """An excluded path inside a matched directory keeps that directory whole; the walk goes on."""
    (repo / "build" / "keep").mkdir()
    (repo / "build" / "keep" / "notes.txt").write_text("mine")
    (repo / "build" / "keep" / "__pycache__").mkdir()
    plan = plan_cleanup(repo, options=CleanupOptions(categories=DEEP, exclude=("build/keep/",)))
    skips = _skips(plan)
    assert skips["build"] is SkipReason.excluded
    assert "build" not in _relative(plan)
    assert "build/keep/__pycache__" not in _relative(plan)
    assert skips["build/keep"] is SkipReason.excluded
