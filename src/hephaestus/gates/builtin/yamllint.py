"""The ``yamllint`` gate: lint the repository's YAML files with ``yamllint -f parsable``.

The files are the repository's ``*.yaml`` and ``*.yml`` (tracked or untracked-not-ignored), passed
explicitly; yamllint's own configuration (``.yamllint``, its ``ignore``) still applies.
Exit codes: 0 no error (warnings allowed), 1 errors found, 2 warnings found under ``--strict``
(they then count as errors); anything else (an unreadable file, a bad configuration) means
yamllint could not run.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar, Final

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

SUFFIXES = (".yaml", ".yml")
HELP_URL = "https://yamllint.readthedocs.io/en/stable/rules.html#module-yamllint.rules.{module}"
HINT = "run the command by hand to see yamllint's whole message; check .yamllint"
PROBLEM: Final = re.compile(
    r"^(?P<path>.+?):(?P<line>\d+):(?P<column>\d+): \[(?P<level>error|warning)\] "
    r"(?P<message>.*?)(?: \((?P<rule>[a-z0-9-]+)\))?$"
)
ERRORS, STRICT_WARNINGS = 1, 2


class Yamllint(Gate[GateConfig]):
    """Lint YAML files with yamllint and the repository's yamllint configuration."""

    name: ClassVar[str] = "yamllint"
    description: ClassVar[str] = "lint YAML files with yamllint"
    tool: ClassVar[str | None] = "yamllint"
    inputs: ClassVar[tuple[str, ...]] = ("*.yaml", "*.yml", ".yamllint")
    precommit_repos: ClassVar[tuple[str, ...]] = ("https://github.com/adrienverge/yamllint",)

    def _yaml_files(self, context: GateContext[GateConfig]) -> list[str]:
        """Return the repository's YAML files that exist (a deleted tracked file is skipped)."""
        return [f for f in context.files if f.endswith(SUFFIXES) and (context.root / f).is_file()]

    def applies(self, context: GateContext[GateConfig]) -> str | None:
        """Apply when the repository has YAML files."""
        return None if self._yaml_files(context) else "no YAML files"

    def command(self, context: GateContext[GateConfig]) -> Sequence[str]:
        """``yamllint -f parsable <args> -- <files>``."""
        yamllint = executable(context.environment, "yamllint", "yamllint")
        return [yamllint, "-f", "parsable", *context.config.args, "--", *self._yaml_files(context)]

    def parse(self, context: GateContext[GateConfig], process: ProcessResult) -> Outcome:
        """One finding per reported problem, with its rule and the rule's documentation."""
        if process.returncode not in {0, ERRORS, STRICT_WARNINGS}:
            raise could_not_run("yamllint", process, HINT)
        strict = process.returncode == STRICT_WARNINGS
        findings: list[Finding] = []
        for text in process.stdout.splitlines():
            match = PROBLEM.match(text)
            if match is None:
                if text.strip():
                    raise GateError(f"yamllint printed an unexpected line: {text[:80]}", hint=HINT)
                continue
            error = match["level"] == "error" or strict
            rule = match["rule"]
            findings.append(
                Finding(
                    gate=self.name,
                    rule=rule,
                    severity=Severity.error if error else Severity.warning,
                    message=match["message"],
                    path=relative(context.root, match["path"]),
                    line=int(match["line"]) or None,
                    column=int(match["column"]) or None,
                    help_url=_help_url(rule),
                )
            )
        if process.returncode != 0 and not findings:
            raise could_not_run("yamllint", process, HINT)
        return Outcome(findings=tuple(findings))


def _help_url(rule: str | None) -> str | None:
    """Link a rule's documentation; a YAML syntax error has none."""
    if rule is None or rule == "syntax":
        return None
    return HELP_URL.format(module=rule.replace("-", "_"))
