"""A realistic repository to clean: git, caches, build outputs, venvs, node_modules."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from tests.gitrepo import git

if TYPE_CHECKING:
    from pathlib import Path


def make(root: Path, files: dict[str, str]) -> None:
    """Create ``files`` (relative path -> content) under ``root``."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


TREE = {
    "pyproject.toml": '[project]\nname = "demo"\n',
    "src/demo/__init__.py": "",
    "src/demo/__pycache__/__init__.cpython-311.pyc": "bytecode",
    "src/demo/build/__init__.py": "# a committed package named build\n",
    "src/demo/build/__pycache__/x.pyc": "bytecode",
    "src/stray.pyc": "x",
    "src/stray.pyo": "x",
    ".pytest_cache/v/cache/lastfailed": "{}",
    ".mypy_cache/3.11/x.json": "{}",
    ".tox/py311/pyvenv.cfg": "home = /usr\n",
    ".tox/py311/lib/x.py": "",
    "build/lib/demo/__init__.py": "",
    "dist/demo-1.0-py3-none-any.whl": "wheel",
    "demo.egg-info/PKG-INFO": "Metadata-Version: 2.1\n",
    ".coverage": "sqlite",
    ".coverage.host.1.2": "sqlite",
    "coverage.xml": "<coverage/>",
    "htmlcov/index.html": "<html/>",
    ".DS_Store": "x",
    "._resource": "x",
    "Icon\r": "",
    "Iconic.txt": "not cruft",
    "docs/build/index.html": "no project marker beside this build/",
    "env-3.12/pyvenv.cfg": "home = /usr\n",
    "env-3.12/lib/python3.12/site-packages/pip/_internal/operations/build/x.py": "",
    "env-3.12/lib/python3.12/site-packages/pip/__pycache__/x.pyc": "",
    "conda/conda-meta/history": "",
    "conda/pkgs/__pycache__/x.pyc": "",
    "node_modules/pkg/__pycache__/x.pyc": "",
    "node_modules/pkg/index.js": "",
    ".hephaestus/cache/x.pyc": "",
}
TRACKED = ["pyproject.toml", "src/demo/__init__.py", "src/demo/build/__init__.py"]


def build_repository(root: Path) -> Path:
    """Create ``root`` as a committed repository with every kind of debris and every trap."""
    root.mkdir()
    git(root, "init", "-q")
    make(root, TREE)
    git(root, "add", *TRACKED)
    git(root, "commit", "-q", "-m", "initial")
    return root


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed repository with every kind of debris and every trap."""
    return build_repository(tmp_path / "repo")
