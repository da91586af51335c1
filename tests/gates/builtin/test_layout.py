from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from hephaestus.core.proc import ProcessResult
from hephaestus.gates.builtin.layout import (
    Package,
    coverage_source_configured,
    find_tests_directory,
    is_test_file,
    mypy_configured_targets,
    python_packages,
)
from hephaestus.gates.spec import GateError, could_not_run

if TYPE_CHECKING:
    from pathlib import Path


def test_src_layout_packages_and_modules(tmp_path: Path) -> None:
    """A src/ layout yields its packages (namespace ones too) and modules, not data files."""
    files = [
        "src/demo/__init__.py",
        "src/demo/sub/x.py",
        "src/nsp/mod.py",
        "src/single.py",
        "src/README.md",
        "src/not-valid/x.py",
        "tests/test_x.py",
    ]
    assert python_packages(tmp_path, files, {}) == (
        Package("demo", "src/demo"),
        Package("nsp", "src/nsp"),
        Package("single", "src/single.py"),
    )


def test_flat_layout_leaves_out_tests_and_tooling(tmp_path: Path) -> None:
    """A flat layout yields top-level packages and modules, not tests, docs or setup.py."""
    files = [
        "pkg/__init__.py",
        "pkg/core.py",
        "tests/__init__.py",
        "docs/conf.py",
        "setup.py",
        "conftest.py",
        "tool.py",
        "test_tool.py",
        "tool_test.py",
        "data/x.py",
    ]
    assert python_packages(tmp_path, files, {}) == (
        Package("pkg", "pkg"),
        Package("tool", "tool.py"),
    )


def test_declared_hatch_packages_win(tmp_path: Path) -> None:
    """Packages hatch's wheel target lists are used when they exist on disk."""
    (tmp_path / "lib" / "demo").mkdir(parents=True)
    pyproject = {
        "tool": {"hatch": {"build": {"targets": {"wheel": {"packages": ["lib/demo", "gone"]}}}}}
    }
    found = python_packages(tmp_path, ["src/other/__init__.py"], pyproject)
    assert found == (Package("demo", "lib/demo"),)


def test_no_python_code_means_no_packages(tmp_path: Path) -> None:
    """A repository without Python files has no packages."""
    assert python_packages(tmp_path, ["README.md", "docs/index.md"], {}) == ()


@pytest.mark.parametrize(
    ("files", "expected"),
    [(["tests/test_a.py"], "tests"), (["test/x.py", "src/a.py"], "test"), (["a.py"], None)],
)
def test_find_tests_directory(files: list[str], expected: str | None) -> None:
    """The tests directory is tests/ or test/, when present."""
    assert find_tests_directory(files) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [("tests/test_a.py", True), ("a_test.py", True), ("tests/conftest.py", False),
     ("test_data.txt", False), ("src/testing.py", False)],
)  # fmt: skip
def test_is_test_file(path: str, expected: bool) -> None:
    """Test modules are named like pytest's defaults."""
    assert is_test_file(path) is expected


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("mypy.ini", "[mypy]\nfiles = src\n"),
        (".mypy.ini", "[mypy]\npackages = demo\n"),
        ("setup.cfg", "[mypy]\nfiles = src\n"),
    ],
)
def test_mypy_files_in_ini_files(tmp_path: Path, name: str, content: str) -> None:
    """Mypy's INI configuration files name its targets."""
    (tmp_path / name).write_text(content)
    assert mypy_configured_targets(tmp_path, {})


def test_mypy_ini_wins_over_pyproject(tmp_path: Path) -> None:
    """mypy.ini without files hides [tool.mypy] files, as mypy reads only the first config."""
    (tmp_path / "mypy.ini").write_text("[mypy]\nstrict = True\n")
    assert not mypy_configured_targets(tmp_path, {"tool": {"mypy": {"files": ["src"]}}})


def test_mypy_files_in_pyproject(tmp_path: Path) -> None:
    """[tool.mypy] files names the targets; a [tool.mypy] without it does not."""
    assert mypy_configured_targets(tmp_path, {"tool": {"mypy": {"files": ["src"]}}})
    assert not mypy_configured_targets(tmp_path, {"tool": {"mypy": {"strict": True}}})
    assert not mypy_configured_targets(tmp_path, {})


def test_unreadable_ini_is_a_gate_error(tmp_path: Path) -> None:
    """A malformed setup.cfg is named in the error."""
    (tmp_path / "setup.cfg").write_text("no section header\n")
    with pytest.raises(GateError, match=r"setup\.cfg"):
        mypy_configured_targets(tmp_path, {})


def test_coverage_source_configured(tmp_path: Path) -> None:
    """Coverage's source may be set in pyproject.toml, .coveragerc, setup.cfg or tox.ini."""
    assert coverage_source_configured(tmp_path, {"tool": {"coverage": {"run": {"source": ["a"]}}}})
    assert not coverage_source_configured(tmp_path, {"tool": {"coverage": {"run": {}}}})
    (tmp_path / "tox.ini").write_text("[coverage:run]\nsource_pkgs = demo\n")
    assert coverage_source_configured(tmp_path, {})


def test_could_not_run_quotes_the_last_stderr_line() -> None:
    """The error names the tool, the exit code and the last line it printed."""
    process = ProcessResult(("x",), 3, "out\n", "Traceback\nValueError: boom\n\n", 0.1)
    error = could_not_run("tool", process, "a hint")
    assert str(error) == "tool exited with code 3: ValueError: boom"
    assert error.hint == "a hint"
    silent = could_not_run("tool", ProcessResult(("x",), 3, "", "", 0.1), "h")
    assert str(silent) == "tool exited with code 3: no output"
