"""``tools_refactor_report``: the other analyses' results in one overview; gaps are said."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from hephaestus.analytics.overview import RefactorOverview
from hephaestus.invoke import call

if TYPE_CHECKING:
    from pathlib import Path

    import pytest
    from tests.conftest import Cli

WIDE = {"since": "2000-01-01"}


def _overview(repo: Path, **fields: object) -> RefactorOverview:
    answer = call("tools_refactor_report", {**WIDE, **fields}, cwd=repo)
    assert isinstance(answer, RefactorOverview)
    return answer


def test_files_carry_hotspot_scores_functions_and_coverage(repo: Path) -> None:
    """Every file of the window is there with its score, its functions and its coverage."""
    hot = call("tools_refactor_hotspots", {**WIDE, "no_store": True, "limit": 50}, cwd=repo)
    report = _overview(repo, no_store=True)
    assert [(f.path, f.score) for f in report.files] == [
        (r.path, r.score)
        for r in hot.rows  # type: ignore[attr-defined]
    ]
    core = next(f for f in report.files if f.path == "pkg/core.py")
    assert [(f.name, f.complexity) for f in core.functions] == [
        ("loop", 4), ("parse", 3), ("Box.size", 2),
    ]  # fmt: skip
    assert core.loc > 0
    assert core.coverage is not None
    assert report.root == str(repo)


def test_no_store_reads_no_trend_and_says_so(repo: Path) -> None:
    """With no_store nothing is stored or read: the trend is named missing, never made up."""
    report = _overview(repo, no_store=True)
    assert report.snapshot is None
    assert report.trends == ()
    assert "trend" in {m.factor for m in report.missing}
    assert not (repo / ".hephaestus").exists()


def test_two_runs_make_a_trend_of_stored_snapshots(repo: Path) -> None:
    """Each run stores a hotspots snapshot; the second run's trend holds both, oldest first."""
    first = _overview(repo)
    assert len(first.trends) == 1
    assert "trend" in {m.factor for m in first.missing}
    second = _overview(repo)
    assert [p.snapshot for p in second.trends] == [first.snapshot, second.snapshot]
    assert "trend" not in {m.factor for m in second.missing}
    top = second.files[0].path
    assert second.trends[-1].scores[top] == second.files[0].score


def test_htmlcov_pages_are_linked_from_status_json(repo: Path) -> None:
    """coverage.py's htmlcov/ index and each file's page (from status.json) are linked."""
    assert _overview(repo, no_store=True).coverage_index is None
    (repo / "htmlcov").mkdir()
    (repo / "htmlcov" / "index.html").write_text("<html></html>", encoding="utf-8")
    status = {"files": {"z_1_core_py": {"index": {"file": "pkg/core.py"}}}}
    (repo / "htmlcov" / "status.json").write_text(json.dumps(status), encoding="utf-8")
    report = _overview(repo, no_store=True)
    assert report.coverage_index == "htmlcov/index.html"
    pages = {f.path: f.coverage_html for f in report.files}
    assert pages["pkg/core.py"] == "htmlcov/z_1_core_py.html"
    assert pages["pkg/util.py"] is None


def test_cli_writes_the_html_and_prints_the_overview(
    cli: Cli, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--html writes one self-contained file; JSON output is the overview itself."""
    monkeypatch.chdir(repo)
    target = tmp_path / "report.html"
    done = cli("--format", "json", "tools", "refactor", "report", "--since", "2000-01-01",
               "--no-store", "--html", str(target))  # fmt: skip
    assert done.exit_code == 0, done.stderr
    data = json.loads(done.stdout)
    assert {f["path"] for f in data["files"]} >= {"pkg/core.py", "pkg/util.py"}
    page = target.read_text(encoding="utf-8")
    assert "<script src=" not in page
    assert "<link" not in page  # styles inline too (the browser test loads it offline)
    assert 'id="report-data"' in page


def test_cli_says_why_a_report_cannot_be_written(
    cli: Cli, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A target in a missing folder is a usage error (exit 2), one line, no traceback."""
    monkeypatch.chdir(repo)
    done = cli("tools", "refactor", "report", "--no-store", "--html", str(repo / "no" / "r.html"))
    assert done.exit_code == 2, done.stderr
    assert "cannot write the report" in done.stderr


def test_ownership_per_directory_as_counted_by_hand(repo: Path) -> None:
    """pkg/ (and '.'): bob 8 + 5 + 2 lines, alice 6 + 2 + 4 + 1 (old.py followed), carol 3."""
    report = _overview(repo, no_store=True)
    got = [
        (o.path, o.lines, o.main_developer, [(a.author, a.lines) for a in o.authors])
        for o in report.ownership
    ]
    expected = [("bob", 15), ("alice", 13), ("carol", 3)]
    assert got == [(".", 31, "bob", expected), ("pkg", 31, "bob", expected)]
    assert report.ownership[0].main_share == round(15 / 31, 4)
