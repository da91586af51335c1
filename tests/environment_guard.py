"""A pytest plugin: a test session must leave its own Python environment as it found it.

Tests install only into venvs they make in ``tmp_path`` (DESIGN.md section 7). An install into
the environment running the tests (the developer's ``.venv``) changes what every gate's cache key
digests (the ``*.dist-info`` names of its site-packages), so the next ``guard-rails`` re-runs
everything. This plugin records those names (name and version) when the session starts and
fails the session, naming what was added and removed, if they differ when it finishes.

It watches the running interpreter's purelib and platlib and, when the tests run from another
interpreter (``uvx pytest``, tox), the checkout's own ``.venv`` too. Under pytest-xdist only the
controller checks: its window (before the first worker starts, after the last one ends) holds
every worker's, and a worker's exit status is not the session's. Any subset of the suite loads
it: ``tests/conftest.py`` registers it, and that conftest is loaded for every path under
``tests/``. Standalone use: ``pytest -p tests.environment_guard``. It needs nothing but the
standard library and pytest, so it also runs in throw-away environments.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

import pytest

_METADATA_SUFFIXES = (".dist-info", ".egg-info")
_SNAPSHOT = pytest.StashKey[tuple[tuple[Path, ...], frozenset[str]]]()
_CHANGES = pytest.StashKey[list[str]]()
_TITLE = "the test session changed the environment running it"


def watched_sites(rootdir: Path) -> tuple[Path, ...]:
    """The running interpreter's purelib and platlib, then the site-packages of ``rootdir/.venv``.

    Each directory appears once, whichever way it is spelled.
    """
    paths = sysconfig.get_paths()
    candidates = [Path(paths["purelib"]), Path(paths["platlib"])]
    candidates += sorted((rootdir / ".venv").glob("lib/python*/site-packages"))
    unique: dict[Path, Path] = {}
    for site in candidates:
        unique.setdefault(site.resolve(), site)
    return tuple(unique.values())


def installed_metadata(sites: tuple[Path, ...]) -> frozenset[str]:
    """The ``*.dist-info`` and ``*.egg-info`` entries of ``sites`` (each names its version)."""
    names: set[str] = set()
    for site in sites:
        try:
            with os.scandir(site) as entries:
                names.update(
                    f"{site}{os.sep}{e.name}"
                    for e in entries
                    if e.name.endswith(_METADATA_SUFFIXES)
                )
        except OSError:  # a platlib that does not exist, or the .venv removed meanwhile
            continue
    return frozenset(names)


def _describe(entry: str) -> str:
    """``…/site-packages/tiny_app-2.1.dist-info`` -> ``tiny_app 2.1 (…/site-packages)``."""
    site, _, name = entry.rpartition(os.sep)
    project, _, version = name.rpartition(".")[0].partition("-")
    return f"{project} {version} ({site})"


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Record the installed distributions before anything else runs (xdist workers excepted)."""
    if hasattr(session.config, "workerinput"):
        return
    # Paths are fixed now: a test that patches sysconfig or sys.prefix cannot redirect the check.
    sites = watched_sites(session.config.rootpath)
    session.stash[_SNAPSHOT] = (sites, installed_metadata(sites))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the session if its distributions changed; the terminal summary names them."""
    snapshot = session.stash.get(_SNAPSHOT, None)
    if snapshot is None:
        return
    sites, before = snapshot
    after = installed_metadata(sites)
    if after == before:
        return
    lines = [f"added: {_describe(e)}" for e in sorted(after - before)]
    lines += [f"removed: {_describe(e)}" for e in sorted(before - after)]
    lines.append("install into a venv made in tmp_path (tests/venvs.py, fresh_venv), never here")
    session.config.stash[_CHANGES] = lines
    if session.config.pluginmanager.get_plugin("terminalreporter") is None:
        print(_TITLE, *lines, sep="\n", file=sys.stderr)  # noqa: T201  # no summary to join
    if session.exitstatus in {pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED}:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Name what the session added to and removed from its environment, in red."""
    lines = config.stash.get(_CHANGES, [])
    if lines:
        terminalreporter.write_sep("=", _TITLE, red=True, bold=True)
        for line in lines:
            terminalreporter.write_line(line, red=True)
