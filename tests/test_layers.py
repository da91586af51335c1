"""The architecture rules of DESIGN.md §2, checked on the source: arrows point down only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "hephaestus"
UI = ("typer", "rich", "click")
FACES = ("cli", "mcp", "api")
SERVER_FRAMEWORKS = ("mcp", "fastapi", "starlette", "uvicorn", "grpc", "prometheus_client")
CLIENT_USES = {"core/otlp.py": frozenset({"grpc"})}
"""Frameworks a core module may use as a client: OTLP over gRPC sends telemetry to a collector
(imported only with ``OTEL_EXPORTER_OTLP_PROTOCOL=grpc``); it serves nothing."""


def _imports(path: Path) -> set[str]:
    """Every module name imported anywhere in ``path`` (including function-level imports)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _modules(*, exclude: tuple[str, ...] = ()) -> list[Path]:
    return [
        p
        for p in sorted(SRC.rglob("*.py"))
        if not any(p.relative_to(SRC).parts[0] == part for part in exclude)
    ]


def _top(name: str) -> str:
    return name.split(".", maxsplit=1)[0]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_nobody_imports_click(path: Path) -> None:
    """Typer ships its own click: no module imports the click package."""
    assert "click" not in {_top(n) for n in _imports(path)}


@pytest.mark.parametrize(
    "path", _modules(exclude=("cli", "__main__.py")), ids=lambda p: str(p.relative_to(SRC))
)
def test_only_the_cli_imports_the_terminal_ui(path: Path) -> None:
    """Only hephaestus.cli may import typer or rich, or the CLI itself."""
    imported = _imports(path)
    assert not {_top(n) for n in imported} & set(UI), path
    assert not any(n.startswith("hephaestus.cli") for n in imported), path


@pytest.mark.parametrize(
    "path", _modules(exclude=(*FACES, "__main__.py")), ids=lambda p: str(p.relative_to(SRC))
)
def test_operations_and_core_never_import_a_face(path: Path) -> None:
    """Operations, the registry and core import no face and no face's framework."""
    imported = _imports(path)
    allowed = CLIENT_USES.get(str(path.relative_to(SRC)), frozenset())
    assert not {_top(n) for n in imported} & set(SERVER_FRAMEWORKS) - allowed, path
    assert not any(n.startswith(tuple(f"hephaestus.{f}" for f in FACES)) for n in imported), path


@pytest.mark.parametrize("path", sorted((SRC / "core").glob("*.py")), ids=lambda p: p.name)
def test_core_imports_no_operation(path: Path) -> None:
    """core/ imports only core/ from hephaestus."""
    ours = [n for n in _imports(path) if n.startswith("hephaestus")]
    assert all(n.startswith("hephaestus.core") for n in ours), ours


@pytest.mark.parametrize("path", _modules(exclude=("cli",)), ids=lambda p: str(p.relative_to(SRC)))
def test_operations_never_print_or_exit(path: Path) -> None:
    """Library code never prints and never calls sys.exit: it returns values or raises."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            assert not (isinstance(func, ast.Name) and func.id in {"print", "exit"}), path
            assert not (
                isinstance(func, ast.Attribute)
                and func.attr == "exit"
                and isinstance(func.value, ast.Name)
                and func.value.id == "sys"
            ), path


def test_modules_stay_small() -> None:
    """No module exceeds ~400 lines (DESIGN.md §3)."""
    sizes = {p: len(p.read_text(encoding="utf-8").splitlines()) for p in _modules()}
    assert max(sizes.values()) <= 400, max(sizes, key=sizes.__getitem__)
