"""`hephaestus version`: one source of truth, text and JSON."""

from __future__ import annotations

import json
import platform
import sys
from importlib.metadata import version
from typing import TYPE_CHECKING

import pytest

from hephaestus.core.metadata import DISTRIBUTION
from hephaestus.version import VersionInfo

if TYPE_CHECKING:
    from tests.conftest import Cli


def test_version_json(cli: Cli) -> None:
    """JSON output is one document with the installed version, Python and platform."""
    out = cli("--format", "json", "version")
    assert out.exit_code == 0
    info = VersionInfo.model_validate(json.loads(out.stdout))
    assert info.version == version(DISTRIBUTION)
    assert info.python == platform.python_version()
    assert info.executable == sys.executable
    assert out.stdout.count("\n") == 1


def test_version_text_is_plain_when_piped(cli: Cli) -> None:
    """Text output is aligned label/value lines without escape codes when not a terminal."""
    out = cli("version")
    assert out.exit_code == 0
    assert out.stdout.splitlines()[0] == f"hephaestus: {version(DISTRIBUTION)}"
    assert "\x1b[" not in out.stdout


def test_version_text_in_colour_when_forced(cli: Cli) -> None:
    """--color always renders with rich, escape codes included, same content."""
    out = cli("--color", "always", "version")
    assert out.exit_code == 0
    assert "\x1b[" in out.stdout
    assert version(DISTRIBUTION) in out.stdout


def test_force_color_environment(cli: Cli) -> None:
    """FORCE_COLOR turns colour on when NO_COLOR is unset; NO_COLOR wins over it."""
    coloured = cli("version", env={"NO_COLOR": None, "FORCE_COLOR": "1"})
    assert "\x1b[" in coloured.stdout
    plain = cli("version", env={"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert "\x1b[" not in plain.stdout


def test_version_module_attribute() -> None:
    """The package version is read from the installed metadata, its only source."""
    from hephaestus.core.metadata import package_version  # noqa: PLC0415

    assert package_version() == version(DISTRIBUTION)


def test_dunder_version_is_lazy_and_equal() -> None:
    """`hephaestus.__version__` is the metadata version; other attributes still fail."""
    import hephaestus  # noqa: PLC0415

    assert hephaestus.__version__ == version(DISTRIBUTION)
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = hephaestus.no_such_thing


def test_the_distribution_is_named_as_pyproject_names_it() -> None:
    """The metadata read is pyproject's ``[project].name``, not the unrelated ``hephaestus``."""
    import tomllib  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    name = tomllib.loads(pyproject.read_text())["project"]["name"]
    assert DISTRIBUTION == name == "hephaestus-toolkit"
