from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from tests.otlp import Collector

from hephaestus.cli.tracing import command_of
from hephaestus.core.errors import ExitCode

if TYPE_CHECKING:
    from tests.conftest import Cli


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["serve", "--port", "1"], "serve"),
        (["--format", "json", "--log-level", "debug", "mcp"], "mcp"),
        (["--format=json", "guard-rails"], "guard-rails"),
        (["--run-id", "serve", "version"], "version"),
        (["--help"], None),
        (["--", "serve"], None),
    ],
)
def test_the_command_is_found_past_the_root_options(argv: list[str], command: str | None) -> None:
    """The command is the first word that is neither a root option nor an option's value."""
    assert command_of(argv) == command


def test_the_root_span_names_the_command_and_its_exit_code(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failing command's root span: named after it, its exit code, an error, the run id."""
    with Collector() as collector:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint)
        outcome = cli("--run-id", "run-9", "version", "--nope")
        assert outcome.exit_code == ExitCode.USAGE
        collector.wait_for(lambda c: bool(c.spans))
        (root,) = collector.spans
    assert root.name == "hephaestus version"
    assert root.attributes["process.exit.code"] == ExitCode.USAGE
    assert root.attributes["hephaestus.run_id"] == "run-9"
    assert root.attributes["error.type"] == "usage"
    assert root.error
