"""Offline installation of a verified wheelhouse, with uv when it is on PATH, else pip.

Nothing comes from an index or the network: the installer sees only ``--find-links
<wheelhouse>`` and ``--no-index`` (uv also ``--offline`` and ``--no-config``; pip
``--isolated`` and ``PIP_CONFIG_FILE=/dev/null``, so no user, site or environment
configuration adds a source). What to install is a ``requirements.txt`` in the wheelhouse when
there is one, read as data by :mod:`hephaestus.release.requirements` and passed on as
arguments, else its top-level wheels (those no other wheel in the wheelhouse depends on),
pinned to their exact versions. An environment made by uv has no pip: uv installs into it.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from email.parser import BytesHeaderParser
from typing import TYPE_CHECKING, Final

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from hephaestus.core.errors import ExternalError, ToolNotFoundError, VerificationError, field_ref
from hephaestus.core.proc import run
from hephaestus.release.models import InstallPlan
from hephaestus.release.requirements import REQUIREMENTS, read_requirements
from hephaestus.release.wheelhouse import wheels_in

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

PIP_TIMEOUT: Final = 900.0
_LONGEST_ERROR: Final = 400
UV_KEPT: Final = frozenset({"UV_CACHE_DIR"})
"""The only ``UV_*`` variables the installer inherits; the others could name an index."""


def wheel_directory(root: Path) -> Path:
    """Return the directory of the wheelhouse holding the wheels: ``root`` or its one subdirectory.

    Raises:
        VerificationError: there is no wheel in it (exit 4: not a wheelhouse).

    """
    if wheels_in(root):
        return root
    children = [p for p in root.iterdir() if not p.name.startswith(".")]
    if len(children) == 1 and children[0].is_dir() and wheels_in(children[0]):
        return children[0]
    raise VerificationError(  # root is a staging directory: its name would mean nothing
        "the archive holds no wheel, at its top level or in its one directory",
        hint="the archive is not a wheelhouse",
        code="no-wheels",
    )


def _not_a_wheel(wheel: Path, why: str) -> VerificationError:
    return VerificationError(
        f"{wheel.name} in the wheelhouse is not a valid wheel: {why}",
        hint="the archive is not a usable wheelhouse; check it with `hephaestus wheelhouse verify`",
        code="bad-wheel",
    )


def _requires(wheel: Path) -> set[str]:
    """Canonical names this wheel depends on unconditionally of extras.

    Raises:
        VerificationError: the wheel is not a zip file (exit 4).

    """
    name = parse_wheel_filename(wheel.name)[0]
    try:
        with zipfile.ZipFile(wheel) as archive:
            metadata = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
            if not metadata:
                return set()
            headers = BytesHeaderParser().parsebytes(archive.read(metadata[0]))
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _not_a_wheel(wheel, type(exc).__name__) from exc
    needed: set[str] = set()
    for line in headers.get_all("Requires-Dist") or []:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.marker is None or "extra" not in str(requirement.marker):
            needed.add(canonicalize_name(requirement.name))
    return needed - {str(name)}


def top_level_requirements(wheels: Sequence[Path]) -> list[str]:
    """Return ``name==version`` of the wheels no other wheel here depends on."""
    required: set[str] = set()
    for wheel in wheels:
        required |= _requires(wheel)
    pins = []
    for wheel in wheels:
        name, version, *_ = parse_wheel_filename(wheel.name)
        if name not in required:
            pins.append(f"{name}=={version}")
    return sorted(set(pins)) or sorted({f"{w[0]}=={w[1]}" for w in map(_parsed, wheels)})


def _parsed(wheel: Path) -> tuple[str, str]:
    name, version, *_ = parse_wheel_filename(wheel.name)
    return str(name), str(version)


def _checked_wheels(directory: Path) -> list[Path]:
    """Return the wheels of ``directory``; refuse one whose file name is not a wheel's."""
    wheels = wheels_in(directory)
    for wheel in wheels:
        try:
            parse_wheel_filename(wheel.name)
        except InvalidWheelFilename as exc:
            raise _not_a_wheel(wheel, "its file name is not name-version-tags.whl") from exc
    return wheels


def installer_command(python: str, directory: Path) -> tuple[str, list[str]]:
    """Return the installer (``uv`` if on PATH, else ``pip``) and its offline command so far."""
    uv = shutil.which("uv")
    sources = ["--no-index", "--find-links", str(directory)]
    if uv is not None:
        return "uv", [
            uv,
            "pip",
            "install",
            "--python",
            python,
            "--no-config",
            "--offline",
            *sources,
        ]
    quiet = ["--isolated", "--no-input", "--disable-pip-version-check"]
    return "pip", [python, "-m", "pip", "install", *quiet, *sources]


def plan_install(
    wheelhouse: Path, *, python: str, pip_args: Sequence[str] = (), upgrade: bool = True
) -> InstallPlan:
    """Decide what to install from ``wheelhouse`` and the exact command, running nothing.

    Raises:
        VerificationError: no wheel, a file that is not a wheel, or a ``requirements.txt``
            that is not plain requirements met by the wheelhouse (exit 4).

    """
    directory = wheel_directory(wheelhouse)
    wheels = _checked_wheels(directory)
    requirements_file = directory / REQUIREMENTS
    if requirements_file.is_file() or requirements_file.is_symlink():
        requirements = read_requirements(requirements_file, wheels=wheels)
        source = f"requirements file {REQUIREMENTS}"
    else:
        requirements = top_level_requirements(wheels)
        source = "top-level wheels"
    installer, command = installer_command(python, directory)
    command += ["--upgrade"] if upgrade else []
    command += [*pip_args, *requirements]
    return InstallPlan(
        wheelhouse=str(directory),
        source=source,
        requirements=requirements,
        wheels=[w.name for w in wheels],
        python=python,
        installer=installer,
        command=command,
        installed=False,
    )


def installer_environment(environ: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """Return the changes to the environment that keep the installer to the wheelhouse.

    Every ``PIP_*`` and ``UV_*`` variable (but ``UV_CACHE_DIR``) is removed, as either could
    name an index or a configuration file; pip's configuration files are all skipped
    (``PIP_CONFIG_FILE=/dev/null``) and it never prompts.
    """
    env = os.environ if environ is None else environ
    changes: dict[str, str | None] = {
        name: None for name in env if name.startswith(("PIP_", "UV_"))
    }
    for name in UV_KEPT & env.keys():
        del changes[name]
    return {
        **changes,
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INPUT": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "UV_NO_CONFIG": "1",
        "UV_OFFLINE": "1",
    }


def _last_error(lines: list[str]) -> str:
    """Return the installer's last error with the lines explaining it (uv's ``cause:``)."""
    starts = [i for i, line in enumerate(lines) if line.strip().lower().startswith("error")]
    told = " ".join(line.strip() for line in lines[starts[-1] if starts else -1 :])
    return told if len(told) <= _LONGEST_ERROR else told[:_LONGEST_ERROR] + "…"


def run_install(plan: InstallPlan) -> InstallPlan:
    """Run the plan's install command; return the plan marked installed.

    Raises:
        ToolNotFoundError: the Python interpreter (or uv) does not exist (exit 5).
        ExternalError: the installer failed, its last error line in the message; or the
            environment has no pip and uv is not on PATH (exit 5).

    """
    uv = plan.installer == "uv"
    if uv and shutil.which(plan.python) is None:  # say so, as pip's path does, not uv's words
        raise ToolNotFoundError(
            f"{plan.python!r} is not installed or not on PATH",
            hint=f"{field_ref('python')} names the interpreter whose environment receives the "
            "wheels",
        )
    result = run(
        plan.command,
        timeout=PIP_TIMEOUT,
        env=installer_environment(),
        install_hint="install uv (it installs into any environment), or pip into that one",
    )
    if result.ok:
        return plan.model_copy(update={"installed": True})
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    if not uv and any("No module named pip" in ln for ln in lines):
        raise ExternalError(
            f"{plan.command[0]} has no pip, and uv is not on PATH to install without it",
            hint="put uv on PATH (a venv made by uv has no pip), or run `python -m ensurepip`"
            " with that interpreter",
            code="no-installer",
        )
    tool = "uv pip install" if uv else "pip install"
    raise ExternalError(
        f"{tool} failed (exit {result.returncode}): {_last_error(lines)}",
        hint="nothing is fetched from an index: the wheelhouse must hold every dependency",
        code="pip-failed",
    )
