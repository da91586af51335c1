"""Fixtures of the release tests: the GitHub stand-in, real wheels, throw-away environments.

Imported by tests/release/conftest.py and by the CLI tests. The expensive work (an environment
with pip, the wheels) happens once per session whichever module's fixture asks first.
"""

from __future__ import annotations

import importlib.util
import io
import json
import shutil
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest
from tests.release.standin import SHARED, StandIn, start

if TYPE_CHECKING:
    from collections.abc import Iterator

SIGSTORE: Final = SHARED / "sigstore"
TRUST_ROOT: Final = SIGSTORE / "trusted_root.production.json"
BEACON_ID: Final = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
GHA_ISSUER: Final = "https://token.actions.githubusercontent.com"
TOKEN: Final = "ghp_" + "S3cr3tT0k3nF0rT3sts" * 2
"""A well-formed token; it must never appear in any output, log, report or manifest."""

PACKAGES: Final = {
    "tinylib": ("1.0", [], "VALUE = 42\n"),
    "tinyapp": ("2.1", ["tinylib==1.0"], "from tinylib import VALUE\n\nANSWER = VALUE\n"),
}


@pytest.fixture
def standin() -> Iterator[StandIn]:
    """A fresh GitHub stand-in (API + object store) on 127.0.0.1."""
    state = StandIn()
    servers = start(state)
    yield state
    state.stopped.set()
    for server in servers:
        server.shutdown()
        server.server_close()


def _run(*argv: str | Path, cwd: Path | None = None) -> None:
    done = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, check=False, cwd=cwd
    )
    assert done.returncode == 0, done.stdout + done.stderr


_ONCE: dict[str, Path] = {}


@pytest.fixture(scope="session")
def pip_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding only pip (copied from the test environment), for throw-away venvs."""
    if "pip" not in _ONCE:
        spec = importlib.util.find_spec("pip")
        assert spec is not None, "the test environment needs pip (pip-audit brings it)"
        assert spec.origin is not None
        directory = tmp_path_factory.mktemp("pip-only")
        shutil.copytree(Path(spec.origin).parent, directory / "pip")
        _ONCE["pip"] = directory
    return _ONCE["pip"]


def _uv_build(project: Path, out: Path) -> None:
    """Build ``project``'s wheel with uv and hatchling: offline from uv's cache if it can."""
    uv = shutil.which("uv")
    assert uv is not None, "the release tests build wheels with uv (uv build)"
    argv = [uv, "build", "--wheel", "--quiet", "--out-dir", str(out), str(project)]
    done = subprocess.run([*argv, "--offline"], capture_output=True, text=True, check=False)
    if done.returncode != 0:  # hatchling not cached yet: let uv fetch it once
        _run(*argv)


@pytest.fixture(scope="session")
def tiny_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real wheels of two tiny packages (tinyapp depends on tinylib), built by hatchling."""
    if "wheels" in _ONCE:
        return _ONCE["wheels"]
    base = tmp_path_factory.mktemp("tiny")
    out = base / "wheels"
    for name, (version, deps, code) in PACKAGES.items():
        project = base / name
        (project / name).mkdir(parents=True)
        (project / name / "__init__.py").write_text(code, encoding="utf-8")
        requires = ", ".join(f'"{d}"' for d in deps)
        (project / "pyproject.toml").write_text(
            '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
            f'[project]\nname = "{name}"\nversion = "{version}"\ndependencies = [{requires}]\n',
            encoding="utf-8",
        )
        _uv_build(project, out)
    (out / ".gitignore").unlink(missing_ok=True)  # uv build marks its output directory
    _ONCE["wheels"] = out
    return out


def make_tar(files: dict[str, bytes]) -> bytes:
    """A .tar.gz holding ``files`` (name -> bytes)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture(scope="session")
def wheelhouse_tar(tiny_wheels: Path) -> bytes:
    """A wheelhouse .tar.gz: both wheels in a top directory, plus OS cruft to be sanitised."""
    files = {f"wheelhouse/{w.name}": w.read_bytes() for w in sorted(tiny_wheels.glob("*.whl"))}
    files["wheelhouse/.DS_Store"] = b"\0\0\0\1Bud1"
    return make_tar(files)


def site_packages(venv: Path) -> Path:
    """The purelib directory of ``venv``."""
    relative = Path(sysconfig.get_path("purelib")).relative_to(sysconfig.get_path("data"))
    return venv / relative


@pytest.fixture
def fresh_venv(pip_only: Path, tmp_path: Path) -> Path:
    """A throw-away virtual environment whose pip is reached through a .pth.

    ``python -m venv`` with ensurepip takes ~5 s; without pip, a fraction of that. The .pth only
    puts a directory holding pip on the path, so pip installs into *this* environment (its
    sys.prefix) and, with --no-index, nothing can come from an index.
    """
    venv = tmp_path / "target-venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    (site_packages(venv) / "pip-only.pth").write_text(f"{pip_only}\n", encoding="utf-8")
    return venv


def installed(venv: Path) -> dict[str, str]:
    """Distributions installed in ``venv`` itself (name -> version)."""
    code = (
        "import importlib.metadata as m, json, sys; "
        "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions("
        "path=[p for p in sys.path if p.startswith(sys.prefix)])}))"
    )
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    )
    result: dict[str, str] = json.loads(done.stdout)
    return result
