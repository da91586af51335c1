"""Seeded repositories: one with a problem for every built-in gate, and its fixed twin.

Both use every built-in tool but pip-audit as a real project does: declared in a dependency
group, configured (mypy's files, ruff's format table, a .yamllint).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.gitrepo import git

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"

[dependency-groups]
dev = ["mypy", "pytest", "pytest-cov", "ruff", "yamllint"]

[tool.mypy]
files = ["src", "tests"]

[tool.ruff.lint]
select = ["F", "E", "I"]

[tool.ruff.format]
quote-style = "double"

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["src"]
"""
CLEAN = {
    ".gitignore": "__pycache__/\n.coverage\n.venv/\n",
    ".yamllint": "extends: default\n",
    "pyproject.toml": PYPROJECT,
    "src/demo/__init__.py": '"""Demo package."""\n',
    "src/demo/core.py": (
        '"""Greetings."""\n\n\ndef greet(name: str) -> str:\n'
        '    """Return a greeting."""\n    return f"hello {name}"\n'
    ),
    "tests/test_core.py": (
        '"""Tests of demo.core."""\n\nfrom demo.core import greet\n\n\n'
        'def test_greets() -> None:\n    """It says hello."""\n    assert greet("x") == "hello x"\n'
    ),
    "config.yaml": "---\nkey: value\n",
}
MESSY = {
    **CLEAN,
    # Line 3: unused import (F401, safely fixable here); line 8: return-value (mypy).
    "src/demo/core.py": (
        '"""Greetings."""\n\nimport os\n\n\ndef greet(name: str) -> str:\n'
        '    """Return a greeting."""\n    return len(name)\n'
    ),
    # Formatting differs (spaces inside the braces, none after the colon).
    "src/demo/fmt.py": '"""Formatting."""\n\nVALUE = {  "a":1 }\n',
    # Never imported: all of its statements are uncovered (lines 4, 6-8).
    "src/demo/extra.py": (
        '"""Untested code."""\n\n\ndef double(value: int) -> int:\n    """Double it."""\n'
        "    if value > 0:\n        return value * 2\n    return -value\n"
    ),
    # Line 11 fails.
    "tests/test_core.py": (
        '"""Tests of demo.core."""\n\nfrom demo.core import greet\n\n\n'
        "def test_passes() -> None:\n    assert 1 + 1 == 2\n\n\ndef test_greets() -> None:\n"
        '    assert greet("x") == "hello x"\n'
    ),
    # Line 3: duplicated key (error); line 4: no space after a comma (error).
    "config.yaml": "---\nkey: value\nkey: other\nlist: [1,2]\n",
}


def build(root: Path, files: Mapping[str, str]) -> Path:
    """Create ``root`` as a committed git repository holding ``files``."""
    root.mkdir(parents=True)
    git(root, "init", "-q")
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root
