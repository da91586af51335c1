"""A guard-rails gate that fails on TODO, FIXME or XXX markers, found with ``git grep``."""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING, ClassVar

from hephaestus.gates.models import Finding, Severity
from hephaestus.gates.spec import Gate, GateConfig, GateContext, GateError, Outcome

if TYPE_CHECKING:
    from collections.abc import Sequence

    from hephaestus.core.proc import ProcessResult


class ForbidTodoConfig(GateConfig):
    """``[tool.hephaestus.guard-rails.gate.forbid-todo]``."""

    pattern: str = r"\b(TODO|FIXME|XXX)\b"
    """Extended regular expression of a forbidden marker."""
    paths: tuple[str, ...] = ("*.py",)
    """git pathspecs of the files searched."""


class ForbidTodo(Gate[ForbidTodoConfig]):
    """Fails on every line that matches the configured pattern."""

    spec_version: ClassVar[int] = 1  # the gate contract this plugin implements
    name: ClassVar[str] = "forbid-todo"
    description: ClassVar[str] = "No TODO, FIXME or XXX markers left in the code."
    tool: ClassVar[str | None] = None  # git is not a Python distribution
    config_model: ClassVar[type[GateConfig]] = ForbidTodoConfig
    inputs: ClassVar[tuple[str, ...]] = ("*",)  # the searched paths are configurable

    def version(self, context: GateContext[ForbidTodoConfig]) -> str:  # noqa: ARG002
        """Key the cache on this plugin's own version."""
        return metadata.version("hephaestus-forbid-todo")

    def command(self, context: GateContext[ForbidTodoConfig]) -> Sequence[str]:
        """Search tracked and untracked-not-ignored files; -z keeps odd file names intact."""
        config = context.config
        return [
            "git", "grep", "-z", "-n", "--column", "-I", "--untracked", "-E",
            "-e", config.pattern, "--", *config.paths, *config.args,
        ]  # fmt: skip

    def parse(
        self,
        context: GateContext[ForbidTodoConfig],  # noqa: ARG002  # the output says it all
        process: ProcessResult,
    ) -> Outcome:
        """Exit 1 means no match; output lines are NUL-separated path, line, column and text."""
        if process.returncode == 1 and not process.stdout:
            return Outcome()
        if process.returncode != 0:
            last = process.stderr.strip().splitlines()[-1:] or ["no output"]
            raise GateError(f"git grep failed: {last[0]}", hint="check the pattern and paths")
        findings = []
        for record in process.stdout.splitlines():
            path, line, column, text = record.split("\0", 3)
            findings.append(
                Finding(
                    gate=self.name,
                    rule="forbidden-marker",
                    severity=Severity.error,
                    message=f"forbidden marker: {text.strip()}",
                    path=path,
                    line=int(line),
                    column=int(column),
                )
            )
        return Outcome(findings=tuple(findings))
