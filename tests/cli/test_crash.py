"""Crash files: the user's alone (0600 in a 0700 directory), and never holding a secret."""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.core.test_redaction import forget_secrets, opaque, secrets_in_text, tokens

from hephaestus.cli.handler import crash_directory, guarded, save_crash
from hephaestus.core.errors import ExitCode

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


pytestmark = pytest.mark.usefixtures(forget_secrets.__name__)


@pytest.fixture
def umask_zero() -> Iterator[None]:
    """The most permissive umask: the modes must come from the code, not the umask."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.mark.usefixtures("umask_zero")
def test_crash_file_is_0600_in_a_0700_directory() -> None:
    """Even with umask 0 the crash file is 0600 and its directory 0700."""
    path = save_crash(RuntimeError("boom"), run_id="r1", argv=["version"])
    assert path is not None
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert path.parent == crash_directory()


def test_an_existing_open_directory_is_closed_to_others() -> None:
    """A crash directory left world-readable by an older version becomes 0700."""
    directory = crash_directory()
    directory.mkdir(parents=True)
    directory.chmod(0o755)
    path = save_crash(RuntimeError("boom"), run_id="r2", argv=[])
    assert path is not None
    assert _mode(directory) == 0o700


def test_a_symlinked_crash_directory_is_not_followed(tmp_path: Path) -> None:
    """The crash directory replaced by a symlink elsewhere: nothing is written, None returned."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    crash_directory().parent.mkdir(parents=True)
    crash_directory().symlink_to(elsewhere)
    assert save_crash(RuntimeError("boom"), run_id="r3", argv=[]) is None
    assert list(elsewhere.iterdir()) == []


def test_two_crashes_of_one_run_in_one_second_keep_both() -> None:
    """Files are created new (O_EXCL): a second crash never overwrites the first."""
    first = save_crash(RuntimeError("one"), run_id="same", argv=[])
    second = save_crash(RuntimeError("two"), run_id="same", argv=[])
    assert first is not None
    assert second is not None
    assert first != second
    assert "one" in first.read_text(encoding="utf-8")
    assert "two" in second.read_text(encoding="utf-8")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    token=tokens(),
    value=opaque(),
    case=secrets_in_text(),
    joined=st.booleans(),
)
def test_no_secret_reaches_a_crash_file(
    token: str, value: str, case: tuple[str, str], joined: bool
) -> None:
    """Secrets in argv (as --token X, --token=X or a bare token) and in the message are gone."""
    text, secret = case
    option = [f"--token={value}"] if joined else ["--token", value]
    argv = ["release", "install", *option, "--repository", "o/r", token]
    error = RuntimeError(f"failed with {text}; the option was {value}")
    path = save_crash(error, run_id="prop", argv=argv)
    assert path is not None
    content = path.read_text(encoding="utf-8")
    path.unlink()
    for hidden in (token, value, secret):
        assert hidden not in content
    assert "RuntimeError: failed with" in content
    assert "--repository o/r" in content


def test_an_internal_error_is_one_redacted_line_and_a_private_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The handler's exit 70: the token is in neither the error line nor the crash file."""
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_FromTheEnvironment123")
    argv = ["release", "install", "--token", "opaque-secret-value"]

    def crash() -> None:
        raise ValueError(
            "Authorization: Bearer opaque-secret-value sent with ghp_FromTheEnvironment123"
        )

    assert guarded(crash, argv=argv) == ExitCode.INTERNAL
    err = capsys.readouterr().err
    assert err.startswith("error: internal error: ValueError: Authorization: Bearer [REDACTED]")
    assert "opaque-secret-value" not in err
    assert "ghp_FromTheEnvironment123" not in err
    (path,) = crash_directory().iterdir()
    assert _mode(path) == 0o600
    content = path.read_text(encoding="utf-8")
    assert "opaque-secret-value" not in content
    assert "ghp_FromTheEnvironment123" not in content
    assert "argv: release install --token '[REDACTED]'" in content
