"""`hephaestus config`: the effective configuration, and configuration errors as exit 2."""

from __future__ import annotations

import json
import re
import subprocess
from typing import TYPE_CHECKING

import pytest

from hephaestus.core.errors import ExitCode

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Cli


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A real git repository with a pyproject.toml."""
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n', encoding="utf-8")
    return root


def _write(repo: Path, table: str) -> None:
    (repo / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\n\n[tool.hephaestus]\n{table}\n', encoding="utf-8"
    )


def test_defaults(cli: Cli, repo: Path) -> None:
    """Without [tool.hephaestus] the defaults are shown, keyed as in pyproject.toml."""
    out = cli("--format", "json", "config", str(repo))
    assert out.exit_code == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["values"]["log-level"] == "warning"
    assert report["values"]["log-format"] == "text"
    assert report["values"]["cleanup"] == {
        "categories": ["python-cache", "tool-caches", "os-cruft"],
        "exclude": [],
    }
    assert report["pyproject"] == str(repo / "pyproject.toml")
    assert report["root"] == str(repo)


def test_values_from_pyproject_and_precedence(cli: Cli, repo: Path) -> None:
    """Values from pyproject.toml apply and the environment beats them."""
    _write(repo, 'log-level = "debug"\nlog-format = "json"')
    from_file = json.loads(cli("--format", "json", "config", str(repo)).stdout)["values"]
    assert (from_file["log-level"], from_file["log-format"]) == ("debug", "json")
    env = {"HEPHAESTUS_LOG_LEVEL": "error"}
    from_env = json.loads(cli("--format", "json", "config", str(repo), env=env).stdout)
    assert from_env["values"]["log-level"] == "error"


def test_root_found_from_a_subdirectory(
    cli: Cli, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without ROOT the git work tree of the current directory is used."""
    sub = repo / "src" / "pkg"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    report = json.loads(cli("--format", "json", "config").stdout)
    assert report["root"] == str(repo)


def test_unknown_key_exits_2_naming_key_and_file(cli: Cli, repo: Path) -> None:
    """A misspelt key is a usage error that names the key and the file, no traceback."""
    _write(repo, 'log-levle = "debug"')
    out = cli("config", str(repo))
    assert out.exit_code == ExitCode.USAGE
    line = out.stderr.splitlines()[0]
    assert "'log-levle'" in line
    assert str(repo / "pyproject.toml") in line
    assert "Traceback" not in out.stderr


def test_bad_value_in_json_mode(cli: Cli, repo: Path) -> None:
    """A bad value gives one JSON error document naming the key, exit 2."""
    _write(repo, 'log-level = "loud"')
    out = cli("--format", "json", "config", str(repo))
    assert out.exit_code == ExitCode.USAGE
    error = json.loads(out.stdout)["error"]
    assert error["code"] == "config-error"
    assert "'log-level'" in error["message"]


def test_bad_environment_value_names_the_variable(cli: Cli, repo: Path) -> None:
    """An invalid HEPHAESTUS_* value is attributed to the variable, not the file."""
    out = cli("config", str(repo), env={"HEPHAESTUS_LOG_FORMAT": "xml"})
    assert out.exit_code == ExitCode.USAGE
    assert "HEPHAESTUS_LOG_FORMAT" in out.stderr


def test_broken_toml(cli: Cli, repo: Path) -> None:
    """A pyproject.toml that is not TOML is a configuration error naming the file."""
    (repo / "pyproject.toml").write_text("[tool.hephaestus\n", encoding="utf-8")
    out = cli("config", str(repo))
    assert out.exit_code == ExitCode.USAGE
    assert "not valid TOML" in out.stderr


def test_text_output(cli: Cli, repo: Path) -> None:
    """Text output shows the root, the file and each value."""
    out = cli("config", str(repo))
    assert out.exit_code == 0
    assert f"root:      {repo}" in out.stdout
    assert re.search(r'^log-level: +"warning"$', out.stdout, re.MULTILINE)
    assert re.search(r'^guard-rails: +\{.*"timeout": 900\.0', out.stdout, re.MULTILINE)


def test_missing_root_is_usage_error(cli: Cli, tmp_path: Path) -> None:
    """A ROOT that does not exist is rejected by the parser with exit 2."""
    out = cli("config", str(tmp_path / "nowhere"))
    assert out.exit_code == ExitCode.USAGE


def test_log_settings_from_pyproject_apply(cli: Cli, repo: Path) -> None:
    """log-level/log-format from the file drive logging once the command loaded them."""
    _write(repo, 'log-level = "debug"\nlog-format = "json"')
    out = cli("--run-id", "r42", "config", str(repo))
    assert out.exit_code == 0
    events = [json.loads(line) for line in out.stderr.splitlines() if line.startswith("{")]
    assert events, out.stderr
    assert all(e["run_id"] == "r42" for e in events)


def test_cleanup_section(cli: Cli, repo: Path) -> None:
    """[tool.hephaestus.cleanup] is read; a bad category names the table and key, exit 2."""
    (repo / "pyproject.toml").write_text(
        '[tool.hephaestus.cleanup]\ncategories = ["coverage"]\nexclude = ["docs/"]\n',
        encoding="utf-8",
    )
    values = json.loads(cli("--format", "json", "config", str(repo)).stdout)["values"]
    assert values["cleanup"] == {"categories": ["coverage"], "exclude": ["docs/"]}
    (repo / "pyproject.toml").write_text(
        '[tool.hephaestus.cleanup]\ncategories = ["everything"]\n', encoding="utf-8"
    )
    out = cli("config", str(repo))
    assert out.exit_code == ExitCode.USAGE
    assert "[tool.hephaestus.cleanup] key 'categories'" in out.stderr


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[tool.hephaestus]\nlog_level = "info"\n', "[tool.hephaestus]: unknown key 'log_level'"),
        (
            "[tool.hephaestus.cleanup]\nmax_depth = 1\n",
            "[tool.hephaestus.cleanup]: unknown key 'max_depth'",
        ),
    ],
)
def test_snake_case_keys_are_refused(cli: Cli, repo: Path, table: str, message: str) -> None:
    """Keys have one spelling, kebab-case: a snake_case key is unknown, with the right hint."""
    (repo / "pyproject.toml").write_text(table, encoding="utf-8")
    out = cli("config", str(repo))
    assert out.exit_code == ExitCode.USAGE
    assert message in out.stderr
    assert str(repo / "pyproject.toml") in out.stderr
    assert "hint: keys are kebab-case" in out.stderr


def test_unparsable_environment_list_is_a_config_error(cli: Cli, repo: Path) -> None:
    """A list in the environment that is not JSON names the variable; exit 2, not a crash."""
    out = cli("config", str(repo), env={"HEPHAESTUS_CLEANUP__EXCLUDE": "docs"})
    assert out.exit_code == ExitCode.USAGE
    assert "HEPHAESTUS_CLEANUP__EXCLUDE" in out.stderr
    ok = cli("--format", "json", "config", str(repo), env={"HEPHAESTUS_CLEANUP__EXCLUDE": '["d/"]'})
    assert json.loads(ok.stdout)["values"]["cleanup"]["exclude"] == ["d/"]


def test_global_log_flags_show_in_config(cli: Cli, repo: Path) -> None:
    """--log-level given as a flag is part of the effective configuration."""
    out = cli("--format", "json", "--log-level", "error", "config", str(repo))
    assert json.loads(out.stdout)["values"]["log-level"] == "error"


@pytest.mark.parametrize("pattern", ["!", "\\\\", "a/[z-a]"])
@pytest.mark.parametrize("table", ["cleanup", "analytics"])
def test_a_bad_pattern_is_refused_when_the_configuration_loads(
    cli: Cli, repo: Path, table: str, pattern: str
) -> None:
    """A pattern gitignore cannot compile is exit 2 naming the key, in `hephaestus config` too."""
    (repo / "pyproject.toml").write_text(
        f'[tool.hephaestus.{table}]\nexclude = ["{pattern}"]\n', encoding="utf-8"
    )
    outcome = cli("config", str(repo))
    assert outcome.exit_code == ExitCode.USAGE
    assert "exclude" in outcome.stderr
    assert "Traceback" not in outcome.stderr
