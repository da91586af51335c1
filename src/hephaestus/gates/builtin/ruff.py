"""The ruff gates: ``ruff-check`` (lint) and ``ruff-format`` (formatting), from ruff's JSON.

No paths are passed: ruff finds the files itself from its configuration and ``.gitignore``. A
changed-files run passes the changed files after ``--force-exclude --`` (ruff's ``exclude`` and
``include`` then still apply to them, as in a whole run).
Options come from the gate's ``args``, else from the project's pre-commit hook for that tool
(fixing flags dropped). A check never writes: ``--no-fix`` (or ``--check``) comes last, so it
wins over ``fix = true`` in the project's configuration, and ruff's cache goes to hephaestus'
state directory (``--no-cache`` without one). Only ``--fix`` writes.
Exit codes: 0 clean, 1 problems found, 2 ruff could not run (bad configuration or arguments).
One exception: ``ruff format --check`` also exits 2 when a file does not parse; its JSON then
holds an ``invalid-syntax`` entry, which is reported as a finding like ``ruff check`` does.
"""

from __future__ import annotations

import contextlib
import re
import tomllib
from typing import TYPE_CHECKING, ClassVar, Final

from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from hephaestus.core.proc import run
from hephaestus.gates.models import Finding, Severity
from hephaestus.gates.project import without
from hephaestus.gates.spec import (
    Gate,
    GateConfig,
    GateContext,
    GateError,
    Outcome,
    could_not_run,
    relative,
    standalone,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from hephaestus.core.proc import ProcessResult

PYTHON_SUFFIXES = (".py", ".pyi", ".ipynb")
MARKDOWN_SUFFIXES = (".md", ".markdown")
LISTING_TIMEOUT = 120.0
"""Seconds ``ruff check --show-files`` may take to list a changed-files run's candidates."""
PROBLEMS, ERROR = 1, 2
"""ruff's exit codes: problems found; ruff failed (bad configuration, arguments, or syntax)."""
HINT = "run the command by hand to see ruff's whole message; check [tool.ruff] and the gate's args"
JSON_FORMAT_SINCE = Version("0.16")
"""The first ruff whose ``format --output-format json`` is stable (0.14 and 0.15: preview)."""
REFORMAT = "File would be reformatted"
WOULD_REFORMAT: Final = re.compile(r"^Would reformat: (.+)$", re.MULTILINE)
FAILED_TO_PARSE: Final = re.compile(
    r"^error: Failed to parse (?P<path>.+?):(?P<line>\d+):(?P<column>\d+): (?P<message>.*)$",
    re.MULTILINE,
)
WRITING_FLAGS = ("--fix", "--unsafe-fixes", "--fix-only", "--no-fix", "--diff", "--watch")
"""Flags of a project's hook args that would make a check write (or not report): dropped."""
CONFIGURATION = (("tool", "ruff"),)
CONFIG_FILES = ("ruff.toml", ".ruff.toml")
AUTOMATION = ("tox.ini", "noxfile.py", "Makefile", "justfile", "pyproject.toml", ".gitlab-ci.yml")
"""Files whose text says which commands a project runs (plus .github/workflows/*.yml)."""


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
    inputs: ClassVar[tuple[str, ...]] = ("*",)
    """Every file: ruff formats code blocks in Markdown (0.16 and later), and a project's
    ``include``/``extend-include`` can add any file."""
    writes_with_fix: ClassVar[bool] = True
    file_level: ClassVar[bool] = True
    accepts_files: ClassVar[bool] = True
    precommit_repos: ClassVar[tuple[str, ...]] = ("https://github.com/astral-sh/ruff-pre-commit",)
    config_files: ClassVar[tuple[str, ...]] = ("pyproject.toml", "ruff.toml", ".ruff.toml")
    user_config: ClassVar[tuple[str, ...]] = (
        "ruff/ruff.toml",
        "ruff/.ruff.toml",
        "ruff/pyproject.toml",
    )
    environment_variables: ClassVar[tuple[str, ...]] = ("RUFF_*",)
    hook_ids: ClassVar[tuple[str, ...]]
    """Ids of the pre-commit hooks that run this gate's ruff command."""

    def applies(self, context: GateContext[GateConfig]) -> str | None:
        """Apply when the repository has Python files (or notebooks)."""
        return (
            None if any(f.endswith(PYTHON_SUFFIXES) for f in context.files) else "no Python files"
        )

    def _ruff(self, context: GateContext[GateConfig]) -> str:
        return str(standalone(context, "ruff", "ruff").path)

    def _args(self, context: GateContext[GateConfig]) -> tuple[str, ...]:
        """Return the gate's ``args``, else the project's hook's, without flags that write.

        The cache location (hephaestus' state, or none) follows.
        """
        hook = context.project.hook(*self.hook_ids)
        args = context.config.args or (hook.args if hook is not None else ())
        cache = (
            ("--cache-dir", str(context.tool_cache))
            if context.tool_cache is not None
            else ("--no-cache",)
        )
        return (*without(args, WRITING_FLAGS), *cache)

    def _discovered(self, context: GateContext[GateConfig]) -> frozenset[str]:
        """Return the files a whole ``ruff check`` picks (``--show-files``), root-relative.

        A file named on ruff's command line is always taken for Python (``notes.txt`` gets
        F821, a YAML file "would be reformatted"): a changed-files run gives ruff only the
        changed files it would pick by itself, with the project's include and exclude.

        Raises:
            GateError: ruff cannot list them (a bad configuration: the run would fail too).

        """
        argv = [self._ruff(context), "check", *self._args(context), "--show-files"]
        listed = run(argv, cwd=context.root, timeout=LISTING_TIMEOUT, install_hint=HINT)
        if not listed.ok:
            raise could_not_run("ruff check --show-files", listed, HINT)
        lines = [line.strip() for line in listed.stdout.splitlines() if line.strip()]
        # ruff prints resolved paths: a root reached through a link is matched both ways.
        roots = dict.fromkeys((context.root, context.root.resolve()))
        return frozenset(relative(root, line) for root in roots for line in lines)

    @staticmethod
    def _paths(context: GateContext[GateConfig]) -> tuple[str, ...]:
        """Return the changed files to check, after ``--force-exclude --``; none: the project.

        ``--force-exclude`` keeps ruff's ``exclude`` for files named on the command line, and
        ``--`` keeps a file named like an option a file. ``targets`` is never empty (ruff would
        then check the whole project): the runner skips a gate with no changed file.
        """
        if context.targets is None:
            return ()
        return ("--force-exclude", "--", *context.targets)

    @staticmethod
    def _ruff_used(context: GateContext[GateConfig]) -> bool:
        return context.project.uses(
            distribution="ruff",
            tables=CONFIGURATION,
            files=CONFIG_FILES,
            hooks=("ruff", "ruff-check", "ruff-format"),
        )

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
    hook_ids: ClassVar[tuple[str, ...]] = ("ruff", "ruff-check")

    def configured(self, context: GateContext[GateConfig]) -> str | None:
        """Say whether ruff is declared, configured ([tool.ruff], ruff.toml) or hooked."""
        if self._ruff_used(context):
            return None
        return "not configured: no [tool.ruff], ruff.toml, ruff dependency or pre-commit hook"

    def select_targets(
        self, context: GateContext[GateConfig], targets: tuple[str, ...]
    ) -> tuple[str, ...]:
        """Keep the changed files a whole ``ruff check`` lints (:meth:`_discovered`)."""
        discovered = self._discovered(context)
        return tuple(t for t in targets if t in discovered)

    def command(self, context: GateContext[GateConfig]) -> Sequence[str]:
        """``ruff check <args> --output-format json --no-fix`` (``--fix`` with --fix).

        No paths, or the changed files of a changed-files run.
        """
        mode = "--fix" if context.fix else "--no-fix"
        return [
            self._ruff(context),
            "check",
            *self._args(context),
            "--output-format",
            "json",
            mode,
            *self._paths(context),
        ]

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
    fix_order: ClassVar[int] = 1  # after ruff check --fix, as ruff's documentation advises
    hook_ids: ClassVar[tuple[str, ...]] = ("ruff-format",)

    def configured(self, context: GateContext[GateConfig]) -> str | None:
        """Say whether the project formats with ruff.

        It does with a ``ruff-format`` hook, a ``[tool.ruff.format]`` (or ruff.toml
        ``[format]``) table, or ``ruff format`` in its automation (tox, nox, make, CI
        workflows). Declaring ruff alone does not say the project formats with it.
        """
        project = context.project
        if project.hook("ruff-format") is not None or project.has_table("tool", "ruff", "format"):
            return None
        if any(_has_format_table(context.root / name) for name in CONFIG_FILES):
            return None
        if _automation_runs(context.root, "ruff format"):
            return None
        return (
            "not configured: no ruff-format hook, [tool.ruff.format] table or `ruff format` "
            "in the project's automation"
        )

    def select_targets(
        self, context: GateContext[GateConfig], targets: tuple[str, ...]
    ) -> tuple[str, ...]:
        """Keep the changed files a whole ``ruff format`` formats.

        Those ``ruff check`` picks that are Python (not ``pyproject.toml``), and Markdown from
        ruff 0.16 on (an older ruff refuses Markdown outside preview mode).
        """
        discovered = self._discovered(context)
        markdown = formats_as_json(standalone(context, "ruff", "ruff").version)
        return tuple(
            t
            for t in targets
            if (t in discovered and t.endswith(PYTHON_SUFFIXES))
            or (markdown and t.endswith(MARKDOWN_SUFFIXES))
        )

    def command(self, context: GateContext[GateConfig]) -> Sequence[str]:
        """``ruff format <args> --check --output-format json``, or ``ruff format <args>`` to fix.

        Before ruff 0.16, ``format --output-format`` is unknown (or preview-only): the check
        then reads ruff's text (``Would reformat: …``, ``error: Failed to parse …``).
        """
        mode = [] if context.fix else ["--check"]
        if not context.fix and formats_as_json(standalone(context, "ruff", "ruff").version):
            mode += ["--output-format", "json"]
        return [self._ruff(context), "format", *self._args(context), *mode, *self._paths(context)]

    def parse(self, context: GateContext[GateConfig], process: ProcessResult) -> Outcome:
        """One finding per file that would change; a file that does not parse is one too."""
        if context.fix:
            if process.returncode != 0:
                raise could_not_run("ruff format", process, HINT)
            return Outcome()
        if not process.stdout.lstrip().startswith(("[", "{")):  # an older ruff's text
            return self._text(context, process)
        if process.returncode == 0:
            return Outcome(findings=self._findings(context, process.stdout))
        if process.returncode == PROBLEMS:
            return self._problems(context, process)
        if process.returncode == ERROR and process.stdout.lstrip().startswith("["):
            findings = self._findings(context, process.stdout)
            if any(f.rule == "invalid-syntax" for f in findings):
                return Outcome(findings=findings)
        raise could_not_run("ruff format", process, HINT)

    def _text(self, context: GateContext[GateConfig], process: ProcessResult) -> Outcome:
        """Read ``ruff format --check``'s text: files it would reformat, files it cannot parse."""
        findings = [
            self._finding(context, _Diagnostic(code="unformatted", message=REFORMAT, filename=m[1]))
            for m in WOULD_REFORMAT.finditer(process.stdout)
        ]
        findings += [
            self._finding(
                context,
                _Diagnostic(
                    code=None,
                    message=m["message"],
                    filename=m["path"],
                    location=_Location(row=int(m["line"]), column=int(m["column"])),
                ),
            )
            for m in FAILED_TO_PARSE.finditer(process.stderr)
        ]
        syntax = any(f.rule == "invalid-syntax" for f in findings)
        expected = {0: not findings, PROBLEMS: bool(findings), ERROR: syntax}
        if not expected.get(process.returncode, False):
            raise could_not_run("ruff format", process, HINT)
        return Outcome(findings=tuple(findings))


def formats_as_json(version: str) -> bool:
    """Whether this ruff reports ``format --check`` as JSON (0.16 and later; unknown: yes)."""
    try:
        return Version(version) >= JSON_FORMAT_SINCE
    except InvalidVersion:
        return True


def _has_format_table(path: Path) -> bool:
    """Whether the ruff.toml at ``path`` has a ``[format]`` table."""
    try:
        return isinstance(tomllib.loads(path.read_text(encoding="utf-8")).get("format"), dict)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


def _automation_runs(root: Path, command: str) -> bool:
    """Whether the project's automation (tox, nox, make, just, CI workflows) runs ``command``."""
    files = [root / name for name in AUTOMATION]
    files += sorted((root / ".github" / "workflows").glob("*.y*ml"))
    for path in files:
        with contextlib.suppress(OSError):
            if command in path.read_text(encoding="utf-8", errors="replace"):
                return True
    return False
