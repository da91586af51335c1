"""The ``yamllint`` gate: lint the repository's YAML files with ``yamllint -f parsable``.

The files are the repository's ``*.yaml`` and ``*.yml`` (tracked or untracked-not-ignored), passed
explicitly (in a changed-files run, the changed ones); yamllint's own configuration
(``.yamllint``, its ``ignore``) still applies.
Exit codes: 0 no error (warnings allowed), 1 errors found, 2 warnings found under ``--strict``
(they then count as errors); anything else (an unreadable file, a bad configuration) means
yamllint could not run. It runs only where the project uses yamllint: its default rules are
nobody's style.
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
    relative,
    standalone,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from hephaestus.core.proc import ProcessResult

SUFFIXES = (".yaml", ".yml")
CONFIG_FILES = (".yamllint", ".yamllint.yaml", ".yamllint.yml")
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
    file_level: ClassVar[bool] = True
    accepts_files: ClassVar[bool] = True
    config_files: ClassVar[tuple[str, ...]] = CONFIG_FILES
    user_config: ClassVar[tuple[str, ...]] = ("yamllint/config",)
    environment_variables: ClassVar[tuple[str, ...]] = ("YAMLLINT_*", "XDG_CONFIG_HOME")

    def configured(self, context: GateContext[GateConfig]) -> str | None:
        """Say whether yamllint is configured (.yamllint), declared or hooked.

        Its default rules are nobody's style: without a configuration it does not run.
        """
        used = context.project.uses(
            distribution="yamllint", files=CONFIG_FILES, hooks=("yamllint",)
        )
        return (
            None if used else "not configured: no .yamllint, yamllint dependency or pre-commit hook"
        )

    def _yaml_files(self, context: GateContext[GateConfig]) -> list[str]:
        """Return the YAML files to lint that exist (a deleted tracked file is skipped).

        They are the project's yamllint hook's selection when it has one, else every YAML file;
        in a changed-files run, only the changed ones among them.
        """
        hook = context.project.hook("yamllint")
        given = context.files if context.targets is None else context.targets
        files = hook.select(given) if hook is not None else given
        return [f for f in files if f.endswith(SUFFIXES) and (context.root / f).is_file()]

    def applies(self, context: GateContext[GateConfig]) -> str | None:
        """Apply when the repository has YAML files."""
        return None if self._yaml_files(context) else "no YAML files"

    def command(self, context: GateContext[GateConfig]) -> Sequence[str]:
        """``yamllint -f parsable <args> -- <files>``."""
        yamllint = str(standalone(context, "yamllint", "yamllint").path)
        hook = context.project.hook("yamllint")
        args = context.config.args or (hook.args if hook is not None else ())
        return [yamllint, *args, "-f", "parsable", "--", *self._yaml_files(context)]

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
