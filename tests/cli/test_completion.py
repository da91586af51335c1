"""Shell completion: Typer's scripts, and answers in its `_HEPHAESTUS_COMPLETE` protocol."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from hephaestus.cli.completion import named_shell

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Cli


def test_show_completion_prints_the_named_shells_script(cli: Cli) -> None:
    """`--show-completion bash` (no terminal, nothing to detect) prints bash's script."""
    out = cli("--show-completion", "bash")
    assert out.exit_code == 0, out.stderr
    assert "complete -o default -F _hephaestus_completion hephaestus" in out.stdout
    assert "_HEPHAESTUS_COMPLETE=complete_bash" in out.stdout


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("zsh", "#compdef hephaestus"),
        ("fish", "complete --command hephaestus"),
        ("powershell", "Register-ArgumentCompleter"),
    ],
)
def test_show_completion_for_each_shell(cli: Cli, shell: str, marker: str) -> None:
    """The shell named after the flag is the one whose script is printed."""
    out = cli("--show-completion", shell)
    assert out.exit_code == 0, out.stderr
    assert marker in out.stdout


def test_completing_a_command_name_offers_it(cli: Cli) -> None:
    """`hephaestus gua<TAB>` in bash's protocol offers guard-rails, and only it."""
    out = cli(
        env={
            "_HEPHAESTUS_COMPLETE": "complete_bash",
            "COMP_WORDS": "hephaestus gua",
            "COMP_CWORD": "1",
        }
    )
    assert out.exit_code == 0, out.stderr
    assert out.stdout.split() == ["guard-rails"]


def test_completing_a_commands_options(cli: Cli) -> None:
    """Options of a (lazily imported) command complete too: `hephaestus cleanup --dry<TAB>`."""
    out = cli(
        env={
            "_HEPHAESTUS_COMPLETE": "complete_bash",
            "COMP_WORDS": "hephaestus cleanup --dry",
            "COMP_CWORD": "2",
        }
    )
    assert out.exit_code == 0, out.stderr
    assert out.stdout.split() == ["--dry-run"]


def test_completing_command_names_imports_no_command(tmp_path: Path) -> None:
    """Command names come from the table: completing `hephaestus <TAB>` imports no command."""
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print(sorted(sys.modules), file=sys.stderr))\n"
        "from hephaestus.cli import main\n"
        "main([])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={
            **os.environ,
            "_HEPHAESTUS_COMPLETE": "complete_zsh",
            "_TYPER_COMPLETE_ARGS": "hephaestus ",
        },
    )
    assert "guard-rails" in done.stdout
    assert "version" in done.stdout
    assert "hephaestus.cli.guard_rails" not in done.stderr
    assert "hephaestus.cli.version" not in done.stderr


def test_named_shell_reads_only_the_word_after_the_flag() -> None:
    """A shell name counts right after the flag; anything else means: detect the shell."""
    assert named_shell(["--show-completion", "fish"], "--show-completion") == "fish"
    assert named_shell(["--show-completion"], "--show-completion") is None
    assert named_shell(["--show-completion", "version"], "--show-completion") is None
    assert named_shell(["bash", "--install-completion"], "--install-completion") is None


def test_install_completion_for_a_named_shell(cli: Cli, tmp_path: Path) -> None:
    """`--install-completion bash` writes the script under HOME and sources it from .bashrc."""
    home = tmp_path / "home"  # the test's own HOME (tests/conftest.py)
    out = cli("--install-completion", "bash")
    assert out.exit_code == 0, out.stderr
    script = home / ".bash_completions" / "hephaestus.sh"
    assert "_HEPHAESTUS_COMPLETE=complete_bash" in script.read_text(encoding="utf-8")
    assert f"source '{script}'" in (home / ".bashrc").read_text(encoding="utf-8")
    assert "bash completion installed" in out.stdout
