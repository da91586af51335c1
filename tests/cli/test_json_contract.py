"""The agent contract: with --format json every command prints exactly one JSON document."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest
from tests.venvs import make_venv

from hephaestus.cli.schema import generate

if TYPE_CHECKING:
    from tests.conftest import Cli

SCHEMA = generate().model_dump(mode="json")
# A server runs until it is stopped: tests/mcp and tests/api start `hephaestus mcp` and
# `hephaestus serve` as subprocesses, drive them with real clients, and check what they announce.
SERVERS = {"mcp", "serve"}
EXAMPLES = [
    (command["path"], example)
    for command in SCHEMA["commands"]
    if command["path"] not in SERVERS
    for example in command["examples"]
]
HEPHAESTUS = str(Path(sys.executable).parent / "hephaestus")
# Release examples need a GitHub release and a pinned signer; tests/cli/test_release.py runs the
# commands end to end against a stand-in. Here the API is a closed port: one error document.
RELEASE_OFFLINE = {
    "HEPHAESTUS_RELEASE__API_URL": "http://127.0.0.1:9",
    "HEPHAESTUS_RELEASE__MAX_RETRIES": "0",
}


def _as_json(example: str) -> list[str]:
    """The example's arguments with --format json in front (once)."""
    args = shlex.split(example)[1:]
    return args if "--format" in args else ["--format", "json", *args]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real git repository as the current directory (beside the test's HOME, not above it)."""
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    # pip-audit needs a vulnerability service this machine cannot reach (it would exit 5, as
    # tests/gates/builtin/test_pip_audit.py checks); ruff and mypy check a clean module (a run
    # in which every gate is skipped checked nothing: exit 2), in the project's venv made by
    # the guard-rails examples; the other gates have nothing to check.
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n[tool.ruff]\n[tool.mypy]\nfiles = ["demo.py"]\n'
        '[tool.hephaestus.guard-rails]\nskip = ["pip-audit"]\n',
        encoding="utf-8",
    )
    (root / "demo.py").write_text("VALUE: int = 1\n", encoding="utf-8")
    (root / "__pycache__").mkdir()
    monkeypatch.chdir(root)
    return root


def _validate(document: Any, schema: dict[str, Any]) -> None:  # noqa: ANN401
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize(("path", "example"), EXAMPLES, ids=[e for _, e in EXAMPLES])
@pytest.mark.usefixtures("repo")
def test_every_example_prints_one_valid_document(cli: Cli, path: str, example: str) -> None:
    """Each documented example, run with --format json, prints one document its schema accepts."""
    if path.startswith("release "):
        out = cli(*_as_json(example), env=RELEASE_OFFLINE)
        assert out.exit_code in {2, 5}, out.stderr
        _validate(json.loads(out.stdout), SCHEMA["error_output"])
        return
    if path == "guard-rails":
        make_venv(Path.cwd() / ".venv", tools=("mypy", "ruff"))
    out = cli(*_as_json(example))
    document = json.loads(out.stdout)  # raises if there is not exactly one document
    command = next(c for c in SCHEMA["commands"] if c["path"] == path)
    if "--output" in example:
        assert out.exit_code == 0, out.stderr
        assert document["path"]
        return
    assert out.exit_code == 0, out.stderr
    _validate(document, command["output"])


@pytest.mark.parametrize("path", [c["path"] for c in SCHEMA["commands"]])
@pytest.mark.usefixtures("repo")
def test_every_command_errors_as_one_json_document(cli: Cli, path: str) -> None:
    """A bad option on any command still yields one error document matching error_output."""
    out = cli("--format", "json", *path.split(), "--definitely-not-an-option")
    assert out.exit_code == 2
    _validate(json.loads(out.stdout), SCHEMA["error_output"])


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--format", "json", "--nope"], 2),
        (["--format", "json", "nope"], 2),
        (["--format", "json", "--run-id", "a/b", "version"], 2),
        (["--format", "json", "version"], 0),
    ],
)
def test_installed_command_keeps_the_contract(tmp_path: Path, args: list[str], code: int) -> None:
    """The installed `hephaestus` prints one JSON document, the right code, no traceback."""
    done = subprocess.run(
        [HEPHAESTUS, *args], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert done.returncode == code
    document = json.loads(done.stdout)
    if code:
        _validate(document, SCHEMA["error_output"])
    assert "Traceback" not in done.stderr


def test_installed_internal_error_is_one_line(tmp_path: Path) -> None:
    """A forced bug in the installed package exits 70: one error line, a hint, a crash file."""
    probe = (
        "import sys, hephaestus.meta as v\n"
        "def boom(): raise RuntimeError('forced')\n"
        "v.collect_version_info = boom\n"
        "from hephaestus.cli import main\n"
        "main()\n"
    )
    env = {"PATH": str(Path(sys.executable).parent), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", probe, "version"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 70
    lines = done.stderr.splitlines()
    assert lines[0] == "error: internal error: RuntimeError: forced (this is a bug in hephaestus)"
    assert lines[1].startswith("hint: the traceback is in ")
    assert len(lines) == 2
    (crash,) = (tmp_path / "cache" / "hephaestus" / "crash").iterdir()
    assert "RuntimeError: forced" in crash.read_text()


@pytest.mark.parametrize("path", [c["path"] for c in SCHEMA["commands"]])
@pytest.mark.usefixtures("repo")
def test_every_command_s_parser_errors_are_one_line_and_a_hint(cli: Cli, path: str) -> None:
    """A bad option on any command: ``error: …`` and ``hint: …``, not the parser's usage block."""
    out = cli(*path.split(), "--definitely-not-an-option")
    assert out.exit_code == 2
    error, hint = out.stderr.splitlines()
    assert error == "error: No such option: --definitely-not-an-option"
    assert hint == f"hint: see `hephaestus {path} --help`"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--format", "yaml", "version"], {}, "Invalid value for '--format'"),
        (["version"], {"HEPHAESTUS_LOG_LEVEL": "loud"}, "Invalid value for '--log-level'"),
        (["config", "/nonexistent"], {}, "Invalid value for 'ROOT'"),
        (["nope"], {}, "No such command 'nope'"),
    ],
)
@pytest.mark.usefixtures("repo")
def test_bad_values_and_commands_are_one_line_and_a_hint(
    cli: Cli, args: list[str], env: dict[str, str], message: str
) -> None:
    """Found on click's repository: these printed the four-line usage block."""
    out = cli(*args, env=env)
    assert out.exit_code == 2
    error, hint = out.stderr.splitlines()
    assert error.startswith(f"error: {message}")
    assert hint.startswith("hint: see `hephaestus")
