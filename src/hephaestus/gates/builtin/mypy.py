"""The ``mypy`` gate: type-check with mypy's JSON output (``-O json``, mypy 1.11 or later).

mypy imports the project's dependencies' types, so it runs in the project's environment only.
Targets are what the project type-checks, never guessed: none when mypy's configuration names
them (``files``, ``modules``, ``packages``), else the files the project's ``mypy`` pre-commit
hook would get (its ``files``/``exclude``/``types``) with the hook's ``args``. A project that
configures mypy but names no targets is skipped as not configured (forced with ``--gate``, the
gate could not run). A changed-files run of a project that opts mypy in
(``changed-only-project-gates``) names the changed ``.py``/``.pyi`` files instead (those the hook
selects, with a hook); mypy still follows their imports. mypy's cache goes to hephaestus' state
directory (``/dev/null`` without one: mypy's documented "write no cache").
Exit codes: 0 clean, 1 errors found, 2 mypy stopped early. Exit 2 is a finding when the
blocking error is a syntax error in the code, and "could not run" for anything else (bad
options, duplicate modules, unreadable files). mypy before 1.16 prints blocking errors as text
even with ``-O json`` (``file:line: error: invalid syntax  [syntax]``): those lines are read too.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, ClassVar, Final

from pydantic import BaseModel, ConfigDict, ValidationError

from hephaestus.gates.builtin.layout import mypy_configured_targets
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

HELP_URL = "https://mypy.readthedocs.io/en/stable/_refs.html#code-{code}"
HINT = "run the command by hand to see mypy's whole message; check mypy's configuration"
FOUND_ERRORS = 1
STOPPED = 2
BLOCKING: Final = re.compile(
    r"^(?P<file>.+?):(?:(?P<line>\d+):(?:(?P<column>\d+):)?)? (?P<severity>error|note): "
    r"(?P<message>.*?)(?:  \[(?P<code>[a-z0-9-]+)\])?$"
)
"""A blocking error as mypy before 1.16 prints it, JSON asked for or not (columns 1-based)."""


class _Error(BaseModel):
    """One line of ``mypy -O json`` (only the fields used)."""

    model_config = ConfigDict(extra="ignore")

    file: str
    line: int
    column: int
    message: str
    hint: str | None = None
    code: str | None = None
    severity: str


class Mypy(Gate[GateConfig]):
    """Type-check the project with mypy."""

    name: ClassVar[str] = "mypy"
    description: ClassVar[str] = "type-check Python code with mypy"
    tool: ClassVar[str | None] = "mypy"
    inputs: ClassVar[tuple[str, ...]] = (
        "*.py",
        "*.pyi",
        "py.typed",
        "pyproject.toml",
        "mypy.ini",
        ".mypy.ini",
        "setup.cfg",
    )
    precommit_repos: ClassVar[tuple[str, ...]] = ("https://github.com/pre-commit/mirrors-mypy",)
    imports_project: ClassVar[bool] = True
    accepts_files: ClassVar[bool] = True
    config_files: ClassVar[tuple[str, ...]] = (
        "mypy.ini",
        ".mypy.ini",
        "pyproject.toml",
        "setup.cfg",
    )
    user_config: ClassVar[tuple[str, ...]] = ("mypy/config", "~/.config/mypy/config", "~/.mypy.ini")
    environment_variables: ClassVar[tuple[str, ...]] = ("MYPY*",)

    def applies(self, context: GateContext[GateConfig]) -> str | None:
        """Apply when the repository has Python files (a changed-files run: changed ones)."""
        if context.targets is not None and not self._changed(context):
            return "no changed files"
        return (
            None if any(f.endswith((".py", ".pyi")) for f in context.files) else "no Python files"
        )

    @staticmethod
    def _changed(context: GateContext[GateConfig]) -> list[str]:
        """Return the changed Python files to check (the hook's selection of them, with one)."""
        given = context.targets or ()
        hook = context.project.hook("mypy")
        found = hook.select(given) if hook is not None else list(given)
        return [f for f in found if f.endswith((".py", ".pyi"))]

    def configured(self, context: GateContext[GateConfig]) -> str | None:
        """Say whether mypy is declared, configured or hooked, and something names its targets."""
        used = context.project.uses(
            distribution="mypy",
            tables=(("tool", "mypy"),),
            files=("mypy.ini", ".mypy.ini"),
            hooks=("mypy",),
            sections={"setup.cfg": ("mypy",)},
        )
        if not used:
            return "not configured: no [tool.mypy], mypy.ini, mypy dependency or pre-commit hook"
        if not mypy_configured_targets(context.root, context.pyproject) and (
            context.project.hook("mypy") is None
        ):
            return (
                "not configured: mypy's configuration names no files to check "
                "(set files in [tool.mypy])"
            )
        return None

    def targets(self, context: GateContext[GateConfig]) -> list[str]:
        """Return what to check: nothing if mypy's configuration says, else the hook's files.

        Raises:
            GateError: ``no-targets``: neither mypy's configuration nor a hook names any.

        """
        if context.targets is not None:
            return self._changed(context)
        if mypy_configured_targets(context.root, context.pyproject):
            return []
        hook = context.project.hook("mypy")
        found = hook.select(context.files) if hook is not None else []
        if not found:
            raise GateError(
                "cannot tell what mypy should check: its configuration names no files",
                hint='add files = ["your_package"] to [tool.mypy] in pyproject.toml',
                code="no-targets",
            )
        return found

    def command(self, context: GateContext[GateConfig]) -> Sequence[str]:
        """``mypy <args> -O json --cache-dir <state> <targets>``."""
        mypy = executable(context.environment, "mypy", "mypy")
        targets = self.targets(context)
        hook = context.project.hook("mypy")
        args = context.config.args or (hook.args if hook is not None and targets else ())
        cache = str(context.tool_cache) if context.tool_cache is not None else os.devnull
        return [mypy, *args, "-O", "json", "--cache-dir", cache, *targets]

    def parse(self, context: GateContext[GateConfig], process: ProcessResult) -> Outcome:
        """One finding per error or note mypy printed."""
        if process.returncode not in {0, FOUND_ERRORS, STOPPED}:
            raise could_not_run("mypy", process, HINT)
        findings = self._findings(context, process)
        if process.returncode == STOPPED and not findings:
            findings = self._blocking(context, process)
        errors = [f for f in findings if f.severity is Severity.error]
        if process.returncode == STOPPED:
            if any(f.rule == "syntax" for f in errors):
                return Outcome(findings=findings)
            if errors:
                where = f"{errors[0].path}: " if errors[0].path else ""
                raise GateError(f"mypy stopped: {where}{errors[0].message}", hint=HINT)
            raise could_not_run("mypy", process, HINT)
        if process.returncode == FOUND_ERRORS and not errors:
            if not findings:
                raise could_not_run("mypy", process, HINT)
            # Only notes, yet mypy failed: reveal_type()/reveal_locals() left in the code.
            findings = tuple(f.model_copy(update={"severity": Severity.error}) for f in findings)
        return Outcome(findings=findings)

    def _findings(
        self, context: GateContext[GateConfig], process: ProcessResult
    ) -> tuple[Finding, ...]:
        """Parse each JSON line; other lines (a summary, a usage message) are not findings.

        Raises:
            GateError: a line that looks like JSON is not mypy's JSON (an old mypy, say).

        """
        findings: list[Finding] = []
        for text in process.stdout.splitlines():
            if not text.startswith("{"):
                continue
            try:
                error = _Error.model_validate_json(text)
            except ValidationError as exc:
                raise GateError(
                    f"mypy printed a line that is not its JSON report: {text[:80]}",
                    hint="mypy 1.11 or later is needed for -O json: uv add --dev 'mypy>=1.11'",
                ) from exc
            findings.append(self._finding(context, error))
        return tuple(findings)

    def _blocking(
        self, context: GateContext[GateConfig], process: ProcessResult
    ) -> tuple[Finding, ...]:
        """Read the blocking errors an older mypy printed as text instead of JSON."""
        found = []
        for text in process.stdout.splitlines():
            match = BLOCKING.match(text)
            if match is None:
                continue
            line, column = match["line"], match["column"]
            error = _Error(
                file=match["file"],
                line=int(line) if line else -1,
                column=int(column) - 1 if column else -1,
                message=match["message"],
                code=match["code"],
                severity=match["severity"],
            )
            found.append(self._finding(context, error))
        return tuple(found)

    def _finding(self, context: GateContext[GateConfig], error: _Error) -> Finding:
        # A hint may span lines (a list of resolutions): one line keeps findings readable.
        message = (
            f"{error.message} ({' '.join(error.hint.split())})" if error.hint else error.message
        )
        return Finding(
            gate=self.name,
            rule=error.code,
            severity=Severity.note if error.severity == "note" else Severity.error,
            message=message,
            path=relative(context.root, error.file) if error.file else None,
            line=error.line if error.line >= 1 else None,
            # mypy's JSON columns are 0-based (its text output adds 1); -1 means unknown.
            column=error.column + 1 if error.column >= 0 else None,
            help_url=HELP_URL.format(code=error.code) if error.code else None,
        )
