"""The ruff gates: ``ruff-check`` (lint) and ``ruff-format`` (formatting), from ruff's JSON.

No paths are passed: ruff finds the files itself from its configuration and ``.gitignore``.
Exit codes: 0 clean, 1 problems found, 2 ruff could not run (bad configuration or arguments).
One exception: ``ruff format --check`` also exits 2 when a file does not parse; its JSON then
holds an ``invalid-syntax`` entry, which is reported as a finding like ``ruff check`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from hephaestus.gates.models import Finding, Severity
from hephaestus.gates.spec import (
    Gate,
    GateConfig,
    GateContext,
    GateError,
    Outcome,
    could_not_run,
    executable,
    relative,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from hephaestus.core.proc import ProcessResult

PYTHON_SUFFIXES = (".py", ".pyi", ".ipynb")
PROBLEMS, ERROR = 1, 2
"""ruff's exit codes: problems found; ruff failed (bad configuration, arguments, or syntax)."""
HINT = "run the command by hand to see ruff's whole message; check [tool.ruff] and the gate's args"


class _Location(BaseModel):
    row: int
    column: int


class _Diagnostic(BaseModel):
    """One entry of ``--output-format json`` (only the fields used; ruff adds more)."""

    model_config = ConfigDict(extra="ignore")

    code: str | None
    message: str
    filename: str
    location: _Location | None = None
    url: str | None = None
    severity: str = "error"


_DIAGNOSTICS = TypeAdapter(list[_Diagnostic])


class _Ruff(Gate[GateConfig]):
    """What both ruff gates share: the tool, its inputs and the JSON parser."""

    tool: ClassVar[str | None] = "ruff"
    inputs: ClassVar[tuple[str, ...]] = (
        *(f"*{suffix}" for suffix in PYTHON_SUFFIXES),
        "pyproject.toml",
        "ruff.toml",
        ".ruff.toml",
        ".gitignore",
    )
    writes_with_fix: ClassVar[bool] = True
    precommit_repos: ClassVar[tuple[str, ...]] = ("https://github.com/astral-sh/ruff-pre-commit",)

    def applies(self, context: GateContext[GateConfig]) -> str | None:
        """Apply when the repository has Python files (or notebooks)."""
        return (
            None if any(f.endswith(PYTHON_SUFFIXES) for f in context.files) else "no Python files"
        )

    def _ruff(self, context: GateContext[GateConfig]) -> str:
        return executable(context.environment, "ruff", "ruff")

    def _findings(self, context: GateContext[GateConfig], stdout: str) -> tuple[Finding, ...]:
        """Parse ruff's JSON list into findings.

        Raises:
            GateError: the output is not the JSON ruff documents.

        """
        try:
            diagnostics = _DIAGNOSTICS.validate_json(stdout)
        except ValidationError as exc:
            raise GateError(
                f"ruff printed output that is not its JSON report: {exc.errors()[0]['msg']}",
                hint=HINT,
            ) from exc
        return tuple(self._finding(context, d) for d in diagnostics)

    def _finding(self, context: GateContext[GateConfig], diagnostic: _Diagnostic) -> Finding:
        location = diagnostic.location
        return Finding(
            gate=self.name,
            rule=diagnostic.code or "invalid-syntax",
            severity=Severity.warning if diagnostic.severity == "warning" else Severity.error,
            message=diagnostic.message,
            path=relative(context.root, diagnostic.filename),
            line=location.row if location and location.row >= 1 else None,
            column=location.column if location and location.column >= 1 else None,
            help_url=diagnostic.url,
        )

    def _problems(self, context: GateContext[GateConfig], process: ProcessResult) -> Outcome:
        """Exit 1: ruff found problems, which must be in its report."""
        findings = self._findings(context, process.stdout)
        if not findings:
            raise GateError(
                "ruff exited with code 1 but reported no problems", hint=HINT, code="no-findings"
            )
        return Outcome(findings=findings)


class RuffCheck(_Ruff):
    """Lint with ``ruff check``; with --fix, apply ruff's safe fixes and report what remains."""

    name: ClassVar[str] = "ruff-check"
    description: ClassVar[str] = "lint Python code with ruff check"

    def command(self, context: GateContext[GateConfig]) -> Sequence[str]:
        """``ruff check --output-format json [--fix] <args>`` with no paths."""
        fix = ["--fix"] if context.fix else []
        return [self._ruff(context), "check", "--output-format", "json", *fix, *context.config.args]

    def parse(self, context: GateContext[GateConfig], process: ProcessResult) -> Outcome:
        """One finding per diagnostic; exit 2 (or any other code) means ruff could not run."""
        if process.returncode == 0:
            return Outcome(findings=self._findings(context, process.stdout))
        if process.returncode == PROBLEMS:
            return self._problems(context, process)
        raise could_not_run("ruff check", process, HINT)


class RuffFormat(_Ruff):
    """Check formatting with ``ruff format --check``; with --fix, reformat the files."""

    name: ClassVar[str] = "ruff-format"
    description: ClassVar[str] = "check Python formatting with ruff format"

    def command(self, context: GateContext[GateConfig]) -> Sequence[str]:
        """``ruff format --check --output-format json <args>``, or ``ruff format <args>`` to fix."""
        mode = [] if context.fix else ["--check", "--output-format", "json"]
        return [self._ruff(context), "format", *mode, *context.config.args]

    def parse(self, context: GateContext[GateConfig], process: ProcessResult) -> Outcome:
        """One finding per file that would change; a file that does not parse is one too."""
        if context.fix:
            if process.returncode != 0:
                raise could_not_run("ruff format", process, HINT)
            return Outcome()
        if process.returncode == 0:
            return Outcome(findings=self._findings(context, process.stdout))
        if process.returncode == PROBLEMS:
            return self._problems(context, process)
        if process.returncode == ERROR and process.stdout.lstrip().startswith("["):
            findings = self._findings(context, process.stdout)
            if any(f.rule == "invalid-syntax" for f in findings):
                return Outcome(findings=findings)
        raise could_not_run("ruff format", process, HINT)
