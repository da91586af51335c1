"""What a repository says it uses: declared dependencies, tool configuration, pre-commit hooks.

A gate runs by default only when the checked repository uses its tool; :class:`ProjectTools` is
what the gates' ``configured`` hooks read to decide. Everything is read leniently: a file that
cannot be parsed declares nothing here (the tool itself will complain when it runs, and drift
reports malformed declarations with their own errors).
"""

from __future__ import annotations

import configparser
import contextlib
import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from packaging.utils import canonicalize_name

from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence
    from pathlib import Path

_log = get_logger(__name__)
PRE_COMMIT_CONFIG: Final = ".pre-commit-config.yaml"
_NAME: Final = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_REQUIREMENT_FILES: Final = (
    "requirements*.txt",
    "requirements*.in",
    "requirements/*.txt",
    "requirements/*.in",
    "dev-requirements*.txt",
    "test-requirements*.txt",
)
# identify's tags for the file types the gates' hooks use, by suffix (pre-commit's `types`).
_TAGS: Final = {
    ".py": {"python"},
    ".pyw": {"python"},
    ".pyi": {"pyi"},
    ".ipynb": {"jupyter"},
    ".yaml": {"yaml"},
    ".yml": {"yaml"},
    ".toml": {"toml"},
}
# The `.pre-commit-hooks.yaml` defaults of the hooks that gates read (their `types` and `args`).
HOOK_DEFAULTS: Final[dict[str, dict[str, Any]]] = {
    "mypy": {"types_or": ("python", "pyi"), "args": ("--ignore-missing-imports",)},
    "ruff": {"types_or": ("python", "pyi", "jupyter")},
    "ruff-check": {"types_or": ("python", "pyi", "jupyter")},
    "ruff-format": {"types_or": ("python", "pyi", "jupyter")},
    "yamllint": {"types": ("file", "yaml")},
    "pip-audit": {},
}


@dataclass(frozen=True, slots=True)
class Hook:
    """One hook of ``.pre-commit-config.yaml``, with the hook repository's defaults filled in."""

    repo: str
    id: str
    args: tuple[str, ...] = ()
    files: str = ""
    exclude: str = "^$"
    types: tuple[str, ...] = ("file",)
    types_or: tuple[str, ...] = ()
    exclude_types: tuple[str, ...] = ()

    def select(self, files: Iterable[str]) -> list[str]:
        """Return the ``files`` pre-commit would pass to this hook (its files/exclude/types)."""
        try:
            include, exclude = re.compile(self.files), re.compile(self.exclude)
        except re.error:
            return []
        chosen = []
        for path in files:
            tags = {"file", "text", *_TAGS.get(posixpath.splitext(path)[1], ())}
            if not include.search(path) or exclude.search(path):
                continue
            if not set(self.types) <= tags or (self.types_or and not tags & set(self.types_or)):
                continue
            if tags & set(self.exclude_types):
                continue
            chosen.append(path)
        return chosen


def _strings(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _read_hooks(root: Path) -> tuple[Hook, ...]:
    """Every hook in ``.pre-commit-config.yaml`` (none if it is absent or malformed)."""
    path = root / PRE_COMMIT_CONFIG
    if not path.is_file():
        return ()
    import yaml  # noqa: PLC0415  # only when the repository has a pre-commit configuration

    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # noqa: S506  # BaseLoader builds only str, list and dict
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        _log.warning(Event.CONFIG_IGNORED, file=PRE_COMMIT_CONFIG, error=str(exc).splitlines()[0])
        return ()
    repos = data.get("repos") if isinstance(data, dict) else None
    hooks: list[Hook] = []
    for repo in repos if isinstance(repos, list) else ():
        if not isinstance(repo, dict):
            continue
        hooks.extend(
            _hook(str(repo.get("repo", "")), hook)
            for hook in repo.get("hooks") or ()
            if isinstance(hook, dict) and isinstance(hook.get("id"), str)
        )
    return tuple(hooks)


def _hook(repo: str, hook: Mapping[str, object]) -> Hook:
    defaults = HOOK_DEFAULTS.get(str(hook["id"]), {})
    fields: dict[str, Any] = {"repo": repo, "id": str(hook["id"]), **defaults}
    for key in ("args", "types", "types_or", "exclude_types"):
        if key in hook:
            fields[key] = _strings(hook[key])
    for key in ("files", "exclude"):
        if isinstance(hook.get(key), str):
            fields[key] = hook[key]
    return Hook(**fields)


def _requirement_names(items: object) -> Iterator[str]:
    for item in items if isinstance(items, list) else ():
        if isinstance(item, str) and (match := _NAME.match(item)):
            yield match.group(1)


def nested_table(data: Mapping[str, object], *keys: str) -> Mapping[str, object]:
    """Return the nested table at ``keys`` ({} if any level is missing or not a table)."""
    for key in keys:
        found = data.get(key)
        if not isinstance(found, dict):
            return {}
        data = found
    return data


def _declared_in_pyproject(pyproject: Mapping[str, object]) -> Iterator[str]:
    """Names in every requirement list a packaging tool keeps in pyproject.toml."""
    project = nested_table(pyproject, "project")
    yield from _requirement_names(project.get("dependencies"))
    for items in nested_table(pyproject, "project", "optional-dependencies").values():
        yield from _requirement_names(items)
    for items in nested_table(pyproject, "dependency-groups").values():
        yield from _requirement_names(items)
    yield from _requirement_names(nested_table(pyproject, "tool", "uv").get("dev-dependencies"))
    for items in nested_table(pyproject, "tool", "pdm", "dev-dependencies").values():
        yield from _requirement_names(items)
    for env in nested_table(pyproject, "tool", "hatch", "envs").values():
        if isinstance(env, dict):
            yield from _requirement_names(env.get("dependencies"))
            yield from _requirement_names(env.get("extra-dependencies"))
    poetry = nested_table(pyproject, "tool", "poetry")
    yield from nested_table(poetry, "dependencies")
    yield from nested_table(poetry, "dev-dependencies")
    for group in nested_table(poetry, "group").values():
        if isinstance(group, dict):
            yield from nested_table(group, "dependencies")


def _declared_in_files(root: Path) -> Iterator[str]:
    """Names in the repository's requirements files (``-r`` and option lines skipped)."""
    for pattern in _REQUIREMENT_FILES:
        for path in sorted(root.glob(pattern)):
            with contextlib.suppress(OSError, UnicodeDecodeError):
                lines = path.read_text(encoding="utf-8").splitlines()
                yield from _requirement_names(
                    [line for line in lines if not line.lstrip().startswith(("-", "#"))]
                )


@dataclass(frozen=True)
class ProjectTools:
    """What the checked repository declares, configures and hooks: read once per run."""

    root: Path
    pyproject: Mapping[str, object] = field(default_factory=dict)
    declared: frozenset[str] = frozenset()
    """Canonical names of every distribution the repository declares anywhere."""
    hooks: tuple[Hook, ...] = ()

    @classmethod
    def read(cls, root: Path, pyproject: Mapping[str, object]) -> ProjectTools:
        """Read the repository at ``root`` (``pyproject`` is its parsed pyproject.toml)."""
        names = [*_declared_in_pyproject(pyproject), *_declared_in_files(root)]
        declared = frozenset(canonicalize_name(n) for n in names)
        return cls(root, pyproject, declared, _read_hooks(root))

    def declares(self, *names: str) -> bool:
        """Whether any of ``names`` is declared as a dependency (any group, extra or file)."""
        return any(canonicalize_name(n) in self.declared for n in names)

    def hook(self, *ids: str) -> Hook | None:
        """Return the first pre-commit hook with one of ``ids``, or ``None``."""
        return next((h for h in self.hooks if h.id in ids), None)

    def has_table(self, *keys: str) -> bool:
        """Whether pyproject.toml has the table ``keys`` (``"tool", "ruff"``)."""
        return bool(nested_table(self.pyproject, *keys)) or _has_key(self.pyproject, keys)

    def has_file(self, *names: str) -> bool:
        """Whether the root holds one of the files ``names``."""
        return any((self.root / name).is_file() for name in names)

    def has_section(self, name: str, sections: Sequence[str]) -> bool:
        """Whether the INI file ``name`` at the root has one of ``sections``."""
        path = self.root / name
        if not path.is_file():
            return False
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            return False
        return any(parser.has_section(s) for s in sections)

    def uses(
        self,
        *,
        distribution: str,
        tables: Sequence[tuple[str, ...]] = (),
        files: Sequence[str] = (),
        hooks: Sequence[str] = (),
        sections: Mapping[str, Sequence[str]] | None = None,
    ) -> bool:
        """Whether the repository uses a tool: declares, configures or hooks it."""
        return (
            self.declares(distribution)
            or any(self.has_table(*keys) for keys in tables)
            or self.has_file(*files)
            or self.hook(*hooks) is not None
            or any(self.has_section(name, s) for name, s in (sections or {}).items())
        )


def _has_key(data: Mapping[str, object], keys: Sequence[str]) -> bool:
    """Whether the nested key exists even if its table is empty (``[tool.ruff]`` alone)."""
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return False
        data = data[key]
    return True


def without(args: Sequence[str], dropped: Sequence[str]) -> tuple[str, ...]:
    """Return ``args`` without the flags in ``dropped`` (bare or ``--flag=value``)."""
    return tuple(a for a in args if a.split("=", 1)[0] not in dropped)
