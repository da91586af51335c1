"""`hephaestus.api.audit`: one private, redacted JSON line per call.

The property test hides a token of each kind (GitHub's, ours, a bearer credential) in every
field of a line: whatever the field and the context around it, the token never reaches the file.
"""

from __future__ import annotations

import json
import os
import stat
import string
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hephaestus.api.audit import AUDIT_FILE, OUR_TOKEN, AuditLog, UnsafeAuditLogError
from hephaestus.api.auth import new_token
from hephaestus.core.errors import ExitCode

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

FIELDS = ("principal", "face", "operation", "root", "outcome", "status", "duration_ms")


def _call(**changes: Any) -> dict[str, Any]:  # noqa: ANN401  # any field's value
    """The fields of one call, with ``changes`` applied."""
    fields: dict[str, Any] = {
        "principal": "ci",
        "face": "rest",
        "operation": "cleanup_plan",
        "root": "/srv/repo",
        "outcome": "ok",
        "status": 200,
        "duration_ms": 12.3456,
        "request_id": "req-1",
    }
    return fields | changes


def _lines(log: AuditLog) -> list[dict[str, Any]]:
    text = log.path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def log(tmp_path: Path) -> Iterator[AuditLog]:
    """An audit log in a fresh server directory."""
    with AuditLog.open(tmp_path / "serve") as opened:
        yield opened


def test_a_line_holds_every_field(log: AuditLog) -> None:
    """One JSON object per call: time (UTC), who, face, what, where, outcome, status, duration."""
    log.record(**_call())
    (line,) = _lines(log)
    assert set(line) == {"time", *FIELDS, "request_id"}
    assert {k: line[k] for k in FIELDS} == {
        "principal": "ci",
        "face": "rest",
        "operation": "cleanup_plan",
        "root": "/srv/repo",
        "outcome": "ok",
        "status": 200,
        "duration_ms": 12.346,
    }
    when = datetime.fromisoformat(line["time"])
    assert when.utcoffset() is not None
    assert when.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert abs((datetime.now(UTC) - when).total_seconds()) < 60


def test_errors_grpc_statuses_and_no_root_are_recorded(log: AuditLog) -> None:
    """An error's code is the outcome; a gRPC status name is the status; a root may be absent."""
    log.record(**_call(face="grpc", outcome="permission-denied", status="PERMISSION_DENIED"))
    log.record(**_call(face="mcp", root=None, operation="POST /mcp"))
    first, second = _lines(log)
    assert (first["outcome"], first["status"]) == ("permission-denied", "PERMISSION_DENIED")
    assert (second["root"], second["face"]) == (None, "mcp")


def test_files_and_directories_are_private(tmp_path: Path) -> None:
    """The directory is made 0700 and the file 0600, whatever the umask."""
    previous = os.umask(0)
    try:
        with AuditLog.open(tmp_path / "serve") as log:
            log.record(**_call())
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "serve").stat().st_mode) == 0o700
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    assert log.path == tmp_path / "serve" / AUDIT_FILE


def test_an_existing_log_is_tightened_and_appended_to(tmp_path: Path) -> None:
    """A looser existing directory and file become 0700/0600; earlier lines are kept."""
    directory = tmp_path / "serve"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    (directory / AUDIT_FILE).write_text('{"earlier": true}\n', encoding="utf-8")
    (directory / AUDIT_FILE).chmod(0o644)
    with AuditLog.open(directory) as log:
        log.record(**_call())
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    assert [line.get("earlier") for line in _lines(log)] == [True, None]


def test_links_and_special_files_are_refused(tmp_path: Path) -> None:
    """A symlinked directory or file, a FIFO or a directory in the file's place: exit 3."""
    target = tmp_path / "elsewhere"
    target.mkdir()
    (tmp_path / "linked").symlink_to(target)
    os.mkfifo(target / "fifo")
    (target / "dir").mkdir()
    (target / "link").symlink_to(target / "x.jsonl")
    cases = [(tmp_path / "linked", AUDIT_FILE)] + [
        (target, name) for name in ("fifo", "dir", "link")
    ]
    for directory, name in cases:
        with pytest.raises(UnsafeAuditLogError) as caught:
            AuditLog.open(directory, file_name=name)
        assert caught.value.exit_code == ExitCode.SAFETY
        assert caught.value.code == "unsafe-audit-log"
    assert not (target / "x.jsonl").exists()
    assert stat.S_ISFIFO((target / "fifo").lstat().st_mode)


def test_bad_arguments_are_value_errors(log: AuditLog, tmp_path: Path) -> None:
    """An unknown face, a NaN duration, a path as file name, a closed log: ValueError."""
    with pytest.raises(ValueError, match="face"):
        log.record(**_call(face="soap"))
    with pytest.raises(ValueError, match="JSON"):
        log.record(**_call(duration_ms=float("nan")))
    with pytest.raises(ValueError, match="file name"):
        AuditLog.open(tmp_path, file_name="../x")
    log.close()
    with pytest.raises(ValueError, match="closed"):
        log.record(**_call())


def test_authorization_headers_are_dropped_and_others_redacted(log: AuditLog) -> None:
    """Authorization (any case), Proxy-Authorization and Cookie are left out; others kept."""
    token = new_token()
    log.record(
        **_call(),
        headers={
            "Authorization": f"Bearer {token}",
            "AUTHORIZATION": "Basic dXNlcjpwYXNz",
            "proxy-authorization": "Basic dXNlcjpwYXNz",
            "Cookie": "session=abc123",
            "X-Api-Key": "k-123456",
            "User-Agent": "client/1.0",
        },
    )
    (line,) = _lines(log)
    assert line["headers"] == {"X-Api-Key": "[REDACTED]", "User-Agent": "client/1.0"}
    text = log.path.read_text(encoding="utf-8")
    for secret in (token, "dXNlcjpwYXNz", "abc123", "k-123456"):
        assert secret not in text


def test_a_bearer_credential_cannot_hide_the_next_one(log: AuditLog) -> None:
    """``Bearer a/Bearer b``: both credentials go, though ``a``'s characters run into ``b``'s."""
    log.record(**_call(operation="Bearer first-secret/Bearer second-secret"))
    (line,) = _lines(log)
    assert "secret" not in line["operation"]
    assert line["operation"].count("Bearer [REDACTED]") == 2


def test_records_from_many_threads_stay_whole_lines(log: AuditLog) -> None:
    """Concurrent records never interleave: every line is one valid JSON object."""

    def write(worker: int) -> None:
        for i in range(50):
            log.record(**_call(request_id=f"{worker}-{i}", operation="x" * 2000))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = _lines(log)
    assert len(lines) == 400
    assert len({line["request_id"] for line in lines}) == 400


def test_our_token_pattern_matches_what_new_token_makes() -> None:
    """The audit log's own token pattern covers every token new_token makes, whole."""
    for _ in range(50):
        token = new_token()
        assert OUR_TOKEN.fullmatch(token)


TAIL = string.ascii_letters + string.digits + "_"
PREFIXES = {
    "ghp_": TAIL,
    "github_pat_": TAIL,
    "heph_": TAIL + "-",
    "Bearer ": TAIL + "-.~+/=",
}
secrets_ = st.sampled_from(sorted(PREFIXES)).flatmap(
    lambda prefix: st.tuples(st.just(prefix), st.text(PREFIXES[prefix], min_size=20, max_size=60))
)
TEXT_FIELDS = ("principal", "operation", "root", "outcome", "status", "request_id", "headers")
contexts = st.sampled_from(
    ["{}", "a {} b", "token={}", "call({})", "x\n{}\ty", "{}/{}", "{}{}", "{}={}", "'{}', '{}'"]
)


@settings(
    max_examples=150,
    deadline=None,
    # The log is only appended to: each example checks the line it wrote last.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(secret=secrets_, context=contexts, field=st.sampled_from(TEXT_FIELDS))
def test_no_token_reaches_the_file_whatever_the_field(
    log: AuditLog, secret: tuple[str, str], context: str, field: str
) -> None:
    """A GitHub, hephaestus or bearer token in any field or header never appears in the file."""
    prefix, tail = secret
    value = context.format(prefix + tail, prefix + tail)
    if field == "headers":
        log.record(**_call(), headers={"X-Trace": value, "authorization": value})
    else:
        log.record(**_call(**{field: value}))
    last = log.path.read_text(encoding="utf-8").splitlines()[-1]
    json.loads(last)
    assert tail not in last
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
