"""Cyclomatic complexity from Python's ``ast``: per function, and per file the sum, max and LOC.

A function's complexity is 1 plus one per decision point in its own body (nested functions and
classes are measured on their own): ``if``/``elif``, conditional expression, ``for``, ``while``,
``except`` clause, ``case`` of a ``match``, each ``for`` and ``if`` of a comprehension, and each
extra operand of ``and``/``or``. Lines of code are lines neither blank nor comment-only.
"""

from __future__ import annotations

import ast
import hashlib
from typing import TYPE_CHECKING, Any

from hephaestus.analytics.models import FileComplexity, FunctionComplexity

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from hephaestus.analytics.store import Store

_BRANCHES = (ast.If, ast.IfExp, ast.For, ast.AsyncFor, ast.While, ast.ExceptHandler, ast.match_case)
_BRANCH_SET = frozenset(_BRANCHES)
_LEAF_SET = frozenset({ast.Name, ast.Constant})


def _child_fields(kind: type[ast.AST]) -> tuple[str, ...]:
    # Fields that can hold nodes; expression contexts (Load, Store) never matter here.
    return tuple(name for name in kind._fields if name not in {"ctx", "type_comment"})


_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def _functions(tree: ast.AST) -> list[FunctionComplexity]:  # noqa: C901  # one walk: the hot loop
    """Every function with its complexity, in one walk over the tree.

    A hand-rolled walk (``ast.iter_child_nodes`` costs several times more on large trees):
    each node carries the function it belongs to, so nested scopes are measured on their own.
    """
    names: list[str] = []
    lines: list[int] = []
    counts: list[int] = []
    fields = _FIELDS
    # (node, index of the enclosing function or -1, qualified-name prefix)
    stack: list[tuple[ast.AST, int, str]] = [(tree, -1, "")]
    while stack:
        node, owner, prefix = stack.pop()
        kind = type(node)
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            name = prefix + node.name  # type: ignore[attr-defined]
            names.append(name)
            lines.append(node.lineno)  # type: ignore[attr-defined]
            counts.append(1)
            owner, prefix = len(names) - 1, name + "."
        elif kind is ast.ClassDef:
            owner, prefix = -1, prefix + node.name + "."  # type: ignore[attr-defined]
        elif owner >= 0:
            if kind in _BRANCH_SET:
                counts[owner] += 1
            elif kind is ast.BoolOp:
                counts[owner] += len(node.values) - 1  # type: ignore[attr-defined]
            elif kind is ast.comprehension:
                counts[owner] += 1 + len(node.ifs)  # type: ignore[attr-defined]
        if kind in _LEAF_SET:
            continue
        child_names = fields.get(kind)
        if child_names is None:
            child_names = fields[kind] = _child_fields(kind)
        for field_name in child_names:
            value = getattr(node, field_name, None)
            if type(value) is list:
                stack.extend((v, owner, prefix) for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append((value, owner, prefix))
    found = [
        FunctionComplexity(name=n, line=line, complexity=c)
        for n, line, c in zip(names, lines, counts, strict=True)
    ]
    return sorted(found, key=lambda f: (f.line, f.name))


def count_loc(source: str) -> int:
    """Lines that are neither blank nor comment-only."""
    return sum(1 for line in source.splitlines() if (s := line.strip()) and not s.startswith("#"))


def measure_source(path: str, source: str) -> FileComplexity:
    """Measure one module's source.

    Raises:
        SyntaxError: the source is not valid Python (also ValueError for NUL bytes).

    """
    functions = _functions(ast.parse(source, filename=path))
    return FileComplexity(
        path=path,
        total=sum(f.complexity for f in functions),
        maximum=max((f.complexity for f in functions), default=0),
        loc=count_loc(source),
        functions=tuple(functions),
    )


def measure_tree(
    root: Path, paths: Iterable[str], *, store: Store | None
) -> tuple[dict[str, FileComplexity], list[str]]:
    """Measure every file of ``paths`` (relative to ``root``) that exists and parses.

    Results are cached in ``store`` by content digest, so an unchanged file is parsed once.
    Returns the measurements and the paths that could not be read or parsed.
    """
    sources: dict[str, tuple[str, bytes]] = {}
    unreadable: list[str] = []
    for path in paths:
        try:
            data = (root / path).read_bytes()
        except OSError:
            unreadable.append(path)
            continue
        sources[path] = (hashlib.blake2b(data, digest_size=16).hexdigest(), data)
    cached = store.cached_complexity(d for d, _ in sources.values()) if store else {}
    fresh: dict[str, Any] = {}
    measured: dict[str, FileComplexity] = {}
    for path, (digest, data) in sources.items():
        known = cached.get(digest) or fresh.get(digest)
        if known is not None:
            measured[path] = FileComplexity.model_validate({**known, "path": path})
            continue
        try:
            result = measure_source(path, data.decode("utf-8"))
        except (SyntaxError, ValueError, UnicodeDecodeError):
            unreadable.append(path)
            continue
        measured[path] = result
        fresh[digest] = result.model_dump(exclude={"path"})
    if store is not None:
        store.cache_complexity(fresh)
    return measured, sorted(unreadable)
