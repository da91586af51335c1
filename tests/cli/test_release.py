"""`hephaestus release` end to end against the GitHub stand-in: install, refusals, faults."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from tests.release.fixtures import (
    BEACON_ID,
    GHA_ISSUER,
    SIGSTORE,
    TOKEN,
    TRUST_ROOT,
    installed,
    make_tar,
)

from hephaestus.core.errors import ExitCode
from hephaestus.release.models import InstallReport

if TYPE_CHECKING:
    from tests.conftest import Cli
    from tests.release.standin import StandIn

ARCHIVE = "tiny-wheelhouse-1.0.tar.gz"


def _manifest(name: str, data: bytes) -> bytes:
    return f"{hashlib.sha256(data).hexdigest()}  {name}\n".encode()


NO_PYTHON = "no-such-python"
"""An interpreter that does not exist, for runs that must not install: without ``--python`` pip
would install into the environment running the tests (the developer's ``.venv``), and a run
that wrongly got that far then fails (exit 5) instead of changing it."""


def _install(cli: Cli, standin: StandIn, destination: Path, *extra: str) -> tuple[int, str, str]:
    python = () if "--python" in extra else ("--python", str(Path(NO_PYTHON).absolute()))
    out = cli(
        "--format", "json", "release", "install",
        "--repository", standin.repository,
        "--api-url", standin.api_url,
        "--destination", str(destination),
        "--token", TOKEN,
        *python,
        *extra,
    )  # fmt: skip
    return out.exit_code, out.stdout, out.stderr


@pytest.fixture(autouse=True)
def _outside_the_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from an empty directory: the default destination must not land in this checkout."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)


@pytest.fixture
def destination(tmp_path: Path) -> Path:
    """An empty destination directory."""
    path = tmp_path / "dest"
    path.mkdir()
    return path


def test_full_flow_installs_offline_into_a_fresh_venv(
    cli: Cli, standin: StandIn, wheelhouse_tar: bytes, fresh_venv: Path, destination: Path
) -> None:
    """Lookup, redirected download, checksum, extraction, offline pip: the report says so."""
    standin.add_release(
        "v1.0.0",
        {ARCHIVE: wheelhouse_tar, f"{ARCHIVE}.sha256": _manifest(ARCHIVE, wheelhouse_tar)},
    )
    python = str(fresh_venv / "bin" / "python")
    code, stdout, stderr = _install(cli, standin, destination, "--python", python)
    assert code == 0, stderr
    report = InstallReport.model_validate_json(stdout)
    assert report.tag == "v1.0.0"
    assert report.asset == ARCHIVE
    assert report.size == len(wheelhouse_tar)
    assert report.sha256 == hashlib.sha256(wheelhouse_tar).hexdigest()
    assert report.checksum.verdict == "verified"
    assert report.signature.verdict == "missing"
    assert any("Sigstore" in w for w in report.warnings)
    assert report.install is not None
    assert report.install.installed
    assert report.install.requirements == ["tinyapp==2.1"]
    assert report.install.source == "top-level wheels"
    assert "--no-index" in report.install.command
    assert installed(fresh_venv) == {"tinyapp": "2.1", "tinylib": "1.0"}
    wheelhouse = Path(report.wheelhouse or "")
    assert wheelhouse == destination / "tiny-wheelhouse-1.0"
    assert not (wheelhouse / "wheelhouse" / ".DS_Store").exists()
    assert sorted(p.name for p in destination.iterdir()) == sorted([ARCHIVE, "tiny-wheelhouse-1.0"])
    # The token went to the API, never to the object store the download redirected to.
    assert all("Authorization" not in r.headers for r in standin.requests("objects"))
    assert standin.requests("objects")
    assert any(r.headers.get("Authorization") == f"Bearer {TOKEN}" for r in standin.requests("api"))


A_TXT = (SIGSTORE / "a.txt").read_bytes()
TAMPERED = (SIGSTORE / "a.txt.tampered").read_bytes()
BUNDLE = (SIGSTORE / "a.txt.sigstore.json").read_bytes()
BAD_SIGNATURE = (SIGSTORE / "a.txt.bad-signature.sigstore.json").read_bytes()
SIGNED = "signed.tar.gz"
"""The bytes of a.txt published under an archive name: the only artifact real bundles sign."""


def _signed_release(standin: StandIn, data: bytes, bundle: bytes, manifest_of: bytes) -> None:
    standin.add_release(
        "v2.0.0",
        {
            SIGNED: data,
            f"{SIGNED}.sha256": _manifest(SIGNED, manifest_of),
            f"{SIGNED}.sigstore.json": bundle,
        },
    )


def _assert_one_line_error(stdout: str, stderr: str, code: str) -> None:
    document = json.loads(stdout)
    assert document["error"]["code"] == code, document
    lines = stderr.strip().splitlines()
    assert lines[0].startswith("error: ")
    assert len(lines) <= 2
    assert "Traceback" not in stderr


PINS = ("--identity", BEACON_ID, "--issuer", GHA_ISSUER, "--trust-root", str(TRUST_ROOT))


@pytest.mark.parametrize(
    ("data", "bundle", "manifest_of", "flags", "exit_code", "code"),
    [
        pytest.param(TAMPERED, BUNDLE, TAMPERED, PINS, 4, "signature-invalid", id="tampered"),
        pytest.param(TAMPERED, BUNDLE, A_TXT, PINS, 4, "checksum-mismatch", id="checksum"),
        pytest.param(
            A_TXT,
            BUNDLE,
            A_TXT,
            ("--identity", BEACON_ID + "x", "--trust-root", str(TRUST_ROOT)),
            4,
            "signature-invalid",
            id="wrong-identity",
        ),
        pytest.param(
            A_TXT,
            BUNDLE,
            A_TXT,
            (*PINS, "--issuer", "https://accounts.google.com"),
            4,
            "signature-invalid",
            id="wrong-issuer",
        ),
        pytest.param(A_TXT, BAD_SIGNATURE, A_TXT, PINS, 4, "signature-invalid", id="bad-sig"),
        pytest.param(A_TXT, b"{}", A_TXT, PINS, 4, "bad-bundle", id="malformed-bundle"),
        pytest.param(A_TXT, b"\x00nope", A_TXT, PINS, 4, "bad-bundle", id="not-json"),
        pytest.param(
            A_TXT,
            BUNDLE,
            A_TXT,
            ("--trust-root", str(TRUST_ROOT)),
            2,
            "identity-not-pinned",
            id="no-identity",
        ),
        # The signature verifies; a.txt is then no archive: refused at extraction.
        pytest.param(A_TXT, BUNDLE, A_TXT, PINS, 4, "unsafe-archive", id="verified-not-archive"),
    ],
)
def test_refusals_exit_with_one_line_and_leave_nothing(
    cli: Cli,
    standin: StandIn,
    destination: Path,
    data: bytes,
    bundle: bytes,
    manifest_of: bytes,
    flags: tuple[str, ...],
    exit_code: int,
    code: str,
) -> None:
    """Each broken piece of evidence exits 4 (2 without an identity), one line, nothing left."""
    _signed_release(standin, data, bundle, manifest_of)
    got, stdout, stderr = _install(cli, standin, destination, *flags)
    assert got == exit_code, stderr
    _assert_one_line_error(stdout, stderr, code)
    assert list(destination.iterdir()) == []
    if code == "identity-not-pinned":
        assert BEACON_ID in stderr
        assert not standin.requests("objects") or all(
            "/blob/" + str(a["id"]) not in r.path
            for r in standin.requests("objects")
            for a in standin.releases[0]["assets"]
            if a["name"] == SIGNED
        )


def test_release_verify_accepts_the_real_bundle(cli: Cli, tmp_path: Path) -> None:
    """`release verify` offline: the real bundle verifies with identity and issuer pinned."""
    artifact = tmp_path / "a.txt"
    artifact.write_bytes(A_TXT)
    (tmp_path / "a.txt.sigstore.json").write_bytes(BUNDLE)
    (tmp_path / "SHA256SUMS").write_bytes((SIGSTORE / "SHA256SUMS").read_bytes())
    out = cli("--format", "json", "release", "verify", str(artifact), *PINS)
    assert out.exit_code == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["checksum"]["verdict"] == "verified"
    assert report["signature"]["verdict"] == "verified"
    assert report["signature"]["log_index"] == 79571823
    assert report["signature"]["identity"] == BEACON_ID
    text = cli("release", "verify", str(artifact), *PINS)
    assert text.exit_code == 0
    assert "verified" in text.stdout


def test_release_verify_refuses_a_tampered_file(cli: Cli, tmp_path: Path) -> None:
    """`release verify` on a.txt.tampered with the real bundle exits 4."""
    artifact = tmp_path / "a.txt"
    artifact.write_bytes(TAMPERED)
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(BUNDLE)
    out = cli("release", "verify", str(artifact), "--bundle", str(bundle), *PINS)
    assert out.exit_code == ExitCode.VERIFICATION
    assert out.stderr.startswith("error: Sigstore verification of bundle.json failed")


def test_release_verify_needs_evidence(cli: Cli, tmp_path: Path) -> None:
    """With no manifest and no bundle there is nothing to verify: exit 2."""
    artifact = tmp_path / "lonely.bin"
    artifact.write_bytes(b"x")
    out = cli("release", "verify", str(artifact))
    assert out.exit_code == ExitCode.USAGE
    assert "nothing to verify" in out.stderr


def test_missing_manifest_needs_allow_unsigned(
    cli: Cli, standin: StandIn, wheelhouse_tar: bytes, destination: Path
) -> None:
    """No manifest: exit 4 before downloading; --allow-unsigned proceeds, loudly."""
    standin.add_release("v1.0.0", {ARCHIVE: wheelhouse_tar})
    code, stdout, stderr = _install(cli, standin, destination)
    assert code == ExitCode.VERIFICATION
    _assert_one_line_error(stdout, stderr, "checksum-missing")
    assert not standin.requests("objects")
    code, stdout, stderr = _install(cli, standin, destination, "--allow-unsigned", "--dry-run")
    assert code == 0, stderr
    report = InstallReport.model_validate_json(stdout)
    assert report.checksum.verdict == "skipped"
    assert any("NO CHECKSUM MANIFEST" in w for w in report.warnings)
    assert list(destination.iterdir()) == []


def test_require_sigstore_without_bundle(
    cli: Cli, standin: StandIn, wheelhouse_tar: bytes, destination: Path
) -> None:
    """--require-sigstore and no bundle: exit 4."""
    standin.add_release(
        "v1.0.0",
        {ARCHIVE: wheelhouse_tar, f"{ARCHIVE}.sha256": _manifest(ARCHIVE, wheelhouse_tar)},
    )
    code, stdout, stderr = _install(cli, standin, destination, "--require-sigstore")
    assert code == ExitCode.VERIFICATION
    _assert_one_line_error(stdout, stderr, "signature-missing")


def test_dry_run_text_shows_the_plan_and_leaves_nothing(
    cli: Cli, standin: StandIn, wheelhouse_tar: bytes, destination: Path
) -> None:
    """--dry-run downloads and verifies, shows the pip plan, installs and keeps nothing."""
    standin.add_release(
        "v1.0.0",
        {ARCHIVE: wheelhouse_tar, f"{ARCHIVE}.sha256": _manifest(ARCHIVE, wheelhouse_tar)},
    )
    out = cli(
        "release", "install", "--repository", standin.repository, "--api-url", standin.api_url,
        "--destination", str(destination), "--dry-run", "--tag", "v1.0.0",
        "--python", str(Path(NO_PYTHON).absolute()),
    )  # fmt: skip
    assert out.exit_code == 0, out.stderr
    assert "dry run: verified, would install from top-level wheels: tinyapp==2.1" in out.stdout
    assert "warning: no Sigstore bundle" in out.stdout
    assert list(destination.iterdir()) == []


@pytest.mark.parametrize("fault", ["500", "reset", "truncate", "ratelimit", "429"])
def test_download_faults_end_in_success(
    cli: Cli, standin: StandIn, wheelhouse_tar: bytes, destination: Path, fault: str
) -> None:
    """Each transient fault of the download is retried (resumed) and the flow succeeds."""
    standin.add_release(
        "v1.0.0",
        {ARCHIVE: wheelhouse_tar, f"{ARCHIVE}.sha256": _manifest(ARCHIVE, wheelhouse_tar)},
    )
    standin.faults[ARCHIVE] = [fault]
    code, stdout, stderr = _install(cli, standin, destination, "--dry-run")
    assert code == 0, stderr
    assert (
        InstallReport.model_validate_json(stdout).sha256
        == hashlib.sha256(wheelhouse_tar).hexdigest()
    )
    assert list(destination.iterdir()) == []


@pytest.mark.parametrize(
    ("fault", "message"),
    [("401", "token is invalid or expired"), ("404", "release or tag not found")],
)
def test_api_errors_are_one_line_exit_5(
    cli: Cli, standin: StandIn, destination: Path, fault: str, message: str
) -> None:
    """401 and 404 from the API: exit 5, one line that says which."""
    standin.api_faults = [fault]
    code, stdout, stderr = _install(cli, standin, destination)
    assert code == ExitCode.EXTERNAL
    assert message in stderr
    assert json.loads(stdout)["error"]["exit_code"] == 5


def test_persistent_failure_is_a_clear_error_without_partial_file(
    cli: Cli, standin: StandIn, wheelhouse_tar: bytes, destination: Path
) -> None:
    """A download that keeps failing mid-body ends in exit 5 and no file in the destination."""
    standin.add_release(
        "v1.0.0",
        {ARCHIVE: wheelhouse_tar, f"{ARCHIVE}.sha256": _manifest(ARCHIVE, wheelhouse_tar)},
    )
    standin.faults[ARCHIVE] = ["500"] * 10
    code, _, stderr = _install(cli, standin, destination, "--max-retries", "1")
    assert code == ExitCode.EXTERNAL
    assert "still failing after 2 attempts" in stderr
    assert list(destination.iterdir()) == []


def test_token_is_never_shown(
    cli: Cli,
    standin: StandIn,
    wheelhouse_tar: bytes,
    destination: Path,
    fresh_venv: Path,
    tmp_path: Path,
) -> None:
    """The token appears in no output, log, report, error or written file."""
    standin.add_release(
        "v1.0.0",
        {ARCHIVE: wheelhouse_tar, f"{ARCHIVE}.sha256": _manifest(ARCHIVE, wheelhouse_tar)},
    )
    debug = ("--log-level", "debug", "--log-format", "json")
    # The third run installs: into a venv of this test, never the one running the tests.
    into_venv = ("--python", str(fresh_venv / "bin" / "python"))
    nowhere = ("--python", str(tmp_path / NO_PYTHON))
    runs = [
        cli(*debug, "--format", "json", "release", "install", "--repository", standin.repository,
            "--api-url", standin.api_url, "--destination", str(destination), "--dry-run",
            "--token", TOKEN, *nowhere),
        cli(*debug, "release", "install", "--repository", standin.repository,
            "--api-url", standin.api_url + "/nowhere", "--destination", str(destination),
            "--token", TOKEN, *nowhere),
        cli(*debug, "release", "install", "--repository", standin.repository,
            "--api-url", standin.api_url, "--destination", str(destination), *into_venv,
            env={"GITHUB_TOKEN": TOKEN}),
        cli(*debug, "release", "backfill", "--repository", standin.repository,
            "--api-url", standin.api_url, "--dry-run", env={"GH_TOKEN": TOKEN}),
    ]  # fmt: skip
    standin.api_faults = ["401"]
    runs.append(cli(*debug, "release", "install", "--repository", standin.repository,
                    "--api-url", standin.api_url, "--token", TOKEN, *nowhere))  # fmt: skip
    assert [r.exit_code for r in runs] == [0, 5, 0, 0, 5]
    assert installed(fresh_venv) == {"tinyapp": "2.1", "tinylib": "1.0"}
    for run in runs:
        assert TOKEN not in run.stdout
        assert TOKEN not in run.stderr
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(TOKEN.encode() not in p.read_bytes() for p in written)


def test_malformed_token_is_a_usage_error_that_hides_it(
    cli: Cli, standin: StandIn, destination: Path
) -> None:
    """A malformed token exits 2 before any request, and is not repeated."""
    bad = "ghp_has-a-dash-and-is-secret"
    code, stdout, stderr = _install(cli, standin, destination, "--token", bad)
    assert code == ExitCode.USAGE
    assert bad not in stdout + stderr
    assert "malformed" in stderr
    assert standin.log == []


def test_several_archives_are_a_usage_error(cli: Cli, standin: StandIn, destination: Path) -> None:
    """Two matching archives: exit 2 listing both."""
    standin.add_release("v1.0.0", {"a.tar.gz": b"1", "b.zip": b"2"})
    code, _, stderr = _install(cli, standin, destination)
    assert code == ExitCode.USAGE
    assert "a.tar.gz, b.zip" in stderr


def test_hostile_archive_exits_4_and_leaves_nothing(
    cli: Cli, standin: StandIn, destination: Path
) -> None:
    """A correctly checksummed archive that escapes its directory: exit 4, nothing written."""
    evil = make_tar({"wheelhouse/ok-1.0-py3-none-any.whl": b"x", "../../escaped.txt": b"pwned"})
    standin.add_release("v6.6.6", {ARCHIVE: evil, f"{ARCHIVE}.sha256": _manifest(ARCHIVE, evil)})
    code, stdout, stderr = _install(cli, standin, destination)
    assert code == ExitCode.VERIFICATION
    _assert_one_line_error(stdout, stderr, "unsafe-archive")
    assert "points outside the archive" in stderr
    assert list(destination.iterdir()) == []
    assert not (destination.parent.parent / "escaped.txt").exists()


def test_default_destination_is_made_only_when_needed(
    cli: Cli, standin: StandIn, wheelhouse_tar: bytes
) -> None:
    """Without --destination: a refusal or a dry run leaves no .hephaestus/release behind."""
    standin.add_release(
        "v1.0.0",
        {ARCHIVE: wheelhouse_tar, f"{ARCHIVE}.sha256": _manifest(ARCHIVE, b"other bytes")},
    )
    nowhere = ("--python", str(Path(NO_PYTHON).absolute()))
    base = ("release", "install", *nowhere, "--repository", standin.repository, "--api-url")
    refused = cli(*base, standin.api_url)
    assert refused.exit_code == ExitCode.VERIFICATION
    assert not Path(".hephaestus").exists()
    standin.add_release(
        "v1.0.1",
        {ARCHIVE: wheelhouse_tar, f"{ARCHIVE}.sha256": _manifest(ARCHIVE, wheelhouse_tar)},
    )
    dry = cli(*base, standin.api_url, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert not Path(".hephaestus").exists()
