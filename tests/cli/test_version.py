"""`hephaestus version`: one source of truth, text and JSON."""

from __future__ import annotations

import json
import platform
import sys
from importlib.metadata import version
from typing import TYPE_CHECKING

import pytest

from hephaestus.version import VersionInfo

if TYPE_CHECKING:
    from tests.conftest import Cli


def test_version_json(cli: Cli) -> None:
    """JSON output is one document with the installed version, Python and platform."""
    out = cli("--format", "json", "version")
    assert out.exit_code == 0
    info = VersionInfo.model_validate(json.loads(out.stdout))
    assert info.version == version("hephaestus")
    assert info.python == platform.python_version()
    assert info.executable == sys.executable
    assert out.stdout.count("\n") == 1


def test_version_text_is_plain_when_piped(cli: Cli) -> None:
    """Text output is aligned label/value lines without escape codes when not a terminal."""
    out = cli("version")
    assert out.exit_code == 0
    assert out.stdout.splitlines()[0] == f"hephaestus: {version('hephaestus')}"
    assert "\x1b[" not in out.stdout


def test_version_text_in_colour_when_forced(cli: Cli) -> None:
    """--color always renders with rich, escape codes included, same content."""
    out = cli("--color", "always", "version")
    assert out.exit_code == 0
    assert "\x1b[" in out.stdout
    assert version("hephaestus") in out.stdout


def test_force_color_environment(cli: Cli) -> None:
    """FORCE_COLOR turns colour on when NO_COLOR is unset; NO_COLOR wins over it."""
    coloured = cli("version", env={"NO_COLOR": None, "FORCE_COLOR": "1"})
    assert "\x1b[" in coloured.stdout
    plain = cli("version", env={"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert "\x1b[" not in plain.stdout


def test_version_module_attribute() -> None:
    """The package version is read from the installed metadata, its only source."""
    from hephaestus.core.metadata import package_version  # noqa: PLC0415

    assert package_version() == version("hephaestus")


def test_dunder_version_is_lazy_and_equal() -> None:
    """`hephaestus.__version__` is the metadata version; other attributes still fail."""
    import hephaestus  # noqa: PLC0415

    assert hephaestus.__version__ == version("hephaestus")
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = hephaestus.no_such_thing
