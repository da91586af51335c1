from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import pytest
from tests.gates.seeded import CLEAN, build

from hephaestus.core.proc import ProcessResult
from hephaestus.gates.builtin.pip_audit import PipAudit, Waiver
from hephaestus.gates.models import Severity
from hephaestus.gates.spec import GateError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from tests.gates.builtin.conftest import GateRunner

    from hephaestus.gates.spec import Outcome

JINJA = {
    "name": "jinja2",
    "version": "2.4.1",
    "vulns": [
        {
            "id": "PYSEC-2019-217",
            "fix_versions": ["2.10.1"],
            "aliases": ["CVE-2019-10906", "GHSA-462w-v97r-4m45"],
            "description": "In Pallets Jinja before 2.10.1, str.format_map allows a sandbox escape",
        }
    ],
}
REQUESTS = {"name": "requests", "version": "2.32.3", "vulns": []}
EDITABLE = {"name": "demo", "skip_reason": "distribution marked as editable"}
LATER = (dt.datetime.now(tz=dt.UTC).date() + dt.timedelta(days=30)).isoformat()
EARLIER = (dt.datetime.now(tz=dt.UTC).date() - dt.timedelta(days=1)).isoformat()


def _unaudited(name: str) -> dict[str, str]:
    reason = f"Dependency not found on PyPI and could not be audited: {name} (1.0)"
    return {"name": name, "skip_reason": reason}


def _parse(
    run_gate: GateRunner,
    root: Path,
    dependencies: list[dict[str, Any]],
    *,
    returncode: int = 1,
    config: Mapping[str, object] | None = None,
) -> Outcome:
    gate = PipAudit()
    stdout = json.dumps({"dependencies": dependencies, "fixes": []})
    process = ProcessResult(("pip-audit",), returncode, stdout, "Found 1 known vulnerability", 1)
    return gate.parse(run_gate.context(gate, root, config=config), process)


def test_vulnerability_is_an_error(clean: Path, run_gate: GateRunner) -> None:
    """Each vulnerability: rule = id, package, version, aliases and fixes, an OSV link."""
    outcome = _parse(run_gate, clean, [JINJA, REQUESTS, EDITABLE])
    (finding,) = outcome.findings
    assert finding.severity is Severity.error
    assert finding.rule == "PYSEC-2019-217"
    assert finding.help_url == "https://osv.dev/vulnerability/PYSEC-2019-217"
    assert finding.message == (
        "jinja2 2.4.1: PYSEC-2019-217 (CVE-2019-10906, GHSA-462w-v97r-4m45); fixed in: 2.10.1"
    )


def test_waiver_turns_it_into_a_note(clean: Path, run_gate: GateRunner) -> None:
    """A waiver matching an alias makes a note that gives the reason and the expiry."""
    waiver = {"id": "CVE-2019-10906", "reason": "sandbox unused", "expires": LATER}
    outcome = _parse(run_gate, clean, [JINJA], config={"waivers": [waiver]})
    (finding,) = outcome.findings
    assert finding.severity is Severity.note
    assert f"waived until {LATER}: sandbox unused" in finding.message


def test_expired_waiver_is_an_error(clean: Path, run_gate: GateRunner) -> None:
    """A waiver past its date fails the gate, saying when it expired."""
    waiver = {"id": "PYSEC-2019-217", "reason": "temporary", "expires": EARLIER}
    outcome = _parse(run_gate, clean, [JINJA], config={"waivers": [waiver]})
    (finding,) = outcome.findings
    assert finding.severity is Severity.error
    assert finding.message.startswith(f"waiver for PYSEC-2019-217 expired on {EARLIER}: jinja2")


def test_unused_waiver_is_a_note(clean: Path, run_gate: GateRunner) -> None:
    """A waiver that matches nothing is reported as a note (it can go)."""
    waiver = {"id": "GHSA-xxxx", "reason": "old", "expires": LATER}
    outcome = _parse(run_gate, clean, [REQUESTS], returncode=0, config={"waivers": [waiver]})
    assert [(f.severity, f.rule) for f in outcome.findings] == [(Severity.note, "GHSA-xxxx")]


def test_waiver_model_is_strict() -> None:
    """Waivers need a non-empty reason, a real date and no unknown keys."""
    assert Waiver(id="X", reason="r", expires=dt.date(2030, 1, 1)).expires.year == 2030
    for bad in (
        {"id": "X", "reason": "", "expires": "2030-01-01"},
        {"id": "X", "reason": "r", "expires": "someday"},
        {"id": "X", "reason": "r", "expires": "2030-01-01", "extra": 1},
    ):
        with pytest.raises(ValueError, match="validation error"):
            Waiver.model_validate(bad)


def test_unauditable_dependencies_could_not_run(clean: Path, run_gate: GateRunner) -> None:
    """Exit 0 with every dependency "could not be audited" (no service) is never a pass."""
    dependencies = [_unaudited("attrs"), _unaudited("idna"), EDITABLE]
    with pytest.raises(GateError, match="2 of 2 dependencies could not be audited") as raised:
        _parse(run_gate, clean, dependencies, returncode=0)
    assert raised.value.code == "service-unreachable"
    assert "unreachable" in (raised.value.hint or "")


def test_some_unaudited_beside_a_vulnerability(clean: Path, run_gate: GateRunner) -> None:
    """Vulnerabilities found still fail the gate; the unaudited rest is a warning."""
    outcome = _parse(run_gate, clean, [JINJA, _unaudited("attrs")])
    assert [(f.severity, f.rule) for f in outcome.findings] == [
        (Severity.error, "PYSEC-2019-217"),
        (Severity.warning, "not-audited"),
    ]
    assert outcome.findings[1].message == "1 of 2 dependencies could not be audited"


@pytest.mark.parametrize(
    ("returncode", "stdout", "stderr", "code"),
    [
        (1, "", "requests.exceptions.ConnectionError: Max retries exceeded", "service-unreachable"),
        (1, "", "Traceback\nKeyError: 'x'", "gate-could-not-run"),
        (2, "", "usage: pip-audit", "gate-could-not-run"),
        (1, '{"dependencies": [], "fixes": []}', "", "gate-could-not-run"),
    ],
)
def test_failures_could_not_run(
    clean: Path, run_gate: GateRunner, returncode: int, stdout: str, stderr: str, code: str
) -> None:
    """Tracebacks (network or not), usage errors and exit 1 without a vulnerability raise."""
    gate = PipAudit()
    process = ProcessResult(("pip-audit",), returncode, stdout, stderr, 1)
    with pytest.raises(GateError) as raised:
        gate.parse(run_gate.context(gate, clean), process)
    assert raised.value.code == code


def test_command_and_settings(clean: Path, run_gate: GateRunner) -> None:
    """JSON, no spinner, editable installs skipped, the chosen service, then the args."""
    gate = PipAudit()
    config = {"vulnerability_service": "osv", "args": ["--timeout", "5"]}
    argv = gate.command(run_gate.context(gate, clean, config=config))
    assert list(argv[1:]) == [
        "-f", "json", "--progress-spinner", "off", "--skip-editable",
        "--vulnerability-service", "osv", "--timeout", "5",
    ]  # fmt: skip
    assert not gate.cacheable


@pytest.fixture
def pinned(tmp_path: Path) -> tuple[Path, dict[str, object]]:
    """A repository pinning two packages, and args auditing just those (fast: two lookups)."""
    root = build(tmp_path / "repo", {**CLEAN, "requirements.txt": "attrs==23.1.0\nidna==3.7\n"})
    return root, {"args": ["-r", "requirements.txt", "--no-deps", "--disable-pip"]}


def test_real_pip_audit_behind_a_dead_proxy(
    pinned: tuple[Path, dict[str, object]], run_gate: GateRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real pip-audit, failing to connect (a traceback, no JSON): could not run."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    root, config = pinned
    with pytest.raises(GateError) as raised:
        run_gate(PipAudit(), root, config=config)
    assert raised.value.code == "service-unreachable"


def test_real_pip_audit_here(pinned: tuple[Path, dict[str, object]], run_gate: GateRunner) -> None:
    """Here the service answers "not found" for every package (exit 0): could not run."""
    root, config = pinned
    try:
        outcome = run_gate(PipAudit(), root, config=config)
    except GateError as error:
        raised = error
    else:  # pragma: no cover  # only where the vulnerability service is reachable
        pytest.skip(f"the vulnerability service is reachable here ({len(outcome.findings)} found)")
    assert raised.code == "service-unreachable"
    assert str(raised).startswith("2 of 2 dependencies could not be audited")
