"""``-q/--quiet`` and ``-v/--verbose``: shorthands for ``--log-level``, checked against it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from hephaestus.cli.environment import LogLevelChoice, verbosity
from hephaestus.core.errors import ExitCode, UsageError
from hephaestus.core.logging import current_settings

if TYPE_CHECKING:
    from tests.conftest import Cli


@pytest.mark.parametrize(
    ("flags", "level"),
    [
        ((), "warning"),
        (("-q",), "error"),
        (("--quiet",), "error"),
        (("-v",), "debug"),
        (("-vv",), "debug"),
        (("--verbose",), "debug"),
        (("-q", "--log-level", "error"), "error"),
        (("-v", "--log-level", "debug"), "debug"),
    ],
)
def test_flags_set_the_log_level(cli: Cli, flags: tuple[str, ...], level: str) -> None:
    """-q means error, -v (once or repeated) debug; agreeing with --log-level is fine."""
    out = cli(*flags, "version")
    assert out.exit_code == 0, out.stderr
    assert current_settings().level == level


def test_verbose_writes_debug_events(cli: Cli) -> None:
    """-v shows the debug event of the command starting on stderr; stdout keeps only data."""
    out = cli("-v", "version")
    assert "command.started" in out.stderr
    assert "command.started" not in out.stdout


def test_quiet_writes_nothing_on_stderr_when_all_is_well(cli: Cli) -> None:
    """-q leaves stderr empty for a successful command; the data still goes to stdout."""
    out = cli("-q", "version")
    assert out.exit_code == 0
    assert out.stderr == ""
    assert out.stdout.startswith("hephaestus:")


def test_quiet_still_reports_errors(cli: Cli) -> None:
    """An error is still one `error:` line on stderr with -q."""
    out = cli("-q", "--run-id", "../x", "version")
    assert out.exit_code == ExitCode.USAGE
    assert "error: invalid run id" in out.stderr


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("-q", "-v"), "error: --quiet and --verbose contradict each other"),
        (("--verbose", "--quiet"), "error: --quiet and --verbose contradict each other"),
        (("-q", "--log-level", "debug"), "error: --quiet contradicts --log-level debug"),
        (("-v", "--log-level", "warning"), "error: --verbose contradicts --log-level warning"),
    ],
)
def test_contradictions_are_usage_errors(cli: Cli, flags: tuple[str, ...], message: str) -> None:
    """Contradicting verbosity flags exit 2 with one error line and a hint; no traceback."""
    out = cli(*flags, "version")
    assert out.exit_code == ExitCode.USAGE
    assert out.stderr.splitlines()[0] == message
    assert out.stderr.splitlines()[1].startswith("hint: ")
    assert out.stdout == ""


def test_flags_override_the_environment(cli: Cli) -> None:
    """HEPHAESTUS_LOG_LEVEL is overridden by -q (a flag beats the environment), not refused."""
    out = cli("-q", "version", env={"HEPHAESTUS_LOG_LEVEL": "debug"})
    assert out.exit_code == 0, out.stderr
    assert current_settings().level == "error"


def test_verbosity_without_flags_keeps_the_level() -> None:
    """Neither -q nor -v: whatever --log-level (or nothing) said stands."""
    keep = verbosity(quiet=False, verbose=False, log_level=None, level_flag_given=False)
    assert keep is None
    info = LogLevelChoice.info
    assert verbosity(quiet=False, verbose=False, log_level=info, level_flag_given=True) is info
    with pytest.raises(UsageError):
        verbosity(quiet=True, verbose=False, log_level=info, level_flag_given=True)
