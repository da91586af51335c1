"""Churn, complexity and coverage of the known repository, computed by hand (history.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError
from tests.analytics.conftest import SECTION
from tests.analytics.history import commit, write

from hephaestus.analytics import churn, complexity
from hephaestus.analytics.analysis import AnalysisOptions, Inputs, analysis_store, collect
from hephaestus.analytics.churn import parse_since
from hephaestus.analytics.coverage import read_coverage
from hephaestus.analytics.models import CoverageFormat
from hephaestus.analytics.settings import AnalyticsSection
from hephaestus.core.errors import ExternalError, UsageError

if TYPE_CHECKING:
    from pathlib import Path


def _collect(root: Path, **options: Any) -> Inputs:  # noqa: ANN401  # AnalysisOptions' fields
    with analysis_store(root, persist=False) as store:
        return collect(root, section=SECTION, options=AnalysisOptions(**options), store=store)


def test_churn_follows_renames_and_leaves_out_large_commits(known_history: Path) -> None:
    """Revisions, lines, authors and last change per file; old.py counts as pkg/moved.py."""
    inputs = _collect(known_history, lines=True)
    churn = {
        p: (c.commits, c.added, c.removed, c.authors, c.last_change)
        for p, c in inputs.churn.items()
    }
    assert churn == {
        "pkg/core.py": (3, 19, 0, 2, "2024-01-04T12:00:00Z"),
        "pkg/util.py": (2, 3, 1, 2, "2024-01-04T12:00:00Z"),
        "pkg/moved.py": (2, 5, 0, 1, "2024-01-03T12:00:00Z"),
    }
    window = inputs.window
    assert (window.commits, window.large_commits, window.fetched) == (5, 1, 5)


def test_revisions_without_line_counts(known_history: Path) -> None:
    """Without --numstat the revisions are the same and the line counts are null."""
    inputs = _collect(known_history)
    assert {p: (c.commits, c.added) for p, c in inputs.churn.items()} == {
        "pkg/core.py": (3, None),
        "pkg/util.py": (2, None),
        "pkg/moved.py": (2, None),
    }


def test_window_and_path_narrow_the_files(known_history: Path) -> None:
    """--since cuts older commits; --path keeps only matching files."""
    inputs = _collect(known_history, since="2024-01-03", paths=("pkg/c*.py",))
    assert inputs.files == ["pkg/core.py"]
    assert inputs.churn["pkg/core.py"].commits == 1


@pytest.mark.parametrize("since", ["1970-01-01", "1971-06-30", "2023-12-31"])
def test_an_early_window_start_keeps_every_commit(known_history: Path, since: str) -> None:
    """A start before 1973 (epoch under 10^8) is still read as seconds by git: all commits."""
    inputs = _collect(known_history, since=since)
    assert (inputs.window.commits, inputs.window.fetched) == (5, 5)
    assert inputs.churn["pkg/core.py"].commits == 3


def test_complexity_of_the_current_tree(known_history: Path) -> None:
    """Per-function cyclomatic complexity; per-file sum, max and lines of code."""
    complexity = _collect(known_history).complexity
    core = complexity["pkg/core.py"]
    assert [(f.name, f.line, f.complexity) for f in core.functions] == [
        ("parse", 1, 3),
        ("loop", 9, 4),
        ("Box.size", 18, 2),
    ]
    assert (core.total, core.maximum, core.loc) == (9, 4, 15)
    util, moved = complexity["pkg/util.py"], complexity["pkg/moved.py"]
    assert (util.total, util.maximum, util.loc) == (3, 3, 2)
    assert (moved.total, moved.maximum, moved.loc) == (2, 2, 4)


@pytest.mark.parametrize("name", [".coverage", "coverage.xml", "coverage.json"])
def test_real_coverage_files_are_read(known_history: Path, name: str) -> None:
    """pytest-cov's data file, Cobertura XML and JSON give the same per-file coverage."""
    data = read_coverage(known_history, known_history / name)
    got = {f.path: (f.statements, round(f.covered, 4), f.uncovered_lines) for f in data.files}
    assert got == {
        "pkg/core.py": (15, 0.4, (4, 5, 6, 10, 11, 12, 13, 14, 19)),
        "pkg/moved.py": (4, 0.0, (1, 2, 3, 4)),
        "pkg/util.py": (2, 1.0, ()),
    }
    expected = {".coverage": CoverageFormat.data, "coverage.xml": CoverageFormat.cobertura}
    assert data.format is expected.get(name, CoverageFormat.json)


def test_a_broken_coverage_file_is_a_usage_error(tmp_path: Path) -> None:
    """A file that is not coverage data gives a one-line error with the hint, exit 2."""
    bad = tmp_path / "coverage.xml"
    bad.write_text("<coverage><class", encoding="utf-8")
    with pytest.raises(UsageError, match="not a readable cobertura-xml file") as caught:
        read_coverage(tmp_path, bad)
    assert caught.value.hint == "run pytest --cov first, or pass `coverage` FILE"
    with pytest.raises(UsageError, match="no such file"):
        read_coverage(tmp_path, tmp_path / ".coverage")


def test_an_impossible_coverage_value_is_one_line(tmp_path: Path) -> None:
    """A JSON report with negative statements: the first problem, on one line."""
    bad = tmp_path / "coverage.json"
    summary = {"num_statements": -5, "covered_lines": 3}
    entry = {"summary": summary, "missing_lines": []}
    bad.write_text(json.dumps({"files": {"a.py": entry}}), encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        read_coverage(tmp_path, bad)
    assert caught.value.message.endswith(
        "not a readable coverage-json file (statements: Input should be greater than or equal to 0)"
    )


def test_since_accepts_dates_and_durations() -> None:
    """ISO dates are UTC midnight; durations count back from now; anything else is refused."""
    assert parse_since("2024-01-01") == 1704067200
    assert parse_since("2 weeks", now=100_000_000) == 100_000_000 - 14 * 86400
    assert parse_since("1 month", now=100_000_000) == 100_000_000 - 30 * 86400
    with pytest.raises(UsageError, match="not a date"):
        parse_since("last tuesday")


@pytest.mark.parametrize("since", ["banana", "last tuesday", "2100 years", "12 moons"])
def test_a_configured_window_is_checked_when_the_configuration_loads(since: str) -> None:
    """``hephaestus config`` accepted ``since = "banana"``; only an analysis refused it later."""
    with pytest.raises(ValidationError, match=r"the window '"):
        AnalyticsSection(since=since)
    assert AnalyticsSection(since="6 months").since == "6 months"


def test_not_a_repository(tmp_path: Path) -> None:
    """Outside a git work tree the analysis refuses with exit 2."""
    with pytest.raises(UsageError, match="not a git repository") as caught:
        _collect(tmp_path)
    assert caught.value.exit_code == 2


def test_complexity_measured_in_a_worker_process_is_the_same(
    known_history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many files go to a worker process (measure.py as a script): the figures do not change."""
    inline = _collect(known_history).complexity
    monkeypatch.setattr(complexity, "IN_PROCESS", 0)
    assert _collect(known_history).complexity == inline


def test_log_paths_holding_the_record_marker(tmp_path: Path) -> None:
    r"""A path starting with \x01 (the log's record marker follows a NUL) is still a path."""
    root = tmp_path / "odd"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    write(root, "\x01weird.py", "def f(x):\n    return x or 1\n")
    write(root, "plain.py", "def g():\n    return 0\n")
    commit(root, "alice", 1, "odd names")
    churn = _collect(root).churn
    assert {p: c.commits for p, c in churn.items()} == {"\x01weird.py": 1, "plain.py": 1}


def test_a_worker_that_cannot_start_falls_back_to_this_process(
    known_history: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No interpreter to start (or a worker that fails): the files are measured here instead."""
    inline = _collect(known_history).complexity
    monkeypatch.setattr(complexity, "IN_PROCESS", 0)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    assert _collect(known_history).complexity == inline
    failing = tmp_path / "failing"
    failing.write_text("#!/bin/sh\nexit 3\n", encoding="utf-8")
    failing.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(failing))
    assert _collect(known_history).complexity == inline


def test_binary_files_count_no_lines(tmp_path: Path) -> None:
    """Git's numstat shows '-' for a binary file: no lines, and the other files are unaffected."""
    root = tmp_path / "binary"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "blob.py").write_bytes(b"\0\1\2binary")
    write(root, "plain.py", "def g():\n    return 0\n")
    commit(root, "alice", 1, "binary and text")
    inputs = _collect(root, lines=True)
    assert {p: (c.added, c.removed) for p, c in inputs.churn.items()} == {"plain.py": (2, 0)}
    assert [m.message for m in inputs.missing] == ["blob.py: not readable as Python source"]


@pytest.mark.parametrize("parts", [2, 3, 5])
def test_history_read_in_parts_equals_one_pass(
    known_history: Path, parts: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commits cut into parts read by git side by side: the same commits, order and renames."""

    def read(parts: int) -> tuple[list[tuple[str, int, str, list[str]]], dict[str, str]]:
        reader = churn.LogReader(known_history, lines=False, since=0, parts=parts)
        commits = [(c.sha, c.time, c.author, c.paths) for c in reader.commits()]
        return commits, reader.aliases

    monkeypatch.setattr(churn, "MIN_PART", 1)
    whole, aliases = read(1)
    assert len(whole) == 5
    assert aliases == {"old.py": "pkg/moved.py"}
    assert read(parts) == (whole, aliases)


@pytest.mark.parametrize("parts", [1, 2])
def test_a_history_git_cannot_read_is_an_external_error(known_history: Path, parts: int) -> None:
    """An unknown revision fails in rev-list (parts) or in log (one pass): exit 5, one line."""
    reader = churn.LogReader(known_history, lines=False, revisions="no-such-revision", parts=parts)
    with pytest.raises(ExternalError, match="'git' failed with exit code"):
        list(reader.commits())
