"""Real virtual environments for tests, made offline from the environment running the tests.

:func:`make_venv` creates a venv (no pip, in-process: a few milliseconds) and makes the named
distributions, with their runtime dependencies, importable in it by symlinking each one's
top-level packages and modules and its metadata into the venv's site-packages, where
hephaestus reads a project's installed versions (``ToolEnvironment``) as an installer would
have left them. Console scripts become launchers in ``<venv>/bin`` run by the venv's own
interpreter; other scripts (ruff's binary) are linked. Nothing else of the running environment
is importable there. Which files belong to a distribution comes from its ``RECORD``; the closure
and its file lists are computed once per session (per requested tool set).

Example::

    venv = make_venv(
        tmp_path / "repo" / ".venv", tools=["pytest", "ruff"], editable=tmp_path / "repo"
    )
    subprocess.run([venv / "bin" / "pytest", "-q"], cwd=tmp_path / "repo", check=True)

The linked files are the test environment's own. Each ``.dist-info`` is a real directory of
links without ``RECORD``, so pip and uv refuse to uninstall or upgrade a linked distribution
(which would delete its files through the links); bytecode is written next to the linked
sources, as importing them in the test environment itself does. Other writes into the linked
packages are a test's bug. Top-level ``.pth`` files of the distributions are not linked.
"""

from __future__ import annotations

import csv
import functools
import json
import os
import sysconfig
import tomllib
import venv as venv_module
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Final

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

_SCRIPTS: Final = Path(sysconfig.get_path("scripts")).resolve()
_SITE: Final = Path(sysconfig.get_path("purelib")).relative_to(sysconfig.get_path("data"))
_BIN: Final = Path(sysconfig.get_path("scripts")).relative_to(sysconfig.get_path("data"))
_MAX_SHEBANG: Final = 127
"""Longer ``#!`` lines are cut by older kernels: those launchers go through /bin/sh instead."""
_LAUNCHER: Final = """\
import re
import sys
from {module} import {name}
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit({call}())
"""


@dataclass(frozen=True)
class Linked:
    """What a set of tools brings into a venv: site-packages entries, launchers, other scripts."""

    entries: tuple[tuple[PurePosixPath, Path], ...]
    """Relative path in site-packages -> the file or directory it links to."""
    launchers: tuple[tuple[str, str, str], ...]
    """Console script name, module and attribute (``pytest``, ``_pytest.config``, ``main``)."""
    scripts: tuple[tuple[str, Path], ...]
    """Other scripts of the distributions (name -> the running environment's file)."""
    names: tuple[str, ...]
    """The normalised names of the distributions in the closure, sorted."""


def make_venv(
    path: Path,
    *,
    tools: Sequence[str] = (),
    editable: Path | None = None,
    project: str | None = None,
) -> Path:
    """Create a venv at ``path`` with ``tools`` (and what they need) importable; return ``path``.

    ``tools`` are requirement strings naming distributions installed in the running environment
    (``"pytest"``, ``"coverage[toml]"``; versions are not checked). ``editable`` is a project
    directory installed as an editable install does: a ``.pth`` naming its ``src/`` (or the
    directory itself) and, when the project has a name (``project``, else ``[project].name`` of
    its ``pyproject.toml``), a ``.dist-info`` whose ``direct_url.json`` marks it editable.

    Raises:
        LookupError: a tool or one of its dependencies is not installed here.

    """
    path = path.absolute()
    venv_module.EnvBuilder(symlinks=os.name != "nt", with_pip=False).create(path)
    site = site_packages_of(path)
    linked = closure_links(tuple(sorted(tools)))
    for relative, source in linked.entries:
        target = site / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(source, target_is_directory=source.is_dir())
    python = path / _BIN / "python"
    for name, module, attribute in linked.launchers:
        call = attribute.split(".", 1)[0]
        text = _LAUNCHER.format(module=module, name=call, call=attribute)
        _write_script(path / _BIN / name, shebang(python) + text)
    for name, source in linked.scripts:
        _link_script(path / _BIN / name, source, python)
    if editable is not None:
        install_editable(site, editable.absolute(), project=project)
    return path


@functools.cache
def closure_links(tools: tuple[str, ...]) -> Linked:
    """What to link for ``tools`` and their runtime dependencies (cached per tool set).

    Raises:
        LookupError: a tool or one of its dependencies is not installed here.

    """
    entries: dict[PurePosixPath, Path] = {}
    launchers: dict[str, tuple[str, str, str]] = {}
    scripts: dict[str, Path] = {}
    distributions = closure(tools)
    for distribution in distributions.values():
        paths, found_scripts = _record(distribution)
        tops: dict[str, list[str]] = {}
        for path in paths:
            tops.setdefault(path.partition("/")[0], []).append(path)
        for top, inside in tops.items():
            source = Path(str(distribution.locate_file(top)))
            if top == "__pycache__" or top.endswith(".pth"):
                continue  # every module's bytecode; start-up code of the test environment
            if top.endswith(".dist-info"):
                # A real directory without RECORD: pip and uv refuse to uninstall or upgrade
                # what they cannot list, so nothing run in the venv deletes through the links.
                children = (c for c in source.iterdir() if c.name != "RECORD")
                entries.update((PurePosixPath(top, c.name), c) for c in children)
            elif inside != [top] and f"{top}/__init__.py" not in paths:
                # A namespace package other distributions may add to: link this one's files.
                entries.update(
                    (PurePosixPath(f), Path(str(distribution.locate_file(f))))
                    for f in inside
                    if "/__pycache__/" not in f
                )
            else:
                entries[PurePosixPath(top)] = source
        points = distribution.entry_points
        for point in (*points.select(group="console_scripts"), *points.select(group="gui_scripts")):
            launchers[point.name] = (point.name, point.module, point.attr)
        scripts.update((n, s) for n, s in found_scripts.items() if n not in launchers)
    return Linked(
        entries=tuple(sorted(entries.items())),
        launchers=tuple(launchers[n] for n in sorted(launchers)),
        scripts=tuple(sorted(scripts.items())),
        names=tuple(sorted(distributions)),
    )


def closure(tools: Iterable[str]) -> dict[str, metadata.Distribution]:
    """The installed distributions ``tools`` need, by normalised name, following Requires-Dist.

    Markers are evaluated for the running interpreter, with each extra a requirement asks for.

    Raises:
        LookupError: a tool or one of its dependencies is not installed here.

    """
    found: dict[str, metadata.Distribution] = {}
    extras: dict[str, set[str]] = {}
    todo = [(Requirement(tool), "the caller") for tool in tools]
    while todo:
        requirement, needed_by = todo.pop()
        key = canonicalize_name(requirement.name)
        new = {"", *requirement.extras} - extras.setdefault(key, set())
        if not new:
            continue
        extras[key] |= new
        if key not in found:
            try:
                found[key] = metadata.distribution(requirement.name)
            except metadata.PackageNotFoundError:
                raise LookupError(
                    f"{requirement.name} (needed by {needed_by}) is not installed in the test "
                    "environment: add it to the dev dependencies"
                ) from None
        for text in found[key].requires or ():
            dependency = Requirement(text)
            marker = dependency.marker
            if marker is None or any(marker.evaluate({"extra": extra}) for extra in new):
                todo.append((dependency, requirement.name))  # seen before: skipped when popped
    return found


def _record(distribution: metadata.Distribution) -> tuple[set[str], dict[str, Path]]:
    """The site-packages paths in ``distribution``'s RECORD, and its scripts (name -> file).

    Raises:
        LookupError: the distribution has no RECORD, so its files cannot be known.

    """
    text = distribution.read_text("RECORD")
    if text is None:
        raise LookupError(f"{distribution.name} has no RECORD: its files cannot be known")
    paths: set[str] = set()
    scripts: dict[str, Path] = {}
    for row in csv.reader(text.splitlines()):
        if not row or not row[0]:
            continue
        if row[0].startswith("../"):
            location = Path(os.path.normpath(str(distribution.locate_file(row[0]))))
            if location.parent.resolve() == _SCRIPTS:
                scripts[location.name] = location
            continue  # other data files (man pages, shared data) are not needed to run
        paths.add(row[0])
    return paths, scripts


def shebang(python: Path) -> str:
    """The first line(s) of a launcher run by ``python``, through /bin/sh if the path is long."""
    line = f"#!{python}\n"
    if len(line) <= _MAX_SHEBANG and " " not in str(python):
        return line
    return f"#!/bin/sh\n'''exec' '{python}' \"$0\" \"$@\"\n' '''\n"


def _write_script(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)


def _link_script(path: Path, source: Path, python: Path) -> None:
    """Link a binary; copy a Python script with its ``#!`` line naming the venv's interpreter."""
    with source.open("rb") as handle:
        first = handle.readline()
    if first.startswith(b"#!") and b"python" in first:
        body = source.read_text(encoding="utf-8").partition("\n")[2]
        _write_script(path, shebang(python) + body)
    else:
        path.symlink_to(source)


def install_editable(site: Path, root: Path, *, project: str | None = None) -> None:
    """Install ``root`` into ``site`` as an editable install does: a .pth and a ``.dist-info``.

    The ``.pth`` names ``root/src`` when it exists, else ``root``. The ``.dist-info`` (METADATA,
    INSTALLER, RECORD, ``direct_url.json`` marking it editable) is written when the project has
    a name: ``project``, else ``[project].name`` of ``root/pyproject.toml``. The version is the
    static ``[project].version``, else ``0``.
    """
    source = root / "src" if (root / "src").is_dir() else root
    table: dict[str, object] = {}
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        found = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project")
        table = found if isinstance(found, dict) else {}
    name = project or table.get("name")
    stem = str(canonicalize_name(name)).replace("-", "_") if isinstance(name, str) else "project"
    pth = f"_editable_{stem}.pth"
    (site / pth).write_text(f"{source}\n", encoding="utf-8")
    if not isinstance(name, str):
        return
    version = table.get("version")
    version = version if isinstance(version, str) else "0"
    info = site / f"{stem}-{version}.dist-info"
    info.mkdir()
    files = {
        "METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        "INSTALLER": "tests.venvs\n",
        "direct_url.json": json.dumps({"url": root.as_uri(), "dir_info": {"editable": True}}),
    }
    for file, content in files.items():
        (info / file).write_text(content, encoding="utf-8")
    record = [f"{info.name}/{file},," for file in (*files, "RECORD")]
    (info / "RECORD").write_text("\n".join([*record, f"{pth},,"]) + "\n", encoding="utf-8")


def python_of(venv: Path) -> Path:
    """The interpreter of the venv at ``venv``."""
    return venv / _BIN / "python"


def site_packages_of(venv: Path) -> Path:
    """The site-packages directory of the venv at ``venv``."""
    return venv / _SITE
