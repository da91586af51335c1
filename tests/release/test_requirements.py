"""A wheelhouse's requirements.txt is data: plain requirements met by its wheels, or exit 4.

Hostile lines are drawn from every way a requirements file makes pip reach beyond the wheelhouse
(options, URL and path requirements, other files, loose versions, hidden characters) and hidden
among valid lines; each is refused naming its line, and nothing is installed or fetched.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import string
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.release.fixtures import installed, make_tar

from hephaestus.core.errors import ExitCode, ExternalError, VerificationError
from hephaestus.release.flow import InstallOptions, install_release
from hephaestus.release.github import GitHub
from hephaestus.release.install import installer_environment, plan_install
from hephaestus.release.requirements import read_requirements

if TYPE_CHECKING:
    from tests.conftest import Cli
    from tests.release.standin import StandIn

ARCHIVE = "house.tar.gz"
WHEEL_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
URL = st.sampled_from(
    ["http://127.0.0.1:9/simple", "https://evil.example/wheels/", "file:///tmp/w", "./local"]
)
SPACE = st.sampled_from([" ", "  ", "\t", "="])


@st.composite
def option_lines(draw: st.DrawFn) -> str:
    """A line that is an option of pip's requirements-file language."""
    option = draw(
        st.sampled_from(
            [
                "--find-links",
                "-f",
                "--index-url",
                "-i",
                "--extra-index-url",
                "--trusted-host",
                "-e",
                "--editable",
                "-r",
                "--requirement",
                "-c",
                "--constraint",
                "--no-index",
                "--pre",
                "--prefer-binary",
                "--only-binary",
                "--use-feature",
                "--config-settings",
                "--hash",
            ]
        )
    )
    separator = " " if option.startswith("-") and not option.startswith("--") else draw(SPACE)
    return f"{option}{separator}{draw(URL)}"


@st.composite
def hostile_requirements(draw: st.DrawFn) -> str:
    """A line that looks like a requirement but fetches, builds or loosens something."""
    return draw(
        st.sampled_from(
            [
                "tinylib @ {url}",
                "{url}",
                "tinylib-1.0-py2.py3-none-any.whl",
                "./tinylib",
                "/srv/tinylib-1.0.tar.gz",
                "git+https://github.com/o/tinylib",
                "tinylib==1.0 --index-url {url}",
                "tinylib==1.0 -f {url}",
                "tinylib==1.0 --global-option=x",
                "tinylib==1.0 --config-settings=x=y",
                "tinylib==1.0 --hash=md5:0123456789abcdef",
                "tinylib==1.0 --hash=sha256:" + "0" * 64,
                "tinylib==1.0 --hash",
                "tinylib>=1.0",
                "tinylib~=1.0",
                "tinylib==1.*",
                "tinylib!=2.0",
                "tinylib===1.0",
                "tinylib==1.0,==1.0",
                "tinylib==9.9",
                "unknown-package==1.0",
                "unknown-package",
                "${PACKAGE}==1.0",
                "tinylib[extra",
            ]
        )
    ).replace("{url}", draw(URL))


@st.composite
def hidden_lines(draw: st.DrawFn) -> str:
    """A valid line with a control or format character inside: it could hide another line."""
    hidden = draw(
        st.sampled_from(["\x00", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u200b", "\r", "\x1b"])
    )
    return f"tinylib==1.0{hidden}--find-links {draw(URL)}"


VALID = [
    "tinylib==1.0",
    "tinylib == 1.0",
    "TinyLib==1.0.0",
    "tinylib",
    "tinyapp==2.1",
    "tinyapp[extra]==2.1",
    'tinylib==1.0 ; python_version >= "3"',
    "tinylib==1.0 # pinned",
    "# a comment",
    "   ",
    "",
]


@WHEEL_SETTINGS
@given(
    before=st.lists(st.sampled_from(VALID), max_size=5),
    after=st.lists(st.sampled_from(VALID), max_size=5),
    hostile=option_lines() | hostile_requirements() | hidden_lines(),
    continued=st.booleans(),
)
def test_every_hostile_line_is_refused_naming_it(
    tiny_wheels: Path,
    tmp_path_factory: pytest.TempPathFactory,
    before: list[str],
    after: list[str],
    hostile: str,
    continued: bool,
) -> None:
    """A hostile line among valid ones: VerificationError (exit 4) naming its line number."""
    if continued and " " in hostile.strip():  # split across a backslash continuation
        head, _, tail = hostile.partition(" ")
        hostile = f"{head} \\\n{tail}"
    text = "\n".join([*before, hostile, *after]) + "\n"
    path = tmp_path_factory.mktemp("req") / "requirements.txt"
    path.write_text(text, encoding="utf-8", newline="")
    with pytest.raises(VerificationError) as info:
        read_requirements(path, wheels=sorted(tiny_wheels.glob("*.whl")))
    assert info.value.exit_code == ExitCode.VERIFICATION
    assert info.value.code == "requirements-refused"
    line = re.match(r"requirements\.txt line (\d+): ", info.value.message)
    assert line is not None, info.value.message
    assert int(line.group(1)) == len(before) + 1


@WHEEL_SETTINGS
@given(
    data=st.binary(min_size=1, max_size=40).filter(lambda b: not _utf8(b)),
    before=st.lists(st.sampled_from(VALID[:5]), max_size=3),
)
def test_a_file_that_is_not_utf8_is_refused_naming_the_line(
    tiny_wheels: Path, tmp_path_factory: pytest.TempPathFactory, data: bytes, before: list[str]
) -> None:
    """Bytes that are not UTF-8 anywhere: exit 4 naming the line they are on, not a crash."""
    path = tmp_path_factory.mktemp("req") / "requirements.txt"
    path.write_bytes("".join(f"{line}\n" for line in before).encode() + data)
    with pytest.raises(VerificationError, match=r"requirements\.txt line \d+: not UTF-8") as info:
        read_requirements(path, wheels=sorted(tiny_wheels.glob("*.whl")))
    number = int(re.findall(r"line (\d+)", info.value.message)[0])
    assert number == len(before) + 1 + data[: _first_bad(data)].count(b"\n")


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _first_bad(data: bytes) -> int:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return len(data)


@WHEEL_SETTINGS
@given(lines=st.lists(st.sampled_from(VALID), max_size=8), bom=st.booleans(), crlf=st.booleans())
def test_plain_requirements_met_by_the_wheelhouse_pass_normalised(
    tiny_wheels: Path,
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[str],
    bom: bool,
    crlf: bool,
) -> None:
    """Valid lines (comments, blanks, extras, markers, a BOM, CRLF) pass, normalised."""
    path = tmp_path_factory.mktemp("req") / "requirements.txt"
    newline = "\r\n" if crlf else "\n"
    path.write_text(("\ufeff" if bom else "") + newline.join(lines), encoding="utf-8", newline="")
    got = read_requirements(path, wheels=sorted(tiny_wheels.glob("*.whl")))
    expected = [line.split("#")[0].strip() for line in lines]
    assert len(got) == len([line for line in expected if line])
    assert all(not r.startswith("-") for r in got)


def test_hashes_that_match_are_accepted(tiny_wheels: Path, tmp_path: Path) -> None:
    """--hash lines (pip-compile's style, continued over lines) pass when the wheel matches."""
    wheel = next(tiny_wheels.glob("tinylib-*.whl"))
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    path = tmp_path / "requirements.txt"
    path.write_text(
        f"tinylib==1.0 \\\n    --hash=sha256:{'f' * 64} \\\n    --hash sha256:{digest}\n",
        encoding="utf-8",
    )
    assert read_requirements(path, wheels=[wheel]) == ["tinylib==1.0"]


def _publish(standin: StandIn, files: dict[str, bytes]) -> None:
    data = make_tar(files)
    manifest = f"{hashlib.sha256(data).hexdigest()}  {ARCHIVE}\n".encode()
    standin.add_release("v1", {ARCHIVE: data, f"{ARCHIVE}.sha256": manifest})


def _wheels(tiny_wheels: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in tiny_wheels.glob("*.whl")}


@pytest.mark.parametrize(
    "line",
    [
        "--find-links {url}",
        "--index-url {url}",
        "--extra-index-url {url}",
        "-e {url}",
        "tinylib @ {url}/tinylib-1.0-py3-none-any.whl",
        "-r other.txt",
        "--trusted-host 127.0.0.1",
    ],
)
def test_a_wheelhouse_pointing_elsewhere_exits_4_and_fetches_nothing(
    cli: Cli, standin: StandIn, tiny_wheels: Path, fresh_venv: Path, tmp_path: Path, line: str
) -> None:
    """The CLI refuses the archive (exit 4, the line named), installs and fetches nothing."""
    files = _wheels(tiny_wheels)
    files["requirements.txt"] = f"tinyapp==2.1\n{line.format(url=standin.objects_url)}\n".encode()
    files["other.txt"] = f"--find-links {standin.objects_url}\n".encode()
    _publish(standin, files)
    (tmp_path / "dest").mkdir()
    before = len(standin.requests("objects"))
    out = cli(
        "release", "install", "--repository", standin.repository, "--api-url", standin.api_url,
        "--destination", str(tmp_path / "dest"), "--python", str(fresh_venv / "bin" / "python"),
    )  # fmt: skip
    assert out.exit_code == ExitCode.VERIFICATION, out.stderr
    assert out.stderr.startswith("error: requirements.txt line 2: ")
    assert installed(fresh_venv) == {}
    fetched = standin.requests("objects")[before:]
    assert all("/blob/" in r.path for r in fetched)  # the release's own assets, nothing else
    assert list((tmp_path / "dest").iterdir()) == []


def test_the_installer_environment_names_no_other_source() -> None:
    """PIP_* and UV_* variables are removed (but the uv cache), pip reads no config file."""
    changes = installer_environment(
        {
            "PIP_INDEX_URL": "http://x",
            "PIP_FIND_LINKS": "http://x",
            "UV_INDEX_URL": "http://x",
            "UV_FIND_LINKS": "http://x",
            "UV_CACHE_DIR": "/cache",
            "PATH": "/bin",
        }
    )
    assert changes["PIP_INDEX_URL"] is None
    assert changes["PIP_FIND_LINKS"] is None
    assert changes["UV_INDEX_URL"] is None
    assert changes["UV_FIND_LINKS"] is None
    assert "UV_CACHE_DIR" not in changes
    assert "PATH" not in changes
    assert changes["PIP_CONFIG_FILE"] == os.devnull
    assert changes["PIP_NO_INPUT"] == "1"


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_configured_indexes_and_find_links_are_ignored(
    standin: StandIn,
    tiny_wheels: Path,
    fresh_venv: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    installer: str,
) -> None:
    """Indexes and find-links from the environment and config files never reach the installer.

    The wheelhouse lacks tinylib; every configured source names a server that has it. The
    install must fail (exit 5) without a single request to that server.
    """
    elsewhere = f"{standin.objects_url}/simple/"
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "UV_INDEX_URL"):
        monkeypatch.setenv(name, elsewhere)
    monkeypatch.setenv("UV_FIND_LINKS", elsewhere)
    monkeypatch.setenv("UV_EXTRA_INDEX_URL", elsewhere)
    config = tmp_path / "config"
    (config / "pip").mkdir(parents=True)
    (config / "pip" / "pip.conf").write_text(f"[global]\nfind-links = {elsewhere}\n")
    (config / "uv").mkdir()
    (config / "uv" / "uv.toml").write_text(f'find-links = ["{elsewhere}"]\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    if installer == "pip":
        monkeypatch.setenv("PATH", str(Path(sys.executable).parent))  # no uv there
        assert shutil.which("uv") is None
    files = {k: v for k, v in _wheels(tiny_wheels).items() if k.startswith("tinyapp")}
    _publish(standin, files)
    options = InstallOptions(
        repository=standin.repository,
        destination=tmp_path / "dest",
        create_destination=True,
        python=str(fresh_venv / "bin" / "python"),
    )
    with GitHub(api_url=standin.api_url) as github, pytest.raises(ExternalError) as info:
        install_release(github, options=options)
    assert info.value.code == "pip-failed"
    assert "tinylib" in info.value.message
    assert not [r for r in standin.requests("objects") if "/simple" in r.path]
    assert installed(fresh_venv) == {}


def test_the_plan_passes_requirements_as_arguments(tiny_wheels: Path, tmp_path: Path) -> None:
    """The installer never reads the file: its requirements are arguments, normalised."""
    house = tmp_path / "house"
    shutil.copytree(tiny_wheels, house)
    (house / "requirements.txt").write_text("TinyLib == 1.0  # the library\n", encoding="utf-8")
    plan = plan_install(house, python="py")
    assert plan.requirements == ["TinyLib==1.0"]
    assert plan.command[-1] == "TinyLib==1.0"
    assert "--requirement" not in plan.command
    assert "-r" not in plan.command
    assert str(house / "requirements.txt") not in plan.command
    assert set(string.whitespace).isdisjoint(plan.command[-1])


@pytest.mark.parametrize("target", ["elsewhere.txt", "missing.txt"])
def test_a_symlinked_requirements_file_is_refused(
    tiny_wheels: Path, tmp_path: Path, target: str
) -> None:
    """requirements.txt as a symlink (dangling or not): exit 4, never followed, no crash."""
    house = tmp_path / "house"
    shutil.copytree(tiny_wheels, house)
    (house / "elsewhere.txt").write_text("tinylib==1.0\n", encoding="utf-8")
    (house / "requirements.txt").symlink_to(target)
    with pytest.raises(VerificationError, match="symbolic link"):
        plan_install(house, python="py")
