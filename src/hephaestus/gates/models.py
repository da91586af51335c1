"""Typed results of guard-rails: findings, test cases, one result per gate, drift, the report.

The one :class:`GuardRailsReport` is rendered as text, JSON, SARIF, JUnit XML and GitHub
annotations; nothing else carries results.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, computed_field

from hephaestus.core.errors import ExitCode


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Severity(StrEnum):
    """How serious a finding is. Only errors fail a gate."""

    error = "error"
    warning = "warning"
    note = "note"


class GateStatus(StrEnum):
    """What happened to a gate in one run."""

    passed = "passed"
    failed = "failed"
    """The tool ran and found problems."""
    could_not_run = "could-not-run"
    """The tool is missing, crashed, timed out or could not reach a service: never a pass."""
    cached = "cached"
    """A pass reused from the cache: nothing the gate reads has changed."""
    skipped = "skipped"
    """Not run: deselected, not applicable to this repository, or stopped by ``fail_fast``."""
    baselined = "baselined"
    """The tool found problems, every failing one recorded in the baseline (``baseline``): not
    a failure, not a pass either, and never cached (the cache keeps passes only)."""


class Finding(_Frozen):
    """One problem a gate's tool reported, in one shape for every tool."""

    gate: str = Field(description="Name of the gate that reported it.")
    rule: str | None = Field(description="The tool's rule or error code (F401, return-value…).")
    severity: Severity
    message: str
    path: str | None = Field(
        description="File, relative to the repository root with '/' separators; null if none."
    )
    line: int | None = Field(default=None, ge=1, description="1-based line.")
    column: int | None = Field(default=None, ge=1, description="1-based column.")
    help_url: str | None = Field(default=None, description="Documentation of the rule.")


class TestOutcome(StrEnum):
    """The outcome of one test in a test-running gate."""

    __test__ = False  # not a pytest test class, whatever its name

    passed = "passed"
    failed = "failed"
    error = "error"
    skipped = "skipped"


class TestCase(_Frozen):
    """One test run by a test-running gate (pytest), for JUnit XML."""

    __test__ = False

    name: str
    classname: str
    outcome: TestOutcome
    duration: float = Field(ge=0, description="Seconds.")
    message: str | None = None


class GateResult(_Frozen):
    """The outcome of one gate."""

    name: str
    status: GateStatus
    required: bool = Field(description="Whether this gate decides the exit code.")
    duration: float = Field(ge=0, description="Seconds spent running it (0 when cached/skipped).")
    tool: str | None = Field(default=None, description="Distribution that provides the tool.")
    tool_version: str | None = None
    tool_origin: str | None = Field(
        default=None,
        description="Where the tool that ran came from: the project environment, PATH, or "
        "hephaestus' environment (standalone tools only).",
    )
    findings: tuple[Finding, ...] = ()
    tests: tuple[TestCase, ...] = ()
    reason: str | None = Field(
        default=None, description="One line: why it could not run, was skipped, or failed."
    )
    hint: str | None = Field(default=None, description="What to do about `reason`.")
    command: tuple[str, ...] = Field(default=(), description="The argv that ran (or would run).")
    files: tuple[str, ...] | None = Field(
        default=None,
        description="In a changed-files run (`changed_since`, `files`), the only files the gate "
        "checked; null when it checked the whole project.",
    )

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented pattern
    @property
    def finding_count(self) -> int:
        """Number of findings."""
        return len(self.findings)


class DriftVerdict(StrEnum):
    """How an installed tool compares with what the project declares."""

    ok = "ok"
    drift = "drift"
    """Installed, but not satisfying the declared specifier or the lock."""
    missing = "missing"
    """Declared, but not installed in the environment."""
    pin_mismatch = "pin-mismatch"
    """The pre-commit `rev:` pin disagrees with the locked (or installed) version."""
    undeclared = "undeclared"
    """Installed and used by a gate, but declared nowhere: informational, not drift."""


class DriftEntry(_Frozen):
    """One tool's declared, locked, pinned and installed versions, and the verdict."""

    tool: str = Field(description="Distribution name, normalised (PEP 503).")
    declared: str | None = Field(description="Specifier from pyproject.toml, e.g. '>=0.8'.")
    locked: str | None = Field(default=None, description="Version in the lock file.")
    pinned: str | None = Field(default=None, description="Version in .pre-commit-config.yaml.")
    installed: str | None
    source: str = Field(description="Where the declaration was found.")
    verdict: DriftVerdict
    message: str = Field(description="One line explaining the verdict.")
    remediation: tuple[tuple[str, ...], ...] = Field(
        default=(), description="Commands (argument lists, never shell strings) that fix it."
    )


class RemediationResult(_Frozen):
    """One remediation command that --auto-remediate ran."""

    argv: tuple[str, ...]
    returncode: int | None = Field(description="Exit status; null if it could not start.")
    output: str = Field(description="The last lines of its output, or why it could not run.")


class DriftReport(_Frozen):
    """Drift of every gate tool, and what --auto-remediate did about it."""

    entries: tuple[DriftEntry, ...]
    remediations: tuple[RemediationResult, ...] = ()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def drifted(self) -> bool:
        """Whether any tool drifted (undeclared tools are not drift)."""
        return any(
            e.verdict not in {DriftVerdict.ok, DriftVerdict.undeclared} for e in self.entries
        )


class BaselineEntry(_Frozen):
    """Findings the baseline accepts: a gate's rule on one source line, ``count`` times."""

    gate: str
    rule: str | None
    path: str | None = Field(description="As in the finding: relative to the root, '/' separated.")
    line: str | None = Field(
        description="SHA-256 (16 hex digits) of the finding's source line with every whitespace "
        "character removed; null when the line could not be read (matched by count then)."
    )
    count: int = Field(default=1, ge=1, description="Identical findings accepted.")


class BaselineSummary(_Frozen):
    """What the baseline did in one run (``baseline``, ``write_baseline``)."""

    file: str = Field(description="The baseline file.")
    written: bool = Field(default=False, description="Whether this run (re)wrote it.")
    new: int = Field(ge=0, description="Findings not in the baseline: reported, and they fail.")
    known: int = Field(ge=0, description="Findings the baseline accepts: not reported.")
    fixed: int = Field(
        ge=0, description="Baseline entries whose finding is gone (pruned when written)."
    )
    added: int = Field(default=0, ge=0, description="Entries a write added to the old file.")
    known_findings: tuple[Finding, ...] = Field(
        default=(), description="The accepted findings (in SARIF with baselineState unchanged)."
    )
    fixed_entries: tuple[BaselineEntry, ...] = ()


class GuardRailsReport(_Frozen):
    """Everything one guard-rails run found."""

    root: str
    results: tuple[GateResult, ...] = Field(description="One per gate, in registration order.")
    duration: float = Field(ge=0, description="Wall time of the run in seconds.")
    jobs: int = Field(ge=1, description="Gates allowed to run at once.")
    drift: DriftReport | None = Field(
        default=None, description="Present when drift was checked (`drift`)."
    )
    profile: str | None = Field(default=None, description="QA profile applied (`profile`).")
    environment: str | None = Field(
        default=None,
        description="The project environment the gates ran in and how it was found; null when "
        "the project has none (gates that import the project then could not run).",
    )
    interrupted: str | None = Field(
        default=None,
        description="Why the run stopped early (interrupted by SIGINT or SIGTERM, or cancelled "
        "by the caller): the report is partial.",
    )
    baseline: BaselineSummary | None = Field(
        default=None,
        description="Present when a baseline applied (`baseline`): findings it accepts are left "
        "out of the gates' findings and decide nothing.",
    )
    changed_files: tuple[str, ...] | None = Field(
        default=None,
        description="A changed-files run (`changed_since`, `files`): the changed paths, "
        "relative to the root, deleted ones included; null when the whole project was checked.",
    )

    @property
    def checked_nothing(self) -> bool:
        """A whole-project run in which every gate was skipped: nothing was checked.

        Never a pass (exit 2): run in the wrong directory, or in a project whose tools none is
        configured, it would be a green CI job that checked nothing. A changed-files run whose
        changes no gate checks is a pass: there was nothing to check.
        """
        return (
            self.changed_files is None
            and self.interrupted is None
            and self.drift is None  # a drift check is a check
            and all(r.status is GateStatus.skipped for r in self.results)
        )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def exit_code(self) -> int:
        """0 if every required gate passed; 1 on findings or drift; 5 if one could not run.

        2 when the whole project was to be checked and every gate was skipped
        (:attr:`checked_nothing`).

        Findings win over "could not run": they are actionable, and re-running will not help.
        With a baseline only new findings count: a ``baselined`` gate does not fail the run.
        An interrupted run exits 130 (SIGINT, or cancelled) or 143 (SIGTERM), whatever it found.
        """
        if self.interrupted is not None:
            terminated = "SIGTERM" in self.interrupted
            return int(ExitCode.TERMINATED if terminated else ExitCode.INTERRUPTED)
        if self.checked_nothing:
            return int(ExitCode.USAGE)
        required = [r for r in self.results if r.required]
        if any(r.status is GateStatus.failed for r in required) or (
            self.drift is not None and self.drift.drifted
        ):
            return int(ExitCode.FINDINGS)
        if any(r.status is GateStatus.could_not_run for r in required):
            return int(ExitCode.EXTERNAL)
        return int(ExitCode.OK)
