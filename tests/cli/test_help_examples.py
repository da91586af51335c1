"""Every command's and group's ``--help`` ends with examples (declared with ``@describe``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from hephaestus.cli import app
from hephaestus.cli.introspect import describe_tree

if TYPE_CHECKING:
    from tests.conftest import Cli

PATHS = [spec.path for spec in describe_tree(app)[1]]


def _examples(help_text: str) -> list[str]:
    """The example lines after the `Examples:` heading of a help page."""
    lines = help_text.splitlines()
    assert "  Examples:" in lines, help_text
    after = lines[lines.index("  Examples:") + 1 :]
    return [line.strip() for line in after if line.startswith("    hephaestus")]


@pytest.mark.parametrize("path", ["", *PATHS], ids=["hephaestus", *PATHS])
def test_every_help_shows_an_example(cli: Cli, path: str) -> None:
    """`--help` of the root, each group and each command shows at least one example."""
    out = cli(*path.split(), "--help")
    assert out.exit_code == 0, out.stderr
    examples = _examples(out.stdout)
    assert examples, out.stdout
    if path:  # a command's examples run that command (or, for a group, one below it)
        name = path.rsplit(maxsplit=1)[-1]
        assert all(f" {name}" in example for example in examples), examples


def test_examples_are_not_rewrapped(cli: Cli) -> None:
    """A long example stays on one line (click would otherwise rewrap the epilog)."""
    out = cli("release", "install", "--help")
    assert any("--identity" in line and "--repository" in line for line in _examples(out.stdout))


def test_group_without_its_own_shows_one_per_subcommand(cli: Cli) -> None:
    """`tools qa --help` shows the first example of each of its subcommands."""
    out = cli("tools", "qa", "--help")
    assert _examples(out.stdout) == ["hephaestus tools qa coverage", "hephaestus tools qa profile"]
