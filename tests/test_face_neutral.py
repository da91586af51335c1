"""Operations speak no face's language, and every error code they raise is documented."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path
from typing import Any

from typer.main import get_command

import hephaestus
from hephaestus.cli import app
from hephaestus.core.error_codes import ERROR_CODES
from hephaestus.core.errors import HephaestusError

SRC = Path(hephaestus.__file__).resolve().parent


def _our_flags() -> set[str]:
    """Every long flag of every hephaestus command, walked from the live command tree."""
    import typer  # noqa: PLC0415

    flags: set[str] = set()

    def walk(command: Any, ctx: typer.Context) -> None:  # noqa: ANN401  # click's objects
        for param in getattr(command, "params", []):
            flags.update(o for o in (*param.opts, *param.secondary_opts) if o.startswith("--"))
        if hasattr(command, "list_commands"):
            for name in command.list_commands(ctx):
                child = command.get_command(ctx, name)
                if child is not None:
                    walk(child, typer.Context(child, info_name=name, parent=ctx))

    root = get_command(app)
    walk(root, typer.Context(root, info_name="hephaestus"))
    return flags - {"--help"}


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """String constants and f-string parts; documentation (a bare string statement) left out."""
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


CLI_DESCRIPTIONS = {"schema.py"}
"""Modules that describe the CLI face itself (its parameters' spellings)."""


def _operation_modules() -> list[Path]:
    return [
        p
        for p in sorted(SRC.rglob("*.py"))
        if p.relative_to(SRC).parts[0] != "cli" and p.name not in CLI_DESCRIPTIONS
    ]


def test_no_flag_text_outside_the_cli() -> None:
    """A message naming one of our flags (``pass --overwrite``) lives only in ``cli/``.

    Operations name request fields (`` `overwrite` ``) and each face spells them. Exactly a
    flag (an argv element such as ``"--fix"`` handed to ruff) is not a message.
    """
    flags = _our_flags()
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(flags))) + r")(?![\w-])")
    offenders = [
        f"{path.relative_to(SRC)}:{line}: {text!r}"
        for path in _operation_modules()
        for line, text in _strings(ast.parse(path.read_text(encoding="utf-8")))
        if re.search(r"\s", text.strip()) and pattern.search(text)
    ]
    assert not offenders, "\n".join(offenders)


def _import_everything() -> None:
    for module in pkgutil.walk_packages([str(SRC)], prefix="hephaestus."):
        if module.name.startswith(("hephaestus.mcp", "hephaestus.api")):
            continue  # optional extras
        importlib.import_module(module.name)


def _error_classes() -> dict[str, type[HephaestusError]]:
    _import_everything()
    found: dict[str, type[HephaestusError]] = {}
    pending = [HephaestusError]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found


def test_every_error_code_is_documented() -> None:
    """Each class's code and each ``code=`` at a raise site is in ``ERROR_CODES``."""
    classes = _error_classes()
    codes = {cls.code for cls in classes.values()}
    for path in _operation_modules() + sorted((SRC / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name not in classes:
                continue
            codes.update(
                k.value.value
                for k in node.keywords
                if k.arg == "code"
                and isinstance(k.value, ast.Constant)
                and isinstance(k.value.value, str)
            )
    assert codes - set(ERROR_CODES) == set()
