"""tests/environment_guard.py: a session that changes its own environment fails, saying how."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.venvs import make_venv, python_of

GUARD = Path(__file__).with_name("environment_guard.py")
INSTALLS = """\
import shutil
import sysconfig
from pathlib import Path

def test_installs_into_the_environment_running_it():
    site = Path(sysconfig.get_paths()["purelib"])
    (site / "intruder-6.6.6.dist-info").mkdir()
    # A directory of links (tests/venvs.py): rmtree removes the links, never their targets.
    shutil.rmtree(next(site.glob("iniconfig-*.dist-info")))
"""
CLEAN = "def test_nothing():\n    pass\n"


def _session(tmp_path: Path, test: str) -> subprocess.CompletedProcess[str]:
    """Run one test file under the guard, in a throw-away venv holding only pytest."""
    venv = make_venv(tmp_path / "venv", tools=["pytest"])
    plugins, project = tmp_path / "plugins", tmp_path / "project"
    plugins.mkdir()
    project.mkdir()
    shutil.copy(GUARD, plugins / GUARD.name)  # only the guard on the path, as a bare module
    (project / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (project / "test_it.py").write_text(test, encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ["HOME"], "PYTHONPATH": str(plugins)}
    argv = ["-m", "pytest", "-p", "environment_guard", "-p", "no:cacheprovider", "-q"]
    return subprocess.run(
        [str(python_of(venv)), *argv],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_an_install_fails_the_session_naming_what_changed(tmp_path: Path) -> None:
    """A passing test that adds and removes a dist-info fails its session, naming both."""
    done = _session(tmp_path, INSTALLS)
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    assert "changed the environment running it" in done.stdout
    assert "added: intruder 6.6.6 (" in done.stdout
    assert "removed: iniconfig " in done.stdout


def test_a_session_that_changes_nothing_passes(tmp_path: Path) -> None:
    """The guard says nothing and keeps exit 0 when the environment is unchanged."""
    done = _session(tmp_path, CLEAN)
    assert done.returncode == pytest.ExitCode.OK, done.stdout + done.stderr
    assert "environment" not in done.stdout


def test_the_suite_runs_under_the_guard(pytestconfig: pytest.Config) -> None:
    """tests/conftest.py registers the guard, so any subset of the suite is checked."""
    assert pytestconfig.pluginmanager.has_plugin("tests.environment_guard")
