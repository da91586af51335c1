"""Baselines: fingerprints that survive moves, multiset matching, the file, judging results."""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hephaestus.core.errors import UsageError
from hephaestus.gates.baseline import (
    BaselineFile,
    BaselineJudge,
    load_baseline,
    recorded,
    save_baseline,
)
from hephaestus.gates.cache import is_pass
from hephaestus.gates.finding_keys import (
    FINGERPRINT_KEY,
    Key,
    SourceLines,
    fingerprints,
    line_hash,
    match,
)
from hephaestus.gates.models import (
    Finding,
    GateResult,
    GateStatus,
    GuardRailsReport,
    Severity,
)
from hephaestus.gates.reports.junit import to_junit
from hephaestus.gates.reports.sarif import to_sarif

if TYPE_CHECKING:
    from pathlib import Path

ERRORS = frozenset({Severity.error})
lines_of_code = st.lists(
    st.text(alphabet="abcdef =()#:'\t ", min_size=0, max_size=12), min_size=1, max_size=12
)


def _finding(line: int | None, *, rule: str = "F401", path: str | None = "a.py") -> Finding:
    return Finding(
        gate="ruff-check",
        rule=rule,
        severity=Severity.error,
        message="m",
        path=path,
        line=line,
    )


def _result(*findings: Finding, status: GateStatus = GateStatus.failed) -> GateResult:
    return GateResult(
        name="ruff-check", status=status, required=True, duration=0.1, findings=findings
    )


def _keys(root: Path, findings: list[Finding]) -> list[Key]:
    lines = SourceLines(root)
    return [lines.key(f) for f in findings]


@settings(max_examples=60, deadline=None)
@given(code=lines_of_code, prepended=st.integers(min_value=1, max_value=20), data=st.data())
def test_moving_lines_never_resurrects_a_finding(
    tmp_path_factory: pytest.TempPathFactory, code: list[str], prepended: int, data: st.DataObject
) -> None:
    """Lines added above every finding (and re-indentation) keep every finding known."""
    root = tmp_path_factory.mktemp("moved")
    chosen = data.draw(st.lists(st.integers(1, len(code)), min_size=1, max_size=10))
    (root / "a.py").write_text("\n".join(code))
    before = [_finding(n) for n in chosen]
    baseline = Counter(_keys(root, before))
    marks = fingerprints(before, root=root)
    (root / "a.py").write_text("\n".join(["# new"] * prepended + ["    " + c for c in code]))
    after = [_finding(n + prepended) for n in chosen]
    known, left = match(_keys(root, after), baseline)
    assert all(known)
    assert not left
    assert fingerprints(after, root=root) == marks


@settings(max_examples=200, deadline=None)
@given(found=st.integers(0, 12), accepted=st.integers(0, 12), readable=st.booleans())
def test_n_identical_findings_against_m_entries_leave_max_0_n_minus_m_new(
    tmp_path_factory: pytest.TempPathFactory, found: int, accepted: int, readable: bool
) -> None:
    """A multiset: M entries absorb at most M of N identical findings, whether lines read or not."""
    root = tmp_path_factory.mktemp("same")
    if readable:
        (root / "a.py").write_text("import os\n" * 12)
    findings = [_finding(n + 1) for n in range(found)]
    keys = _keys(root, findings)
    entry = _keys(root, [_finding(1)])[0]
    known, left = match(keys, Counter({entry: accepted}))
    assert known.count(False) == max(0, found - accepted)
    assert sum(left.values()) == max(0, accepted - found)


@settings(max_examples=100, deadline=None)
@given(
    keys=st.lists(
        st.tuples(
            st.just("g"),
            st.sampled_from(["R1", "R2"]),
            st.sampled_from(["a.py", "b.py"]),
            st.sampled_from(["h1", "h2", None]),
        ),
        max_size=15,
    ),
    entries=st.lists(
        st.tuples(
            st.just("g"),
            st.sampled_from(["R1", "R2"]),
            st.sampled_from(["a.py", "b.py"]),
            st.sampled_from(["h1", "h2", None]),
        ),
        max_size=15,
    ),
)
def test_matching_conserves_entries(keys: list[Key], entries: list[Key]) -> None:
    """Every entry absorbs at most one finding: known findings + entries left = entries."""
    known, left = match(keys, Counter(entries))
    assert sum(known) + sum(left.values()) == len(entries)
    unmatched = {k for k, was in zip(keys, known, strict=True) if not was}
    assert not unmatched & set(left)  # nothing left over that an exact finding could have taken


def test_an_unreadable_line_is_matched_by_gate_rule_and_path(tmp_path: Path) -> None:
    """A finding whose file is gone still uses up an entry of the same gate, rule and path."""
    (tmp_path / "a.py").write_text("import os\n")
    baseline = Counter(_keys(tmp_path, [_finding(1)]))
    (tmp_path / "a.py").unlink()
    known, _ = match(_keys(tmp_path, [_finding(1)]), baseline)
    assert known == [True]
    known, _ = match(_keys(tmp_path, [_finding(1, rule="E501")]), baseline)
    assert known == [False]


def test_a_changed_line_is_new_and_its_entry_fixed(tmp_path: Path) -> None:
    """Editing the line of a known finding makes it new: the old entry is reported fixed."""
    (tmp_path / "a.py").write_text("import os\n")
    baseline = Counter(_keys(tmp_path, [_finding(1)]))
    (tmp_path / "a.py").write_text("import os, sys\n")
    known, left = match(_keys(tmp_path, [_finding(1)]), baseline)
    assert known == [False]
    assert sum(left.values()) == 1


def test_whitespace_does_not_change_a_line_hash() -> None:
    """Formatting (spaces, indentation, line endings) keeps the fingerprint."""
    assert line_hash("x=f( 1,2 )\r") == line_hash("    x = f(1, 2)")
    assert line_hash("x = 1") != line_hash("x = 2")


def test_identical_lines_get_distinct_fingerprints_that_survive_a_move(tmp_path: Path) -> None:
    """Occurrences number identical keys in line order; prepending lines keeps them."""
    (tmp_path / "a.py").write_text("import os\nimport os\n")
    before = fingerprints([_finding(2), _finding(1)], root=tmp_path)
    (tmp_path / "a.py").write_text("\n" * 10 + "import os\nimport os\n")
    after = fingerprints([_finding(12), _finding(11)], root=tmp_path)
    assert before == after
    assert before[0] != before[1]
    assert before[1].endswith(":1")


def test_the_file_is_sorted_versioned_and_stable(tmp_path: Path) -> None:
    """The JSON lists entries in a stable order, one per line, and loads back equal."""
    counts: Counter[Key] = Counter(
        {("mypy", "x", "b.py", "1"): 2, ("mypy", None, None, None): 1, ("a", "r", "c", None): 1}
    )
    baseline = BaselineFile.from_counts(counts)
    path = tmp_path / "b.json"
    save_baseline(baseline, path)
    text = path.read_text()
    assert json.loads(text)["version"] == 1
    assert [e.gate for e in baseline.entries] == ["a", "mypy", "mypy"]
    assert text.count("\n") == len(baseline.entries) + 5
    assert load_baseline(path) == baseline
    assert BaselineFile.from_counts(Counter(dict(reversed(counts.items())))).dumps() == text


def test_a_missing_or_foreign_file_is_a_usage_error(tmp_path: Path) -> None:
    """No file, or a file that is not a baseline, is refused (and never overwritten)."""
    with pytest.raises(UsageError, match="no such file"):
        load_baseline(tmp_path / "none.json")
    assert load_baseline(tmp_path / "none.json", missing_ok=True) == BaselineFile()
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    with pytest.raises(UsageError, match="not a hephaestus baseline"):
        load_baseline(tmp_path / "pyproject.toml", missing_ok=True)


def test_a_failed_gate_with_only_known_findings_is_baselined_not_passed(tmp_path: Path) -> None:
    """Accepted failures make the gate baselined (never passed: the cache refuses it)."""
    (tmp_path / "a.py").write_text("import os\nimport sys\n")
    baseline = BaselineFile.from_counts(Counter(_keys(tmp_path, [_finding(1)])))
    judge = BaselineJudge(tmp_path, baseline, file=tmp_path / "b.json", failing=ERRORS)
    only_known = judge.judge(_result(_finding(1)))
    assert only_known.status is GateStatus.baselined
    assert only_known.findings == ()
    assert not is_pass(only_known)
    judge = BaselineJudge(tmp_path, baseline, file=tmp_path / "b.json", failing=ERRORS)
    one_new = judge.judge(_result(_finding(1), _finding(2)))
    assert one_new.status is GateStatus.failed
    assert one_new.findings == (_finding(2),)
    summary = judge.summary()
    assert (summary.new, summary.known, summary.fixed) == (1, 1, 0)


def test_entries_of_a_gate_that_did_not_run_are_neither_known_nor_fixed(tmp_path: Path) -> None:
    """Only gates that analysed the code can fix entries; recording keeps the others' entries."""
    (tmp_path / "a.py").write_text("import os\n")
    keys = _keys(tmp_path, [_finding(1)])
    mypy: Key = ("mypy", "misc", "a.py", None)
    baseline = BaselineFile.from_counts(Counter([*keys, mypy]))
    judge = BaselineJudge(tmp_path, baseline, file=tmp_path / "b.json", failing=ERRORS)
    could_not = GateResult(name="mypy", status=GateStatus.could_not_run, required=True, duration=0)
    assert judge.judge(could_not) == could_not
    passed = judge.judge(_result(status=GateStatus.passed))
    summary = judge.summary()
    assert summary.fixed == 1
    assert summary.fixed_entries[0].gate == "ruff-check"
    report = GuardRailsReport(
        root=str(tmp_path), results=(passed, could_not), duration=0, jobs=1, baseline=summary
    )
    assert recorded(report, baseline, root=tmp_path).counts() == Counter([mypy])


def test_only_checked_files_can_fix_entries(tmp_path: Path) -> None:
    """In a changed-files run, entries of files the gate did not check are not fixed."""
    (tmp_path / "a.py").write_text("import os\n")
    baseline = BaselineFile.from_counts(Counter(_keys(tmp_path, [_finding(1)])))
    judge = BaselineJudge(tmp_path, baseline, file=tmp_path / "b.json", failing=ERRORS)
    judge.judge(_result(status=GateStatus.passed).model_copy(update={"files": ("b.py",)}))
    assert judge.summary().fixed == 0


def test_directories_fifos_and_odd_names_have_no_line(tmp_path: Path) -> None:
    """Only regular files are read: a directory, a FIFO or a NUL in the name give no line."""
    (tmp_path / "d").mkdir()
    os.mkfifo(tmp_path / "f")
    lines = SourceLines(tmp_path)
    assert lines.line("d", 1) is None
    assert lines.line("f", 1) is None
    assert lines.line("a\0b", 1) is None
    assert lines.key(_finding(1, path="f"))[3] is None


def test_reports_without_a_baseline_have_fingerprints_but_no_baseline_state(
    tmp_path: Path,
) -> None:
    """SARIF says baselineState only when a baseline applied; JUnit notes a baselined gate."""
    (tmp_path / "a.py").write_text("import os\n")
    plain = GuardRailsReport(
        root=str(tmp_path), results=(_result(_finding(1)),), duration=0, jobs=1
    )
    (result,) = to_sarif(plain, version="0")["runs"][0]["results"]
    assert "baselineState" not in result
    assert result["partialFingerprints"][FINGERPRINT_KEY].endswith(":1")
    baseline = BaselineFile.from_counts(Counter(_keys(tmp_path, [_finding(1)])))
    judge = BaselineJudge(tmp_path, baseline, file=tmp_path / "b.json", failing=ERRORS)
    judged = judge.judge(_result(_finding(1)))
    held = plain.model_copy(update={"results": (judged,), "baseline": judge.summary()})
    (result,) = to_sarif(held, version="0")["runs"][0]["results"]
    assert result["baselineState"] == "unchanged"
    assert "baselined: every failing finding is in the baseline" in to_junit(held)
