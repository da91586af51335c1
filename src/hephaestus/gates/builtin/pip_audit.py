"""The ``pip-audit`` gate: known vulnerabilities in the environment's installed distributions.

pip-audit audits the environment it is installed in (editable installs, the project itself, are
skipped). Waivers are applied here, not with ``--ignore-vuln``, so that a waived vulnerability
stays visible (a note) and an expired waiver fails the gate.

Exit codes: 0 nothing found, 1 vulnerabilities found, or pip-audit failed (a traceback and no
JSON). A dependency pip-audit could not audit means the result is unknown, never a pass: when
the vulnerability service is unreachable pip-audit still exits 0, but marks every dependency
"could not be audited".
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hephaestus.gates.models import Finding, Severity
from hephaestus.gates.spec import (
    Gate,
    GateConfig,
    GateContext,
    GateError,
    Outcome,
    could_not_run,
    executable,
    last_line,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from hephaestus.core.proc import ProcessResult

HELP_URL = "https://osv.dev/vulnerability/{id}"
EDITABLE = "distribution marked as editable"
UNREACHABLE = (
    "ConnectionError",
    "ProxyError",
    "Max retries exceeded",
    "NameResolution",
    "timed out",
)
UNREACHABLE_HINT = (
    "the vulnerability service is unreachable or answers nothing: check the network or proxy "
    "and retry, or set vulnerability-service to the other one (pypi or osv); a package that is "
    "not on PyPI cannot be audited at all"
)


class Waiver(BaseModel):
    """An accepted vulnerability: its id (or an alias), why, and until when."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    reason: str = Field(min_length=1)
    expires: dt.date
    """The day the waiver stops applying."""


class PipAuditConfig(GateConfig):
    """Settings of the pip-audit gate."""

    required: bool = False
    """Optional unless configured as required: the vulnerability services are often out of
    reach (offline CI, proxies), and "could not run" must not fail every such build."""

    waivers: tuple[Waiver, ...] = ()
    vulnerability_service: Literal["pypi", "osv"] = "pypi"


class _Vulnerability(BaseModel):
    id: str
    fix_versions: list[str] = []
    aliases: list[str] = []


class _Dependency(BaseModel):
    name: str
    version: str | None = None
    vulns: list[_Vulnerability] = []
    skip_reason: str | None = None


class _Report(BaseModel):
    model_config = ConfigDict(extra="ignore")

    dependencies: list[_Dependency]


class PipAudit(Gate[PipAuditConfig]):
    """Fail on known vulnerabilities of installed distributions, honouring dated waivers."""

    name: ClassVar[str] = "pip-audit"
    description: ClassVar[str] = "find known vulnerabilities in dependencies with pip-audit"
    tool: ClassVar[str | None] = "pip-audit"
    config_model: ClassVar[type[GateConfig]] = PipAuditConfig
    inputs: ClassVar[tuple[str, ...]] = (
        "pyproject.toml",
        "uv.lock",
        "pylock*.toml",
        "poetry.lock",
        "requirements*.txt",
    )
    cacheable: ClassVar[bool] = False
    precommit_repos: ClassVar[tuple[str, ...]] = ("https://github.com/pypa/pip-audit",)
    imports_project: ClassVar[bool] = True
    """It audits the environment it runs in: it must be the project's."""

    def configured(self, context: GateContext[PipAuditConfig]) -> str | None:
        """Say whether pip-audit is declared or hooked."""
        used = context.project.uses(distribution="pip-audit", hooks=("pip-audit",))
        return None if used else "not configured: no pip-audit dependency or pre-commit hook"

    def command(self, context: GateContext[PipAuditConfig]) -> Sequence[str]:
        """``pip-audit -f json --progress-spinner off --skip-editable -s <service> <args>``."""
        pip_audit = executable(context.environment, "pip-audit", "pip-audit")
        service = ["--vulnerability-service", context.config.vulnerability_service]
        quiet = ["--progress-spinner", "off"]
        return [pip_audit, "-f", "json", *quiet, "--skip-editable", *service, *context.config.args]

    def parse(self, context: GateContext[PipAuditConfig], process: ProcessResult) -> Outcome:
        """Report each vulnerability as an error (a note if waived); raise if some went unaudited.

        Raises:
            GateError: pip-audit failed, or some dependency could not be audited and no
                vulnerability was found (``service-unreachable``).

        """
        report = self._report(process)
        findings = [
            self._judge(context, dependency, vulnerability)
            for dependency in report.dependencies
            for vulnerability in dependency.vulns
        ]
        if process.returncode == 1 and not findings:
            raise could_not_run("pip-audit", process, "run pip-audit by hand to see why")
        audited = [d for d in report.dependencies if d.skip_reason != EDITABLE]
        missed = [d for d in audited if d.skip_reason is not None]
        if missed and not any(f.severity is Severity.error for f in findings):
            raise GateError(
                f"{len(missed)} of {len(audited)} dependencies could not be audited "
                f"({missed[0].skip_reason})",
                hint=UNREACHABLE_HINT,
                code="service-unreachable",
            )
        if missed:
            message = f"{len(missed)} of {len(audited)} dependencies could not be audited"
            findings.append(self._finding(Severity.warning, "not-audited", message))
        return Outcome(findings=(*findings, *self._unused_waivers(context, report)))

    def _report(self, process: ProcessResult) -> _Report:
        """Read pip-audit's JSON; a traceback instead means it failed (often: no network).

        Raises:
            GateError: the output is not pip-audit's JSON report.

        """
        if process.returncode not in {0, 1}:
            raise could_not_run("pip-audit", process, "run pip-audit by hand to see why")
        try:
            return _Report.model_validate_json(process.stdout)
        except ValidationError as exc:
            if any(word in process.stderr for word in UNREACHABLE):
                raise GateError(
                    f"pip-audit could not reach the vulnerability service: {last_line(process)}",
                    hint=UNREACHABLE_HINT,
                    code="service-unreachable",
                ) from exc
            raise could_not_run("pip-audit", process, "run pip-audit by hand to see why") from exc

    def _judge(
        self,
        context: GateContext[PipAuditConfig],
        dependency: _Dependency,
        vulnerability: _Vulnerability,
    ) -> Finding:
        """Judge one vulnerability: an error, a note while a waiver covers it, an error after."""
        ids = {vulnerability.id, *vulnerability.aliases}
        aliases = f" ({', '.join(vulnerability.aliases)})" if vulnerability.aliases else ""
        fixes = ", ".join(vulnerability.fix_versions) or "no fixed version yet"
        package = f"{dependency.name} {dependency.version}"
        message = f"{package}: {vulnerability.id}{aliases}; fixed in: {fixes}"
        waiver = next((w for w in context.config.waivers if w.id in ids), None)
        today = dt.datetime.now(tz=dt.UTC).date()
        if waiver is None:
            return self._finding(Severity.error, vulnerability.id, message)
        if waiver.expires <= today:
            expired = f"waiver for {waiver.id} expired on {waiver.expires.isoformat()}: {message}"
            return self._finding(Severity.error, vulnerability.id, expired)
        until = f"{message} (waived until {waiver.expires.isoformat()}: {waiver.reason})"
        return self._finding(Severity.note, vulnerability.id, until)

    def _unused_waivers(
        self, context: GateContext[PipAuditConfig], report: _Report
    ) -> list[Finding]:
        """Note each waiver that matches no reported vulnerability (it can be removed)."""
        seen = {i for d in report.dependencies for v in d.vulns for i in (v.id, *v.aliases)}
        return [
            self._finding(Severity.note, w.id, f"waiver for {w.id} matches no vulnerability")
            for w in context.config.waivers
            if w.id not in seen
        ]

    def _finding(self, severity: Severity, rule: str, message: str) -> Finding:
        url = None if rule == "not-audited" else HELP_URL.format(id=rule)
        return Finding(
            gate=self.name, rule=rule, severity=severity, message=message, path=None, help_url=url
        )
