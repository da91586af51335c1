"""Isolation for every test: a private HOME and cache, no colour, a fixed width, no stray config."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from hephaestus.cli import app
from hephaestus.core.logging import LogSettings, configure

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path

# Fixtures shared beyond their directory: the GitHub stand-in, tiny wheels, throw-away venvs.
# The guard fails any session, or subset of the suite, that changes the environment running it.
pytest_plugins = ["tests.release.fixtures", "tests.environment_guard"]


def pytest_configure(config: pytest.Config) -> None:
    """Give Ctrl-C back its default meaning when the suite was started with it ignored.

    A shell starts a background job (``pytest &``, ``nohup``) with SIGINT ignored, and an
    ignored signal stays ignored in every child: the tests that send SIGINT to a hephaestus
    process would then wait for an exit that never comes. A handled signal is reset to its
    default in children, so installing Python's own handler restores it for them too.
    """
    del config
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


_UNSET = frozenset({"FORCE_COLOR", "GITHUB_ACTIONS", "TRACEPARENT", "TRACESTATE", "BAGGAGE"})


@pytest.fixture(autouse=True)
def _isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Give each test its own HOME and cache, NO_COLOR, COLUMNS=80, no HEPHAESTUS_* vars.

    No OTEL_* variable or trace context either: telemetry is off unless a test turns it on.
    """
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "80")
    for name in list(os.environ):
        if name.startswith(("HEPHAESTUS_", "OTEL_")) or name in _UNSET:
            monkeypatch.delenv(name)
    yield
    configure(LogSettings())


@dataclass(frozen=True)
class Outcome:
    """What one in-process invocation printed and returned."""

    exit_code: int
    stdout: str
    stderr: str


class Cli:
    """Runs ``hephaestus`` in-process through Typer's runner, stdout and stderr kept apart."""

    def __init__(self) -> None:
        self._runner = CliRunner()

    def __call__(
        self, *args: str, env: Mapping[str, str | None] | None = None, stdin: str | None = None
    ) -> Outcome:
        """Invoke the root command with ``args``."""
        result = self._runner.invoke(app, list(args), env=env, input=stdin, prog_name="hephaestus")
        return Outcome(result.exit_code, result.stdout, result.stderr)

    def run(self, args: Sequence[str]) -> Outcome:
        """Invoke with a sequence of arguments."""
        return self(*args)


@pytest.fixture
def cli() -> Cli:
    """The strict CLI fixture: in-process, isolated, NO_COLOR=1, COLUMNS=80."""
    return Cli()
