"""Read what a repository says about its tools: pyproject.toml, the lock, pre-commit pins.

Only files in the repository are read; nothing is resolved, downloaded or run. A file that is
present but malformed is a :class:`ConfigError` naming it; an absent file declares nothing.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from hephaestus.core.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator
    from pathlib import Path

PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
LOCK_FILES = (("uv.lock", "package"), ("pylock.toml", "packages"))
"""Lock files in order of preference, each with its array of package tables."""


@dataclass(frozen=True, slots=True)
class Declaration:
    """Every applicable declaration of one distribution: the intersected specifier, and where."""

    specifier: SpecifierSet
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Lock:
    """A lock file's name and the versions it locks per normalised name (several on forks)."""

    file: str
    versions: dict[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Pin:
    """One pre-commit repository: its URL as written and its ``rev`` with any leading "v" gone."""

    repo: str
    rev: str


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            return tomllib.load(stream)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name} is not valid TOML: {exc}", hint=f"fix {path}") from exc


def _table(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        data = data.get(key, {})
        if not isinstance(data, dict):
            raise ConfigError(
                f"pyproject.toml [{'.'.join(keys)}] is not a table", hint="fix pyproject.toml"
            )
    return data


def _requirement_lists(data: dict[str, Any]) -> Iterator[tuple[str, object]]:
    """Yield (label, raw list) for every table in pyproject.toml that declares requirements."""
    project = _table(data, "project")
    if "dependencies" in project:
        yield "[project] dependencies", project["dependencies"]
    for extra, items in _table(data, "project", "optional-dependencies").items():
        yield f"[project.optional-dependencies] {extra}", items
    groups = _table(data, "dependency-groups")
    for group, items in groups.items():
        yield f"[dependency-groups] {group}", items
    uv = _table(data, "tool", "uv")
    if "dev-dependencies" in uv:
        yield "[tool.uv] dev-dependencies", uv["dev-dependencies"]


def _requirements(label: str, items: object, groups: Collection[str]) -> Iterator[Requirement]:
    """Parse one list; ``{include-group = …}`` must name a group (it is read on its own)."""
    if not isinstance(items, list):
        raise ConfigError(f"pyproject.toml {label} is not a list", hint="fix pyproject.toml")
    for item in items:
        if isinstance(item, dict) and set(item) == {"include-group"}:
            if canonicalize_name(str(item["include-group"])) not in groups:
                raise ConfigError(
                    f"pyproject.toml {label} includes the unknown group {item['include-group']!r}",
                    hint="define that group in [dependency-groups]",
                )
            continue
        if not isinstance(item, str):
            raise ConfigError(
                f"pyproject.toml {label}: {item!r} is neither a requirement nor an include-group",
                hint="write a PEP 508 requirement such as 'ruff>=0.8'",
            )
        try:
            yield Requirement(item)
        except InvalidRequirement as exc:
            raise ConfigError(
                f"pyproject.toml {label}: {item!r} is not a valid requirement ({exc})",
                hint="write a PEP 508 requirement such as 'ruff>=0.8'",
            ) from exc


def read_declarations(root: Path) -> dict[str, Declaration]:
    """Return the declarations in ``root/pyproject.toml`` that apply to this interpreter.

    Raises:
        ConfigError: the file is not TOML, a table has the wrong shape, a requirement does not
            parse, or an ``include-group`` names no group.

    """
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    data = _load_toml(path)
    groups = {canonicalize_name(g) for g in _table(data, "dependency-groups")}
    found: dict[str, Declaration] = {}
    for label, items in _requirement_lists(data):
        for requirement in _requirements(label, items, groups):
            if requirement.marker is not None and not requirement.marker.evaluate():
                continue
            name = canonicalize_name(requirement.name)
            source = f"pyproject.toml {label}"
            earlier = found.get(name, Declaration(SpecifierSet(), ()))
            found[name] = Declaration(
                earlier.specifier & requirement.specifier, (*earlier.sources, source)
            )
    return found


def read_lock(root: Path) -> Lock | None:
    """Return ``uv.lock`` (else ``pylock.toml``) in ``root``, or ``None`` if there is neither.

    Raises:
        ConfigError: the lock file is not TOML or has no array of package tables.

    """
    for file, array in LOCK_FILES:
        path = root / file
        if path.is_file():
            packages = _load_toml(path).get(array, [])
            if not isinstance(packages, list):
                raise ConfigError(f"{file}: {array} is not an array of tables", hint=f"fix {path}")
            versions: dict[str, tuple[str, ...]] = {}
            for package in packages:
                if isinstance(package, dict) and "name" in package and "version" in package:
                    name = canonicalize_name(str(package["name"]))
                    versions[name] = (*versions.get(name, ()), str(package["version"]))
            return Lock(file, versions)
    return None


def normalise_repo_url(url: str) -> str:
    """Compare repository URLs case-insensitively, without a trailing ".git" or "/"."""
    url = url.strip().lower().rstrip("/")
    return url.removesuffix(".git").rstrip("/")


def read_pins(root: Path) -> dict[str, Pin]:
    """Return the pre-commit ``rev`` of each remote repository, keyed by normalised URL.

    The first entry of a repository listed twice wins; ``local`` and ``meta`` repositories
    have no ``rev`` and are skipped.

    Raises:
        ConfigError: ``.pre-commit-config.yaml`` is not YAML or not a mapping of ``repos``.

    """
    import yaml  # noqa: PLC0415  # only drift reads YAML; keep it off the import path

    path = root / PRE_COMMIT_CONFIG
    if not path.is_file():
        return {}
    try:
        # BaseLoader reads every scalar as text: an unquoted `rev: 1.10` stays "1.10", not 1.1.
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # noqa: S506  # BaseLoader builds only str, list and dict
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problem, mark = getattr(exc, "problem", None), getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise ConfigError(
            f"{PRE_COMMIT_CONFIG} is not valid YAML: {where}{problem or exc}", hint=f"fix {path}"
        ) from exc
    repos = data.get("repos", []) if isinstance(data, dict) else None
    if not isinstance(repos, list):
        raise ConfigError(
            f"{PRE_COMMIT_CONFIG} has no list of repos", hint="see https://pre-commit.com/#plugins"
        )
    pins: dict[str, Pin] = {}
    for entry in repos:
        if isinstance(entry, dict) and "repo" in entry and "rev" in entry:
            pin = Pin(str(entry["repo"]), str(entry["rev"]).removeprefix("v"))
            pins.setdefault(normalise_repo_url(pin.repo), pin)
    return pins
