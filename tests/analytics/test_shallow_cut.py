"""A shallow clone's cut is never a change: the commits at it add every file only in git's eyes.

Found on click and attrs: in a ``--depth`` clone the oldest fetched commit has no parent, so
``git log`` shows it adding every file; it was counted as a change of every file, all of it by
its author (ownership said Bob wrote files he never touched).
"""

from __future__ import annotations

import subprocess
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.analytics.history import commit, write

from hephaestus.analytics import AnalysisOptions, find_hotspots
from hephaestus.analytics.settings import AnalyticsSection
from hephaestus.analytics.team_operation import team_history
from hephaestus.core.progress import NO_PROGRESS

FILES = ("a.py", "b.py", "c.py", "d.py", "e.py")
AUTHORS = ("alice", "bob", "carol")
SECTION = AnalyticsSection(since="2000-01-01", large_commit=50, coupling_max_changeset=50)
Change = tuple[str, frozenset[str]]

changes = st.tuples(st.sampled_from(AUTHORS), st.frozensets(st.sampled_from(FILES), min_size=1))


def _build(root: Path, history: list[Change]) -> None:
    """Alice adds every file on day 1; then each change edits its files as its author."""
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    for name in FILES:
        write(root, name, f"VALUE = {name!r}\n")
    commit(root, "alice", 1, "start")
    for day, (author, files) in enumerate(history, start=2):
        for name in files:
            with (root / name).open("a", encoding="utf-8") as handle:
                handle.write(f"X{day} = {day}\n")
        commit(root, author, day, f"change {day}")


def _expected(history: list[Change], depth: int) -> tuple[Counter[str], dict[str, set[str]]]:
    """Commits per file and authors per file of the commits after the cut (the cut left out).

    git marks the oldest fetched commit as the cut whenever the depth does not exceed the
    history (even when it is the real first commit); a deeper clone is whole.
    """
    everything: list[Change] = [("alice", frozenset(FILES)), *history]
    after_cut = (
        everything[len(everything) - depth + 1 :] if depth <= len(everything) else everything
    )
    commits: Counter[str] = Counter()
    authors: dict[str, set[str]] = {}
    for author, files in after_cut:
        commits.update(files)
        for name in files:
            authors.setdefault(name, set()).add(author)
    return commits, authors


@settings(max_examples=12, deadline=None)
@given(history=st.lists(changes, min_size=1, max_size=6), data=st.data())
def test_a_shallow_clone_counts_only_the_changes_after_its_cut(
    history: list[Change], data: st.DataObject
) -> None:
    """Per file, commits and authors are exactly those of the commits after the cut."""
    depth = data.draw(st.integers(1, len(history) + 2), label="depth")
    with tempfile.TemporaryDirectory(prefix="hephaestus-shallow-") as temporary:
        full, clone = Path(temporary, "full"), Path(temporary, "clone")
        _build(full, history)
        subprocess.run(
            ["git", "clone", "-q", f"--depth={depth}", f"file://{full}", str(clone)], check=True
        )
        commits, authors = _expected(history, depth)
        for store in (False, True):
            options = AnalysisOptions(since="2000-01-01", store=store)
            report = find_hotspots(clone, section=SECTION, options=options)
            assert {row.path: row.commits for row in report.rows} == dict(commits)
            _, team = team_history(clone, section=SECTION, options=options, progress=NO_PROGRESS)
            owners = {name: set(team.changes[name]) for name in FILES if name in team.changes}
            assert owners == authors
            shallow = depth <= len(history) + 1  # only a deeper clone is whole
            said = [m for m in report.missing if m.factor == "history" and "shallow" in m.message]
            assert bool(said) is shallow


def test_deepening_the_clone_reads_the_history_again(tmp_path: Path) -> None:
    """A stored history of the shallow clone is not continued once the clone is deepened."""
    history: list[Change] = [("bob", frozenset({"a.py"})), ("carol", frozenset({"b.py"}))]
    full, clone = tmp_path / "full", tmp_path / "clone"
    _build(full, history)
    subprocess.run(["git", "clone", "-q", "--depth=1", f"file://{full}", str(clone)], check=True)
    options = AnalysisOptions(since="2000-01-01", store=True)
    assert find_hotspots(clone, section=SECTION, options=options).rows == ()
    subprocess.run(["git", "-C", str(clone), "fetch", "-q", "--unshallow"], check=True)
    rows = find_hotspots(clone, section=SECTION, options=options).rows
    assert {row.path: row.commits for row in rows} == dict.fromkeys(FILES, 1) | {
        "a.py": 2, "b.py": 2
    }  # fmt: skip
