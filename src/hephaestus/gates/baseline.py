"""Hold-the-line baselines: accept today's findings, fail only on new ones (docs/adr/0015).

The baseline file is a multiset of finding keys (:mod:`.finding_keys`: gate, rule, path and
the hash of the whitespace-free source line), versioned JSON with entries sorted one per line,
so its diffs stay small. A baseline applies after a gate ran and after its pass was cached: the
cache only ever holds the tool's own verdict, never one the baseline changed.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path  # noqa: TC003  # a dataclass field
from typing import TYPE_CHECKING, Final, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from hephaestus.core.errors import UsageError, field_ref
from hephaestus.core.fs import write_atomic
from hephaestus.gates.finding_keys import Key, SourceLines, match
from hephaestus.gates.models import (
    BaselineEntry,
    BaselineSummary,
    Finding,
    GateResult,
    GateStatus,
    Severity,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from hephaestus.gates.models import GuardRailsReport

DEFAULT_FILE: Final = ".hephaestus-baseline.json"
"""Where ``write_baseline`` writes when no file is named: the repository root, committed."""
VERSION: Final = 1
ANALYSED: Final = frozenset(
    {GateStatus.passed, GateStatus.failed, GateStatus.cached, GateStatus.baselined}
)
"""Statuses of a gate whose findings are known: only their baseline entries can be fixed."""


@dataclass(frozen=True, slots=True)
class BaselineOptions:
    """The baseline one run applies or writes (the request's ``baseline``, resolved)."""

    path: Path
    write: bool = False
    """Accept every finding, then (re)write ``path`` (``write_baseline``)."""


class BaselineFile(BaseModel):
    """The committed baseline: which findings are accepted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = VERSION
    entries: tuple[BaselineEntry, ...] = ()

    def counts(self) -> Counter[Key]:
        """Return the entries as a multiset of keys."""
        found: Counter[Key] = Counter()
        for entry in self.entries:
            found[(entry.gate, entry.rule, entry.path, entry.line)] += entry.count
        return found

    @classmethod
    def from_counts(cls, counts: Counter[Key]) -> BaselineFile:
        """Return the file holding the multiset ``counts``, entries in a stable order."""
        entries = [
            BaselineEntry(gate=k[0], rule=k[1], path=k[2], line=k[3], count=n)
            for k, n in counts.items()
            if n > 0
        ]
        return cls(entries=tuple(sorted(entries, key=_entry_order)))

    def dumps(self) -> str:
        """Return the file's JSON: stable, one entry per line, ending in a newline."""
        lines = [
            json.dumps(e.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
            for e in sorted(self.entries, key=_entry_order)
        ]
        body = ",\n".join(f"    {line}" for line in lines)
        entries = f"[\n{body}\n  ]" if lines else "[]"
        return f'{{\n  "version": {self.version},\n  "entries": {entries}\n}}\n'


def _entry_order(entry: BaselineEntry) -> tuple[str, str, str, str]:
    return (entry.gate, entry.path or "", entry.rule or "", entry.line or "")


def load_baseline(path: Path, *, missing_ok: bool = False) -> BaselineFile:
    """Read the baseline at ``path``; an empty one if it is absent and ``missing_ok``.

    Raises:
        UsageError: the file is absent (unless ``missing_ok``), unreadable, or not a baseline
            of this version (exit 2): a write never replaces a file it does not understand.

    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if missing_ok:
            return BaselineFile()
        raise UsageError(
            f"{field_ref('baseline')} {path}: no such file",
            hint=f"record today's findings first with {field_ref('write_baseline')}",
        ) from None
    except OSError as exc:
        raise UsageError(
            f"{field_ref('baseline')} {path}: cannot read it: {exc.strerror or exc}",
            hint="choose a readable file",
        ) from exc
    try:
        return BaselineFile.model_validate_json(data)
    except ValidationError as exc:
        raise UsageError(
            f"{field_ref('baseline')} {path}: not a hephaestus baseline (version {VERSION}): "
            f"{exc.errors()[0]['msg']}",
            hint=f"name another file, or move this one away and use {field_ref('write_baseline')}",
        ) from exc


def save_baseline(baseline: BaselineFile, path: Path) -> None:
    """Write ``baseline`` to ``path`` atomically.

    Raises:
        UsageError: it cannot be written (exit 2).

    """
    try:
        write_atomic(path, baseline.dumps())
    except OSError as exc:
        raise UsageError(
            f"{field_ref('baseline')} {path}: cannot write it: {exc.strerror or exc}",
            hint="choose a writable path",
        ) from exc


class BaselineJudge:
    """Applies one baseline to each gate's result as it finishes (thread-safe).

    With ``record`` every finding is accepted (a ``write_baseline`` run); the counts then say
    what the write adds to and prunes from the old file.
    """

    def __init__(
        self,
        root: Path,
        baseline: BaselineFile,
        *,
        file: Path,
        failing: frozenset[Severity],
        record: bool = False,
    ) -> None:
        self.file = file
        self.lines = SourceLines(root)
        self.failing = failing
        self.record = record
        self._pools: dict[str, Counter[Key]] = defaultdict(Counter)
        for key, count in baseline.counts().items():
            self._pools[key[0]][key] += count
        self._lock = threading.Lock()
        self._left: dict[str, Counter[Key]] = {}
        self._known: dict[str, tuple[Finding, ...]] = {}
        self._new: dict[str, int] = {}

    def judge(self, result: GateResult) -> GateResult:
        """Return ``result`` without the findings the baseline accepts, its status re-judged.

        A failed gate whose failing findings are all accepted is ``baselined``. Gates that did
        not analyse anything (could not run, skipped) are returned as they are.
        """
        if result.status not in ANALYSED:
            return result
        with self._lock:
            keys = [self.lines.key(f) for f in result.findings]
            known, left = match(keys, self._pools[result.name])
            # A gate that checked some files only (a changed-files run) fixed nothing elsewhere.
            checked = result.files
            self._left[result.name] = Counter(
                {k: n for k, n in left.items() if checked is None or k[2] in checked}
            )
        accepted = tuple(f for f, k in zip(result.findings, known, strict=True) if k)
        new = tuple(f for f, k in zip(result.findings, known, strict=True) if not k)
        self._new[result.name] = len(new)
        if self.record:
            accepted, new = result.findings, ()
        self._known[result.name] = accepted
        if result.status is not GateStatus.failed:
            return result.model_copy(update={"findings": new})
        if not any(f.severity in self.failing for f in accepted) or any(
            f.severity in self.failing for f in new
        ):  # a failure the baseline does not explain (or a new one) stays a failure
            return result.model_copy(update={"findings": new})
        reason = f"every failing finding is in the baseline ({len(accepted)} accepted)"
        return result.model_copy(
            update={"findings": new, "status": GateStatus.baselined, "reason": reason}
        )

    def summary(self) -> BaselineSummary:
        """Sum up what the baseline did to the gates judged so far."""
        with self._lock:
            fixed = BaselineFile.from_counts(sum(self._left.values(), Counter())).entries
            known = tuple(f for name in sorted(self._known) for f in self._known[name])
            new = sum(self._new.values())
        return BaselineSummary(
            file=str(self.file),
            new=0 if self.record else new,
            known=len(known),
            fixed=sum(e.count for e in fixed),
            added=new if self.record else 0,
            known_findings=known,
            fixed_entries=fixed,
        )


def open_judge(
    root: Path, options: BaselineOptions | None, *, failing: frozenset[Severity]
) -> BaselineJudge | None:
    """Load the run's baseline (an absent one is empty when it is to be written).

    Raises:
        UsageError: the baseline cannot be read or is not one (exit 2), before any gate runs.

    """
    if options is None:
        return None
    return BaselineJudge(
        root,
        load_baseline(options.path, missing_ok=options.write),
        file=options.path,
        failing=failing,
        record=options.write,
    )


def recorded(report: GuardRailsReport, old: BaselineFile, *, root: Path) -> BaselineFile:
    """Return the baseline of ``report``'s findings (a ``write_baseline`` run's).

    Gates that analysed the code are recorded as they are now (gone findings pruned); the old
    entries of gates that could not run or were skipped are kept.
    """
    analysed = {r.name for r in report.results if r.status in ANALYSED}
    lines = SourceLines(root)
    findings: Iterable[Finding] = [
        *(f for r in report.results if r.name in analysed for f in r.findings),
        *(report.baseline.known_findings if report.baseline is not None else ()),
    ]
    counts: Counter[Key] = Counter(k for k in old.counts().elements() if k[0] not in analysed)
    counts.update(lines.key(f) for f in findings if f.gate in analysed)
    return BaselineFile.from_counts(counts)


def write_recorded(report: GuardRailsReport, path: Path, *, root: Path) -> GuardRailsReport:
    """Write the baseline of ``report`` (a ``write_baseline`` run's) to ``path``; return it marked.

    An interrupted run writes nothing: its report is partial.

    Raises:
        UsageError: the old file is not a baseline, or the new one cannot be written (exit 2).

    """
    if report.interrupted is not None or report.baseline is None:
        return report
    save_baseline(recorded(report, load_baseline(path, missing_ok=True), root=root), path)
    return report.model_copy(
        update={"baseline": report.baseline.model_copy(update={"written": True})}
    )
