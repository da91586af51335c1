"""File names that are not UTF-8: left out of every analysis and named, never a crash.

git prints names as raw bytes; a Latin-1 name arrives with surrogate escapes, which SQLite,
a UTF-8 terminal and JSON cannot hold. Found by running the commands on such a repository:
every analytics command failed with an internal error.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from tests.analytics.conftest import SECTION
from tests.analytics.history import commit

from hephaestus.analytics import AnalysisOptions, find_hotspots, rank_files

if TYPE_CHECKING:
    from pathlib import Path

LATIN1 = os.fsdecode(b"pkg/caf\xe9.py")
SHOWN = "1 file name(s) not valid UTF-8, left out: pkg/caf\\xe9.py"


def _paths_notes(report: object) -> list[str]:
    return [m.message for m in report.missing if m.factor == "paths"]  # type: ignore[attr-defined]


def test_a_new_file_with_such_a_name_is_left_out_and_named(repo: Path) -> None:
    """Stored and in memory, with and without line counts: the other files are unchanged."""
    before = find_hotspots(repo, section=SECTION, options=AnalysisOptions(store=False))
    (repo / LATIN1).write_text("def f(x):\n    return x or 1\n", encoding="utf-8")
    commit(repo, "bob", 6, "a Latin-1 name")
    for options in (AnalysisOptions(), AnalysisOptions(store=False)):
        hot = find_hotspots(repo, section=SECTION, options=options)
        assert [(r.path, r.commits) for r in hot.rows] == [(r.path, r.commits) for r in before.rows]
        assert _paths_notes(hot) == [SHOWN]
        json.loads(hot.model_dump_json())  # the report is valid JSON text
        ranked = rank_files(repo, section=SECTION, options=options)
        assert LATIN1 not in {r.path for r in ranked.rows}
        assert _paths_notes(ranked) == [SHOWN]


def test_a_rename_to_such_a_name_in_a_later_run(repo: Path) -> None:
    """The stored history relabels renames; one to a name that is not UTF-8 drops the file."""
    first = find_hotspots(repo, section=SECTION, options=AnalysisOptions())
    assert "pkg/util.py" in {r.path for r in first.rows}
    (repo / "pkg" / "util.py").rename(repo / LATIN1)
    commit(repo, "bob", 6, "rename to a Latin-1 name")
    later = find_hotspots(repo, section=SECTION, options=AnalysisOptions())
    assert later.window.fetched == 1
    assert {r.path for r in later.rows} == {r.path for r in first.rows} - {"pkg/util.py"}
    assert _paths_notes(later) == [SHOWN]
