"""Offline installation of a verified wheelhouse: ``python -m pip install --no-index``.

Nothing comes from an index: pip sees only ``--find-links <wheelhouse>``. What to install is a
``requirements.txt`` in the wheelhouse when there is one, else its top-level wheels (those no
other wheel in the wheelhouse depends on), pinned to their exact versions.
"""

from __future__ import annotations

import zipfile
from email.parser import BytesHeaderParser
from typing import TYPE_CHECKING, Final

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from hephaestus.core.errors import ExternalError, VerificationError
from hephaestus.core.proc import run
from hephaestus.release.models import InstallPlan
from hephaestus.release.wheelhouse import wheels_in

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

REQUIREMENTS: Final = "requirements.txt"
PIP_TIMEOUT: Final = 900.0


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


def _requires(wheel: Path) -> set[str]:
    """Canonical names this wheel depends on unconditionally of extras."""
    name = parse_wheel_filename(wheel.name)[0]
    with zipfile.ZipFile(wheel) as archive:
        metadata = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        if not metadata:
            return set()
        headers = BytesHeaderParser().parsebytes(archive.read(metadata[0]))
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


def plan_install(
    wheelhouse: Path, *, python: str, pip_args: Sequence[str] = (), upgrade: bool = True
) -> InstallPlan:
    """Decide what to install from ``wheelhouse`` and the exact pip command, running nothing."""
    directory = wheel_directory(wheelhouse)
    wheels = wheels_in(directory)
    requirements_file = directory / REQUIREMENTS
    command = [python, "-m", "pip", "install", "--no-index", "--find-links", str(directory)]
    command += ["--upgrade"] if upgrade else []
    command += list(pip_args)
    if requirements_file.is_file():
        lines = requirements_file.read_text(encoding="utf-8").splitlines()
        requirements = [s for s in (x.split("#")[0].strip() for x in lines) if s]
        source = f"requirements file {REQUIREMENTS}"
        command += ["--requirement", str(requirements_file)]
    else:
        requirements = top_level_requirements(wheels)
        source = "top-level wheels"
        command += requirements
    return InstallPlan(
        wheelhouse=str(directory),
        source=source,
        requirements=requirements,
        wheels=[w.name for w in wheels],
        command=command,
        installed=False,
    )


def run_install(plan: InstallPlan) -> InstallPlan:
    """Run the plan's pip command; return the plan marked installed.

    Raises:
        ToolNotFoundError: the Python interpreter does not exist (exit 5).
        ExternalError: pip failed; its last error line is in the message (exit 5).

    """
    result = run(
        plan.command,
        timeout=PIP_TIMEOUT,
        env={"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"},
        install_hint="install pip into that environment (python -m ensurepip)",
    )
    if not result.ok:
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        last = next((ln for ln in reversed(lines) if "ERROR" in ln), lines[-1] if lines else "")
        raise ExternalError(
            f"pip install failed (exit {result.returncode}): {last.strip()}",
            hint="nothing is fetched from an index: the wheelhouse must hold every dependency",
            code="pip-failed",
        )
    return plan.model_copy(update={"installed": True})
