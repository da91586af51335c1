"""The install flow's own rules: requirements files, overwrite, pip failures, nothing left."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from tests.release.fixtures import installed, make_tar

from hephaestus.core.errors import ExternalError, UsageError, VerificationError
from hephaestus.release.flow import InstallOptions, install_release, with_tag
from hephaestus.release.github import GitHub
from hephaestus.release.install import plan_install, top_level_requirements

if TYPE_CHECKING:
    from tests.release.standin import StandIn

ARCHIVE = "house.tar.gz"
NO_PYTHON = "no-such-python"
"""The interpreter of flows that must stop before pip: never the one running the tests, whose
environment an install would change; a flow that wrongly got that far fails instead."""


def _publish(standin: StandIn, files: dict[str, bytes]) -> bytes:
    data = make_tar(files)
    manifest = f"{hashlib.sha256(data).hexdigest()}  {ARCHIVE}\n".encode()
    standin.add_release("v1", {ARCHIVE: data, f"{ARCHIVE}.sha256": manifest})
    return data


def _wheels(tiny_wheels: Path, *names: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in tiny_wheels.glob("*.whl") if p.name.startswith(names)}


def _options(
    standin: StandIn, destination: Path, python: Path | str, **extra: object
) -> InstallOptions:
    return InstallOptions(
        repository=standin.repository,
        destination=destination,
        python=str(python),
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def destination(tmp_path: Path) -> Path:
    """An empty destination."""
    path = tmp_path / "dest"
    path.mkdir()
    return path


def test_requirements_file_decides_what_is_installed(
    standin: StandIn, tiny_wheels: Path, fresh_venv: Path, destination: Path
) -> None:
    """With requirements.txt in the wheelhouse only what it names (and its needs) installs."""
    files = _wheels(tiny_wheels, "tinyapp", "tinylib")
    files["requirements.txt"] = b"# only the library\ntinylib==1.0\n"
    _publish(standin, files)
    with GitHub(api_url=standin.api_url) as github:
        report = install_release(
            github, options=_options(standin, destination, fresh_venv / "bin" / "python")
        )
    assert report.install is not None
    assert report.install.source == "requirements file requirements.txt"
    assert report.install.requirements == ["tinylib==1.0"]
    assert installed(fresh_venv) == {"tinylib": "1.0"}


def test_pip_failure_keeps_the_verified_archive_and_restores_the_old_wheelhouse(
    standin: StandIn, tiny_wheels: Path, fresh_venv: Path, destination: Path
) -> None:
    """A dependency missing: exit 5, the old wheelhouse back, the verified archive kept.

    Nothing comes from an index, so the install fails; the hint says where the archive is.
    """
    data = _publish(standin, _wheels(tiny_wheels, "tinyapp"))
    old = destination / "house"
    old.mkdir()
    (old / "marker").write_text("previous", encoding="utf-8")
    options = _options(standin, destination, fresh_venv / "bin" / "python", overwrite=True)
    with GitHub(api_url=standin.api_url) as github, pytest.raises(ExternalError) as info:
        install_release(github, options=options)
    assert info.value.code == "pip-failed"
    assert "tinylib" in info.value.message
    assert f"the verified archive is kept at {destination / ARCHIVE}" in (info.value.hint or "")
    assert sorted(p.name for p in destination.iterdir()) == ["house", ARCHIVE]
    assert (destination / ARCHIVE).read_bytes() == data
    assert (old / "marker").read_text(encoding="utf-8") == "previous"
    assert installed(fresh_venv) == {}


def test_existing_wheelhouse_needs_overwrite(
    standin: StandIn, tiny_wheels: Path, destination: Path
) -> None:
    """An existing target is refused (exit 2) before anything is downloaded."""
    _publish(standin, _wheels(tiny_wheels, "tinylib"))
    (destination / "house").mkdir()
    options = _options(standin, destination, destination.parent / NO_PYTHON)
    with (
        GitHub(api_url=standin.api_url) as github,
        pytest.raises(UsageError, match="already exists"),
    ):
        install_release(github, options=options)
    assert not standin.requests("objects")


def test_overwrite_and_remove_archive(
    standin: StandIn, tiny_wheels: Path, fresh_venv: Path, destination: Path
) -> None:
    """--overwrite replaces the old wheelhouse; --remove-archive keeps no archive."""
    _publish(standin, _wheels(tiny_wheels, "tinylib"))
    (destination / "house").mkdir()
    (destination / "house" / "stale.whl").write_bytes(b"")
    options = _options(
        standin, destination, fresh_venv / "bin" / "python", overwrite=True, remove_archive=True
    )
    with GitHub(api_url=standin.api_url) as github:
        report = install_release(github, options=options)
    assert report.archive is None
    assert sorted(p.name for p in destination.iterdir()) == ["house"]
    assert [p.name for p in (destination / "house").iterdir()] == [
        "tinylib-1.0-py2.py3-none-any.whl"
    ]
    assert installed(fresh_venv) == {"tinylib": "1.0"}


def test_no_wheels_is_refused(standin: StandIn, destination: Path) -> None:
    """An archive with no wheel is not a wheelhouse: exit 4, nothing left."""
    _publish(standin, {"README": b"hello"})
    with (
        GitHub(api_url=standin.api_url) as github,
        pytest.raises(VerificationError, match="holds no wheel"),
    ):
        install_release(
            github, options=_options(standin, destination, destination.parent / NO_PYTHON)
        )
    assert list(destination.iterdir()) == []


def test_top_level_and_plan(tiny_wheels: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only wheels no other wheel needs are named; the command never reaches an index."""
    wheels = sorted(tiny_wheels.glob("*.whl"))
    assert top_level_requirements(wheels) == ["tinyapp==2.1"]
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))  # pip: no uv on PATH
    plan = plan_install(tiny_wheels, python="py", pip_args=("--no-deps",), upgrade=False)
    assert plan.installer == "pip"
    assert plan.command[:10] == [
        "py",
        "-m",
        "pip",
        "install",
        "--isolated",
        "--no-input",
        "--disable-pip-version-check",
        "--no-index",
        "--find-links",
        str(tiny_wheels),
    ]
    assert "--upgrade" not in plan.command
    assert plan.command[-2:] == ["--no-deps", "tinyapp==2.1"]


def test_identity_names_the_tag(tmp_path: Path) -> None:
    """'{tag}' in the pinned identity becomes the release's tag; other identities stay."""
    options = InstallOptions(
        repository="o/r",
        destination=tmp_path,
        python="python",
        identity="https://github.com/o/r/.github/workflows/release.yml@refs/tags/{tag}",
    )
    assert with_tag(options, "v1.2.0").identity == (
        "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.2.0"
    )
    plain = InstallOptions(repository="o/r", destination=tmp_path, python="p", identity="x")
    assert with_tag(plain, "v1") is plain
