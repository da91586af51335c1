"""The distribution a user installs: built by ``uv build``, named ``hephaestus-toolkit``.

The wheel is built from this checkout, then installed the three ways the README names, each
into directories under ``tmp_path`` with a cache of its own there (nothing of the developer's
uv cache, tools or ``.venv`` is touched): into a clean venv, with ``uv tool install``, and run
once with ``uvx --from``. The command is ``hephaestus`` every time. Dependencies come from the
package index, as they would for a user.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from hephaestus.core.metadata import DISTRIBUTION

if TYPE_CHECKING:
    from collections.abc import Mapping

ROOT = Path(__file__).resolve().parents[1]


def _uv() -> str:
    """The uv running this session (``uv run`` sets ``UV``), else the one on PATH."""
    found = os.environ.get("UV") or shutil.which("uv")
    if found is None:
        pytest.fail("uv is needed to build the wheel: run the tests with `uv run pytest`")
    return found


def _run(argv: list[str], env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600
    )
    assert done.returncode == 0, f"{argv}: {done.stderr[-2000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The wheel ``uv build`` makes of this checkout, and an environment for uv under tmp."""
    work = tmp_path_factory.mktemp("distribution")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))},
        "UV_CACHE_DIR": str(work / "cache"),
        "UV_TOOL_DIR": str(work / "tools"),
        "UV_TOOL_BIN_DIR": str(work / "bin"),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
    }
    _run([_uv(), "build", "--wheel", "--out-dir", str(work / "dist")], env, ROOT)
    (built,) = (work / "dist").glob("*.whl")
    return built, env


def test_the_wheel_is_named_hephaestus_toolkit_and_holds_the_hephaestus_package(
    wheel: tuple[Path, dict[str, str]],
) -> None:
    """The distribution is ``hephaestus-toolkit``; the import package and the command are not."""
    built, _ = wheel
    assert built.name.startswith("hephaestus_toolkit-")
    with zipfile.ZipFile(built) as archive:
        names = archive.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        assert f"Name: {DISTRIBUTION}\n" in archive.read(metadata).decode()
        assert "hephaestus = hephaestus.cli:main" in archive.read(entry_points).decode()
    assert "hephaestus/cli/__init__.py" in names
    assert "hephaestus/py.typed" in names


def test_the_wheel_installs_into_a_clean_venv(
    wheel: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """``pip install``'s route: a clean venv, the wheel, then ``hephaestus --help`` runs."""
    built, env = wheel
    venv = tmp_path / "venv"
    _run([_uv(), "venv", str(venv), "--python", sys.executable], env, tmp_path)
    _run([_uv(), "pip", "install", "--python", str(venv / "bin" / "python"), str(built)],
         env, tmp_path)  # fmt: skip
    helped = _run([str(venv / "bin" / "hephaestus"), "--help"], env, tmp_path)
    assert "guard-rails" in helped.stdout
    versioned = _run([str(venv / "bin" / "hephaestus"), "--format", "json", "version"], env,
                     tmp_path)  # fmt: skip
    assert json.loads(versioned.stdout)["version"] == version(DISTRIBUTION)


def test_uv_tool_install_and_uvx_run_the_command(
    wheel: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """``uv tool install`` puts ``hephaestus`` on the tool path; ``uvx --from`` runs it."""
    built, env = wheel
    _run([_uv(), "tool", "install", str(built)], env, tmp_path)
    installed = Path(env["UV_TOOL_BIN_DIR"]) / "hephaestus"
    assert "guard-rails" in _run([str(installed), "--help"], env, tmp_path).stdout
    ran = _run([_uv(), "tool", "run", "--from", str(built), "hephaestus", "version"], env, tmp_path)
    assert ran.stdout.startswith("hephaestus: ")
