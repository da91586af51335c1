"""Text shown on a terminal or CI log: no control character, no workflow command, ever."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.gates.reports import samples
from tests.gates.reports.test_report_properties import REPORTS
from tests.strategies import file_names

from hephaestus.cli.guard_rails_text import report_text
from hephaestus.cli.render import plain
from hephaestus.gates.models import GateResult, GateStatus, GuardRailsReport
from hephaestus.gates.reports.annotations import to_annotations
from hephaestus.gates.reports.escaping import printable

# Every character, controls and lone surrogates included, and text shaped like commands.
COMMANDS = st.sampled_from(["::add-mask::X", "::error::boom", "##[set-output name=a;]b", "::"])
BREAKS = st.sampled_from(["\n", "\r", "\r\n", "\x85", "\u2028", "\u2029", "\x0b", "\x0c", "\x1b"])
HOSTILE = st.lists(
    st.text(st.characters(exclude_categories=()), max_size=8)
    | COMMANDS
    | BREAKS
    | file_names(max_size=8),
    max_size=8,
).map("".join)
# Where a CI runner or a terminal could start a new line: .NET's ReadLine and str.splitlines.
LINE_BREAK = re.compile("\r\n|[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _is_command(line: str) -> bool:
    """Whether the GitHub Actions runner would read ``line`` as a workflow command."""
    return line.lstrip().startswith("::") or "##[" in line


@given(HOSTILE)
def test_printable_is_one_visible_line_that_is_no_command(text: str) -> None:
    """Any string comes out without control characters, line breaks or command syntax."""
    shown = printable(text)
    assert not any(
        unicodedata.category(c) in {"Cc", "Cs", "Zl", "Zp"} or c in "\u202e\u2066" for c in shown
    )
    assert LINE_BREAK.search(shown) is None
    assert not _is_command(shown)
    shown.encode("utf-8")  # no lone surrogate left: every stream can carry it


@given(HOSTILE)
def test_printable_leaves_plain_text_alone(text: str) -> None:
    """Text that is already safe is shown as it is."""
    safe = "".join(c for c in text if c.isprintable() and c not in "#:")
    assert printable(safe) == safe


def _lines(output: str) -> list[str]:
    return LINE_BREAK.split(output)


def _report(message: str, reason: str) -> GuardRailsReport:
    failed = GateResult(
        name="ruff-check", status=GateStatus.failed, required=True, duration=0.1,
        findings=(samples.finding(message=message), samples.finding(message=message, path=message)),
    )  # fmt: skip
    broken = GateResult(
        name="mypy", status=GateStatus.could_not_run, required=True, duration=0.1,
        reason=reason, hint=message,
    )  # fmt: skip
    return samples.report(failed, broken)


def test_an_add_mask_in_a_finding_starts_no_line() -> None:
    r"""The reported case: a finding message with ``\n::add-mask::X`` in the text report."""
    output = plain(report_text(_report("unused\n::add-mask::X", "boom\r::error::x")))
    assert "::add-mask::X" in output  # still shown, as text
    assert [line for line in _lines(output) if _is_command(line)] == []


@settings(max_examples=100, deadline=None)
@given(message=HOSTILE, reason=HOSTILE)
def test_no_text_report_line_is_a_workflow_command(message: str, reason: str) -> None:
    """Whatever a finding or a reason says, the text report has no command line."""
    output = plain(report_text(_report(message, reason)))
    assert [line for line in _lines(output) if _is_command(line)] == []
    assert not any(unicodedata.category(c) in {"Cc", "Cs"} for c in output.replace("\n", ""))


@settings(max_examples=100, deadline=None)
@given(REPORTS)
def test_any_report_text_and_annotations_hold_no_injected_command(
    report: GuardRailsReport,
) -> None:
    """Text report: no command at all. Annotations: each line is exactly one command."""
    output = plain(report_text(report))
    assert [line for line in _lines(output) if _is_command(line)] == []
    annotations = "".join(line + "\n" for line in to_annotations(report))
    lines = annotations.split("\n")[:-1]
    assert len(lines) == len(to_annotations(report))
    assert all(re.match(r"::(error|warning|notice) ", line) for line in lines)
    assert all("\r" not in line for line in lines)
