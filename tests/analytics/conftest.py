"""One repository with a known history and real coverage files, copied for tests that write."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest
from tests.analytics.history import build_history, run_coverage

from hephaestus.analytics.settings import AnalyticsSection

if TYPE_CHECKING:
    from pathlib import Path

SECTION = AnalyticsSection(
    since="2000-01-01",
    large_commit=3,
    complex_function=3,
    often_changed=2,
    large_module=10,
    coupling_min_revs=2,
    coupling_max_changeset=3,
)


@pytest.fixture(scope="session")
def known_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository of tests/analytics/history.py, with pytest-cov's three coverage files."""
    root = tmp_path_factory.mktemp("history") / "repo"
    build_history(root)
    run_coverage(root)
    return root


@pytest.fixture
def repo(known_history: Path, tmp_path: Path) -> Path:
    """A private copy of the known repository (tests that store snapshots or add commits)."""
    copy = tmp_path / "repo"
    shutil.copytree(known_history, copy, symlinks=True)
    return copy
