"""Equal ranking scores are ordered by changed lines, then commits, then path."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

from tests.analytics.history import commit, write

from hephaestus.analytics import AnalysisOptions, rank_files
from hephaestus.analytics.models import RankingStrategy
from hephaestus.analytics.settings import AnalyticsSection

if TYPE_CHECKING:
    from pathlib import Path


def _lines(count: int, start: int = 0) -> str:
    return "".join(f"x{i} = {i}\n" for i in range(start, start + count))


def test_churn_based_ties_are_broken_by_changed_lines_then_commits(tmp_path: Path) -> None:
    """Every file above the churn cap scores 1.0; the one that changed most comes first."""
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    write(root, "a.py", _lines(3))
    write(root, "b.py", _lines(10))
    write(root, "c.py", _lines(5))
    commit(root, "alice", 1, "start")
    write(root, "c.py", _lines(10))
    commit(root, "alice", 2, "grow")
    section = AnalyticsSection(since="2000-01-01", churn_cap=1)
    report = rank_files(
        root,
        section=section,
        options=AnalysisOptions(store=False),
        strategy=RankingStrategy.churn_based,
    )
    assert [(r.path, r.score, r.churn) for r in report.rows] == [
        ("c.py", 1.0, 10),  # 10 lines in 2 commits
        ("b.py", 1.0, 10),  # 10 lines in 1 commit
        ("a.py", 1.0, 3),
    ]
