"""Release and wheelhouse operations: resolve, the secret token, field names, plan ids."""

from __future__ import annotations

import hashlib
import shutil
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import SecretStr
from tests.release.fixtures import (
    BEACON_ID,
    GHA_ISSUER,
    SIGSTORE,
    TOKEN,
    TRUST_ROOT,
    installed,
    make_tar,
)

from hephaestus.core.errors import HephaestusError, SafetyError, UsageError, field_ref
from hephaestus.core.logging import redact
from hephaestus.invoke import call
from hephaestus.registry import Safety, operation
from hephaestus.release.models import (
    BackfillReport,
    InstallReport,
    SanitizeReport,
    VerifyReport,
    WheelhouseReport,
)
from hephaestus.release.operation import (
    BackfillRequest,
    InstallRequest,
    InstallRunRequest,
    VerifyRequest,
    resolve_backfill,
    resolve_install,
    resolve_verify,
)
from hephaestus.release.settings import ReleaseSection

if TYPE_CHECKING:
    from tests.release.standin import StandIn

ARCHIVE = "house.tar.gz"
NO_PYTHON = "no-such-python"
"""For calls that must stop before the installer: never the interpreter running the tests."""
CONFIGURED = ReleaseSection(
    repository="config/repo",
    asset_pattern="config-*.tar.gz",
    identity="config-identity",
    issuer="https://config.example",
    require_sigstore=True,
    trust_root="keys/root.json",
    api_url="https://config.example/api",
    destination="out",
    timeout=12.0,
    max_retries=1,
)


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory, and no GitHub token in the environment."""
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    directory = tmp_path / "work"
    directory.mkdir()
    return directory


def _configure(root: Path, **keys: str) -> None:
    lines = "".join(f'{key} = "{value}"\n' for key, value in keys.items())
    (root / "pyproject.toml").write_text(f"[tool.hephaestus.release]\n{lines}", encoding="utf-8")


def _publish(standin: StandIn, tag: str, files: dict[str, bytes]) -> None:
    data = make_tar(files)
    manifest = f"{hashlib.sha256(data).hexdigest()}  {ARCHIVE}\n".encode()
    standin.add_release(tag, {ARCHIVE: data, f"{ARCHIVE}.sha256": manifest})


def _wheels(tiny_wheels: Path) -> dict[str, bytes]:
    return {f"wheelhouse/{p.name}": p.read_bytes() for p in sorted(tiny_wheels.glob("*.whl"))}


def test_resolve_install_takes_the_configuration_when_the_request_is_silent(tmp_path: Path) -> None:
    """Unset fields come from [tool.hephaestus.release]; its paths are relative to the root."""
    root, cwd = tmp_path / "root", tmp_path / "cwd"
    resolved = resolve_install(InstallRequest(), CONFIGURED, root=root, cwd=cwd, environ={})
    options = resolved.options
    assert options.repository == "config/repo"
    assert options.asset_pattern == "config-*.tar.gz"
    assert (options.identity, options.issuer) == ("config-identity", "https://config.example")
    assert options.require_sigstore is True
    assert options.trust_root == root / "keys" / "root.json"
    assert options.destination == root / "out"
    assert options.create_destination is True
    assert options.python == sys.executable
    assert options.limits.max_bytes == CONFIGURED.max_extracted_mb << 20
    github = resolved.github
    assert (github.api_url, github.timeout, github.max_retries) == (CONFIGURED.api_url, 12.0, 1)
    assert github.token is None


def test_resolve_install_prefers_the_request_even_when_it_says_no(tmp_path: Path) -> None:
    """A field given wins over the configuration, also a false or zero one."""
    root, cwd = tmp_path / "root", tmp_path / "cwd"
    request = InstallRequest(
        repository="given/repo",
        asset_pattern="given-*.zip",
        identity="given-identity",
        issuer="https://given.example",
        require_sigstore=False,
        trust_root=Path("root.json"),
        api_url="http://127.0.0.1:9",
        destination=Path("dest"),
        timeout=2.5,
        max_retries=0,
        python="/given/python",
        pip_args=("--no-deps",),
        upgrade=False,
    )
    resolved = resolve_install(request, CONFIGURED, root=root, cwd=cwd, environ={})
    options = resolved.options
    assert options.repository == "given/repo"
    assert options.asset_pattern == "given-*.zip"
    assert (options.identity, options.issuer) == ("given-identity", "https://given.example")
    assert options.require_sigstore is False
    assert options.trust_root == cwd / "root.json"
    assert options.destination == cwd / "dest"
    assert options.create_destination is False
    assert (options.python, options.pip_args, options.upgrade) == (
        "/given/python",
        ("--no-deps",),
        False,
    )
    assert (resolved.github.api_url, resolved.github.timeout) == ("http://127.0.0.1:9", 2.5)
    assert resolved.github.max_retries == 0


def test_resolve_falls_back_to_the_documented_defaults(tmp_path: Path) -> None:
    """With neither request nor configuration, the settings model's defaults apply."""
    defaults = ReleaseSection()
    request = InstallRequest(repository="o/r")
    resolved = resolve_install(request, defaults, root=tmp_path, cwd=tmp_path, environ={})
    assert resolved.options.destination == tmp_path / defaults.destination
    assert resolved.options.issuer == defaults.issuer
    assert resolved.options.trust_root is None
    assert resolved.options.require_sigstore is False
    assert resolved.github.api_url == defaults.api_url
    assert (resolved.github.timeout, resolved.github.max_retries) == (30.0, 4)


def test_only_an_install_uses_overwrite_and_plan_id(tmp_path: Path) -> None:
    """A dry run replaces nothing and matches no plan, whatever the request says."""
    request = InstallRunRequest(repository="o/r", overwrite=True, remove_archive=True, plan_id="x")
    real = resolve_install(request, CONFIGURED, root=tmp_path, cwd=tmp_path, environ={}).options
    assert (real.overwrite, real.remove_archive, real.plan_id, real.dry_run) == (
        True,
        True,
        "x",
        False,
    )
    dry = resolve_install(
        request, CONFIGURED, root=tmp_path, cwd=tmp_path, dry_run=True, environ={}
    ).options
    assert (dry.overwrite, dry.remove_archive, dry.plan_id, dry.dry_run) == (
        False,
        False,
        None,
        True,
    )


def test_the_token_comes_from_the_request_then_the_environment(tmp_path: Path) -> None:
    """The request's token wins over GITHUB_TOKEN, which wins over GH_TOKEN."""
    environ = {"GITHUB_TOKEN": "ghp_fromgithubtoken", "GH_TOKEN": "ghp_fromghtoken"}
    given = InstallRequest(repository="o/r", token=SecretStr("ghp_fromrequest"))
    for request, expected in [
        (given, "ghp_fromrequest"),
        (InstallRequest(repository="o/r"), "ghp_fromgithubtoken"),
    ]:
        resolved = resolve_install(
            request, CONFIGURED, root=tmp_path, cwd=tmp_path, environ=environ
        )
        assert resolved.github.token == expected
    _, github = resolve_backfill(BackfillRequest(), CONFIGURED, environ={"GH_TOKEN": "ghp_fromgh"})
    assert github.token == "ghp_fromgh"  # noqa: S105  # a made-up token


def test_resolve_verify_and_backfill(tmp_path: Path) -> None:
    """verify: files relative to the caller, pins from the configuration; backfill: its URL."""
    request = VerifyRequest(artifact=Path("a.txt"), bundle=Path("b.json"))
    resolved = resolve_verify(request, CONFIGURED, root=tmp_path / "root", cwd=tmp_path)
    assert (resolved.artifact, resolved.bundle, resolved.manifest) == (
        tmp_path / "a.txt",
        tmp_path / "b.json",
        None,
    )
    assert (resolved.identity, resolved.trust_root) == (
        "config-identity",
        tmp_path / "root" / "keys" / "root.json",
    )
    repository, github = resolve_backfill(
        BackfillRequest(repository="o/r", upload_url="http://127.0.0.1:9"), CONFIGURED, environ={}
    )
    assert (repository, github.upload_url, github.api_url) == (
        "o/r",
        "http://127.0.0.1:9",
        CONFIGURED.api_url,
    )


def test_the_token_is_never_shown(tmp_path: Path) -> None:
    """Not in a repr, a dump, a schema or a resolved client; redacted from the moment it arrives."""
    secret = f"ghp_{uuid.uuid4().hex}"
    unknown = f"no-prefix-{uuid.uuid4().hex}"  # redact knows it only once a request held it
    assert unknown in redact(f"say {unknown}")
    for model in (InstallRequest, InstallRunRequest, BackfillRequest):
        request = model(repository="o/r", token=SecretStr(secret))
        shown = [repr(request), str(request), request.model_dump_json(), str(request.model_dump())]
        assert all(secret not in text for text in shown)
        assert secret not in str(model.model_json_schema())
        assert model.model_json_schema()["properties"]["token"]["default"] is None
        resolved = resolve_install if model is not BackfillRequest else None
        if resolved is not None:
            assert isinstance(request, InstallRequest)
            settings = resolved(request, CONFIGURED, root=tmp_path, cwd=tmp_path, environ={})
            assert settings.github.token == secret
            assert secret not in repr(settings)
    InstallRequest.model_validate({"token": unknown})
    assert unknown not in redact(f"say {unknown}")


def test_errors_name_request_fields_never_flags(work: Path) -> None:
    """Through the registry, errors name `field`s: each face spells them its own way."""
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("release_install_plan", {}, "repository"),
        ("release_install_plan", {"repository": "o/r", "timeout": 0}, "timeout"),
        ("release_verify", {"artifact": "a.bin"}, "manifest"),
    ]
    (work / "a.bin").write_bytes(b"x")
    for name, fields, field in cases:
        with pytest.raises(UsageError) as info:
            call(name, fields, cwd=work)
        said = f"{info.value.message} {info.value.hint}"
        assert field_ref(field) in said, said
        assert "--" not in said


def test_install_through_the_registry_plans_then_installs_that_plan(
    work: Path, standin: StandIn, tiny_wheels: Path, fresh_venv: Path
) -> None:
    """The dry run keeps nothing; the install given its plan_id installs exactly that plan."""
    _publish(standin, "v1", _wheels(tiny_wheels))
    _configure(work, repository=standin.repository, **{"api-url": standin.api_url})
    (work / "dest").mkdir()
    fields = {"destination": "dest", "python": str(fresh_venv / "bin" / "python")}
    plan = call("release_install_plan", fields, cwd=work)
    assert isinstance(plan, InstallReport)
    assert plan.dry_run
    assert plan.plan_id
    assert installed(fresh_venv) == {}
    assert list((work / "dest").iterdir()) == []
    report = call("release_install", {**fields, "plan_id": plan.plan_id}, cwd=work)
    assert isinstance(report, InstallReport)
    assert report.plan_id == plan.plan_id
    assert not report.dry_run
    assert installed(fresh_venv) == {"tinyapp": "2.1", "tinylib": "1.0"}


def test_install_refuses_a_stale_plan_and_an_existing_target(
    work: Path, standin: StandIn, tiny_wheels: Path
) -> None:
    """A newer latest release than the plan's: stale-plan; an existing wheelhouse: `overwrite`."""
    _publish(standin, "v1", _wheels(tiny_wheels))
    _configure(work, repository=standin.repository, **{"api-url": standin.api_url})
    (work / "dest").mkdir()
    fields = {"destination": "dest", "python": str(work / NO_PYTHON)}
    plan = call("release_install_plan", fields, cwd=work)
    assert isinstance(plan, InstallReport)
    _publish(standin, "v2", {"wheelhouse/other.txt": b"a newer release", **_wheels(tiny_wheels)})
    with pytest.raises(SafetyError) as info:
        call("release_install", {**fields, "plan_id": plan.plan_id}, cwd=work)
    assert info.value.code == "stale-plan"
    assert field_ref("plan_id") in (info.value.hint or "")
    assert list((work / "dest").iterdir()) == []
    (work / "dest" / "house").mkdir()
    with pytest.raises(UsageError) as exists:
        call("release_install", fields, cwd=work)
    assert exists.value.code == "exists"
    assert exists.value.hint == f"replace it with {field_ref('overwrite')}"


def test_verify_through_the_registry_with_pins_from_the_configuration(work: Path) -> None:
    """The real bundle verifies offline: identity, issuer and trust root from the config."""
    for name in ("a.txt", "a.txt.sigstore.json", "SHA256SUMS"):
        shutil.copy(SIGSTORE / name, work / name)
    (work / "keys").mkdir()
    shutil.copy(TRUST_ROOT, work / "keys" / "root.json")
    _configure(work, identity=BEACON_ID, issuer=GHA_ISSUER, **{"trust-root": "keys/root.json"})
    report = call("release_verify", {"artifact": "a.txt"}, cwd=work)
    assert isinstance(report, VerifyReport)
    assert report.checksum.verdict == "verified"
    assert report.signature.verdict == "verified"
    assert report.signature.identity == BEACON_ID


def test_backfill_dry_run_through_the_registry(work: Path, standin: StandIn) -> None:
    """A dry run lists what is missing, with the token given, and writes nothing."""
    standin.add_release("v0.9", {"w.tar.gz": b"an old wheelhouse"})
    fields = {"repository": standin.repository, "api_url": standin.api_url, "token": TOKEN}
    report = call("release_backfill", {**fields, "dry_run": True}, cwd=work)
    assert isinstance(report, BackfillReport)
    assert [(e.action, e.uploaded) for e in report.entries] == [
        ("would-backfill", ["w.tar.gz.sha256", "w.tar.gz.sigstore.json"])
    ]
    assert report.inventory is None
    assert TOKEN not in report.model_dump_json()
    assert not (work / ".hephaestus").exists()
    assert any(r.headers.get("Authorization") == f"Bearer {TOKEN}" for r in standin.requests("api"))


def test_sanitize_refuses_a_stale_plan(work: Path, tiny_wheels: Path) -> None:
    """Cruft added after the plan: nothing removed; a fresh plan's id removes exactly it."""
    house = work / "house"
    shutil.copytree(tiny_wheels, house)
    (house / ".DS_Store").write_bytes(b"x")
    plan = call("wheelhouse_sanitize_plan", {"directory": "house"}, cwd=work)
    assert isinstance(plan, SanitizeReport)
    assert (plan.cruft, plan.dry_run) == ([".DS_Store"], True)
    (house / "Thumbs.db").write_bytes(b"x")
    with pytest.raises(SafetyError) as info:
        call("wheelhouse_sanitize", {"directory": "house", "plan_id": plan.plan_id}, cwd=work)
    assert info.value.code == "stale-plan"
    assert (house / ".DS_Store").exists()
    assert (house / "Thumbs.db").exists()
    fresh = call("wheelhouse_sanitize_plan", {"directory": "house"}, cwd=work)
    assert isinstance(fresh, SanitizeReport)
    assert fresh.plan_id != plan.plan_id
    done = call("wheelhouse_sanitize", {"directory": "house", "plan_id": fresh.plan_id}, cwd=work)
    assert isinstance(done, SanitizeReport)
    assert (done.cruft, done.dry_run, done.plan_id) == (
        [".DS_Store", "Thumbs.db"],
        False,
        fresh.plan_id,
    )
    clean = call("wheelhouse_verify", {"directory": "house"}, cwd=work)
    assert isinstance(clean, WheelhouseReport)
    assert clean.clean


@pytest.mark.parametrize(
    ("name", "safety", "twin"),
    [
        ("release_install_plan", {Safety.read_only, Safety.network}, None),
        ("release_install", {Safety.destructive, Safety.network}, "release_install_plan"),
        ("release_verify", {Safety.read_only, Safety.network}, None),
        ("release_backfill", {Safety.network, Safety.writes_state}, None),
        ("wheelhouse_verify", {Safety.read_only}, None),
        ("wheelhouse_sanitize_plan", {Safety.read_only}, None),
        ("wheelhouse_sanitize", {Safety.destructive}, "wheelhouse_sanitize_plan"),
    ],
)
def test_the_registry_rows_load(name: str, safety: set[Safety], twin: str | None) -> None:
    """Each row imports; a destructive row has a twin and takes its plan_id."""
    row = operation(name)
    loaded = row.load()
    assert row.safety == safety
    assert row.twin == twin
    assert callable(loaded.function)
    assert ("plan_id" in loaded.request.model_fields) == (twin is not None)
    if twin is not None:
        assert operation(twin).load().results == loaded.results


def test_an_unknown_field_is_a_usage_error(work: Path) -> None:
    """A field no request has is refused, naming it."""
    with pytest.raises(HephaestusError) as info:
        call("wheelhouse_verify", {"directory": ".", "overwrite": True}, cwd=work)
    assert info.value.code == "invalid-request"
    assert field_ref("overwrite") in info.value.message
