"""The root command: help, global options, the lazy table, errors and exit codes."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
import typer
from typer.main import get_command

import hephaestus.meta as version_command
from hephaestus.cli import COMMANDS, LazyGroup, app, main
from hephaestus.cli.handler import sniff_format
from hephaestus.core.errors import ExitCode, SafetyError, one_line
from hephaestus.schema import ErrorDocument

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Cli


def test_help_lists_the_real_commands(cli: Cli) -> None:
    """--help exits 0 and lists exactly the commands of the table with their summaries."""
    out = cli("--help")
    assert out.exit_code == 0
    for entry in COMMANDS:
        assert f"{entry.name}  " in out.stdout
        assert entry.summary in out.stdout
    assert "--format" in out.stdout
    assert "--run-id" in out.stdout


def test_no_arguments_shows_help(cli: Cli) -> None:
    """Running with no command shows usage (like --help) instead of doing something."""
    out = cli()
    assert "Usage: hephaestus" in out.stdout + out.stderr
    assert out.exit_code in {0, 2}


def test_table_summaries_match_each_command_help() -> None:
    """The lazy table's one-line help equals the first line of each command's docstring."""
    group = LazyGroup(name="hephaestus")
    ctx = app_context()
    for entry in COMMANDS:
        command = group.get_command(ctx, entry.name)
        assert command is not None, entry.name
        assert command.get_short_help_str(limit=200) == entry.summary


def app_context() -> typer.Context:
    """Return a click context for the root command."""
    return typer.Context(get_command(app), info_name="hephaestus")


def test_unknown_command_suggests_the_closest(cli: Cli) -> None:
    """A typo exits 2 with usage and a suggestion, no traceback."""
    out = cli("verson")
    assert out.exit_code == ExitCode.USAGE
    assert "Did you mean 'version'?" in out.stderr
    assert "Traceback" not in out.stdout + out.stderr


def test_bad_flag_exits_2_with_one_line_and_the_way_to_usage(cli: Cli) -> None:
    """An unknown option exits 2: one error line and a hint naming --help, nothing on stdout."""
    out = cli("--no-such-flag", "version")
    assert out.exit_code == ExitCode.USAGE
    assert out.stderr.splitlines() == [
        "error: No such option: --no-such-flag",
        "hint: see `hephaestus --help`",
    ]
    assert out.stdout == ""


def test_bad_flag_in_json_mode_prints_one_error_document(cli: Cli) -> None:
    """With --format json, a usage error is still exactly one JSON document on stdout."""
    out = cli("--format", "json", "version", "--bogus")
    assert out.exit_code == ExitCode.USAGE
    document = ErrorDocument.model_validate_json(out.stdout)
    assert document.error.code == "usage-error"
    assert document.error.exit_code == 2
    assert "--bogus" in document.error.message


def test_bad_choice_exits_2(cli: Cli) -> None:
    """A value outside a choice set is a usage error naming the option."""
    out = cli("--format", "yaml", "version")
    assert out.exit_code == ExitCode.USAGE
    assert "--format" in out.stderr


def test_format_from_environment(cli: Cli) -> None:
    """HEPHAESTUS_FORMAT=json selects JSON output like the flag does."""
    out = cli("version", env={"HEPHAESTUS_FORMAT": "json"})
    assert out.exit_code == 0
    assert json.loads(out.stdout)["version"]


def test_invalid_run_id_is_a_usage_error(cli: Cli) -> None:
    """A run id that is unsafe in a file name is refused with exit 2 and a hint."""
    out = cli("--run-id", "../../etc", "version")
    assert out.exit_code == ExitCode.USAGE
    assert "error: invalid run id" in out.stderr
    assert "hint:" in out.stderr


def test_version_flag(cli: Cli) -> None:
    """--version prints the name and version and exits 0 without a command."""
    out = cli("--version")
    assert out.exit_code == 0
    assert out.stdout.startswith("hephaestus ")


def test_hephaestus_error_is_one_line_with_hint(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """A HephaestusError becomes `error:` and `hint:` lines on stderr and its own exit code."""

    def refuse() -> None:
        raise SafetyError("refusing to touch /", hint="choose a project directory")

    monkeypatch.setattr(version_command, "collect_version_info", refuse)
    out = cli("version")
    assert out.exit_code == ExitCode.SAFETY
    assert out.stderr == "error: refusing to touch /\nhint: choose a project directory\n"
    assert out.stdout == ""


def test_hephaestus_error_in_json_mode(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """In JSON mode the same error is also one error document on stdout."""

    def refuse() -> None:
        raise SafetyError("refusing to touch /", hint="choose a project directory")

    monkeypatch.setattr(version_command, "collect_version_info", refuse)
    out = cli("--format", "json", "version")
    assert out.exit_code == ExitCode.SAFETY
    assert json.loads(out.stdout) == {
        "error": {
            "code": "refused",
            "exit_code": 3,
            "message": "refusing to touch /",
            "hint": "choose a project directory",
        }
    }


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_internal_error_exits_70_with_crash_file(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, output_format: str
) -> None:
    """An unexpected exception exits 70, prints one line plus a hint, and saves the traceback."""

    def explode() -> None:
        message = "boom"
        raise RuntimeError(message)

    monkeypatch.setattr(version_command, "collect_version_info", explode)
    out = cli("--format", output_format, "--run-id", "run-1", "version")
    assert out.exit_code == ExitCode.INTERNAL
    assert "Traceback" not in out.stdout + out.stderr
    first, hint = out.stderr.splitlines()
    assert first == "error: internal error: RuntimeError: boom (this is a bug in hephaestus)"
    crash_dir = tmp_path / "home" / ".cache" / "hephaestus" / "crash"
    crashes = list(crash_dir.glob("crash-*-run-1.txt"))
    assert len(crashes) == 1
    assert str(crashes[0]) in hint
    text = crashes[0].read_text()
    assert "Traceback" in text
    assert "RuntimeError: boom" in text
    assert "argv:" in text
    if output_format == "json":
        assert json.loads(out.stdout)["error"]["exit_code"] == 70


def test_crash_file_unwritable_still_one_line(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """When the crash directory cannot be created, the error still is one line, exit 70."""
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))

    def explode() -> None:
        raise ZeroDivisionError

    monkeypatch.setattr(version_command, "collect_version_info", explode)
    out = cli("version")
    assert out.exit_code == ExitCode.INTERNAL
    assert "could not be saved" in out.stderr


def test_keyboard_interrupt_exits_130(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C during a command exits 130 with one line."""

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(version_command, "collect_version_info", interrupted)
    out = cli("version")
    assert out.exit_code == ExitCode.INTERRUPTED
    assert out.stderr.startswith("error: interrupted")


def test_main_returns_the_exit_code() -> None:
    """main(argv) returns the exit code instead of exiting, for embedding and tests."""
    assert main(["--format", "json", "version"]) == 0
    assert main(["--bogus"]) == ExitCode.USAGE


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["--format", "json", "x"], None, "json"),
        (["--format=json"], None, "json"),
        (["x"], "json", "json"),
        (["--format", "json", "--", "--format", "text"], None, "json"),
        (["--format"], None, "text"),
        ([], None, "text"),
    ],
)
def test_sniff_format(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], env: str | None, expected: str
) -> None:
    """The pre-parse format guess follows the flag, then HEPHAESTUS_FORMAT, else text."""
    if env:
        monkeypatch.setenv("HEPHAESTUS_FORMAT", env)
    assert sniff_format(argv).value == expected


def test_python_dash_m(tmp_path: Path) -> None:
    """`python -m hephaestus` runs the same command line."""
    import subprocess  # noqa: PLC0415

    done = subprocess.run(
        [sys.executable, "-m", "hephaestus", "--format", "json", "version"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["python"]


def test_no_command_in_json_mode(cli: Cli) -> None:
    """No command with --format json is a short error document, not the help text."""
    for out in (cli("--format", "json"), cli(env={"HEPHAESTUS_FORMAT": "json"})):
        assert out.exit_code == ExitCode.USAGE
        message = json.loads(out.stdout)["error"]["message"]
        assert message.lower().rstrip(".") == "missing command"


GC_PROBE = """
import gc, json, sys
from hephaestus import cli
seen = {}
original = cli._start_collecting
def spy():
    if "during_start_up" not in seen:  # main() calls it again after the command
        seen["during_start_up"] = gc.isenabled()
        original()
        seen["in_command"] = gc.isenabled()
        seen["frozen"] = gc.get_freeze_count() > 0
    else:
        original()
cli._start_collecting = spy
sys.argv = ["hephaestus", *sys.argv[1:]]
try:
    cli.main()
finally:
    seen["at_exit_frozen"] = gc.get_freeze_count()
    print(json.dumps(seen), file=sys.stderr)
"""


@pytest.mark.parametrize("argv", [["version"], ["--help"]])
def test_console_script_defers_collection_until_the_command(argv: list[str]) -> None:
    """Run as the console script, start-up runs without the collector, the command with it."""
    done = subprocess.run(
        [sys.executable, "-c", GC_PROBE, *argv], capture_output=True, text=True, check=True
    )
    seen = json.loads(done.stderr.strip().splitlines()[-1])
    assert seen["during_start_up"] is False
    assert seen["in_command"] is True
    assert seen["frozen"] is True
    assert seen["at_exit_frozen"] > 0


def test_main_with_argv_leaves_the_collector_alone() -> None:
    """Tests and embedders call main(argv): the collector's state is theirs, untouched."""
    frozen = gc.get_freeze_count()
    assert gc.isenabled()
    assert main(["version"]) == ExitCode.OK
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen


def test_a_multi_line_error_is_printed_on_one_line() -> None:
    """Whatever text a library put in an error, stderr gets one message line and one hint line."""
    assert one_line("while parsing\n  in <string>, line 3\n\n   ^ here\n") == (
        "while parsing in <string>, line 3 ^ here"
    )
    assert one_line("already one line") == "already one line"


@pytest.mark.parametrize(
    "argv",
    [
        ["version", "--format", "json"],
        ["version", "--format=json"],
        ["--format", "json", "version"],
    ],
)
def test_format_is_accepted_after_the_command(cli: Cli, argv: list[str]) -> None:
    """``--format json`` works before or after the command, as in ruff, uv and gh."""
    out = cli(*argv)
    assert out.exit_code == 0
    assert json.loads(out.stdout)["version"]


def test_format_after_a_double_dash_is_not_moved() -> None:
    """Arguments after ``--`` are the command's, never hoisted."""
    from hephaestus.cli import hoist_format  # noqa: PLC0415

    assert hoist_format(["a", "--", "--format", "json"]) == ["a", "--", "--format", "json"]
    assert hoist_format(["a", "--format", "json", "b"]) == ["--format", "json", "a", "b"]


def test_json_version_flag_prints_json(cli: Cli) -> None:
    """``--format json --version`` prints one JSON document; text mode keeps its line."""
    out = cli("--format", "json", "--version")
    assert out.exit_code == 0
    assert json.loads(out.stdout) == {
        "version": json.loads(cli("--format", "json", "version").stdout)["version"]
    }
    assert cli("--version").stdout.startswith("hephaestus ")
