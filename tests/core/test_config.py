"""`hephaestus.core.config`: precedence, errors that name their source, the repository root."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from tests.gitrepo import git

from hephaestus.configuration import HephaestusConfig, load_config
from hephaestus.core.config import find_repository_root
from hephaestus.core.errors import ConfigError, ExitCode


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove every HEPHAESTUS_* (any case) and GIT_* variable, so only the test's own count."""
    for name in list(os.environ):
        if name.upper().startswith(("HEPHAESTUS_", "GIT_")):
            monkeypatch.delenv(name)


def _pyproject(root: Path, table: str) -> Path:
    """Write ``root/pyproject.toml`` with a project table and ``table`` after it."""
    path = root / "pyproject.toml"
    path.write_text(f'[project]\nname = "demo"\nversion = "0"\n\n{table}\n', encoding="utf-8")
    return path


# --- precedence ---------------------------------------------------------------------------------


def test_defaults_without_a_pyproject(tmp_path: Path) -> None:
    """With no pyproject.toml, no environment and no flags, the defaults apply."""
    config = load_config(tmp_path)
    assert config.log_level == "warning"
    assert config.log_format == "text"


def test_defaults_when_pyproject_has_no_hephaestus_table(tmp_path: Path) -> None:
    """A pyproject.toml without ``[tool.hephaestus]`` (other tools only) gives the defaults."""
    _pyproject(tmp_path, "[tool.ruff]\nline-length = 100\n")
    config = load_config(tmp_path)
    assert (config.log_level, config.log_format) == ("warning", "text")


def test_values_from_tool_table_with_kebab_case_keys(tmp_path: Path) -> None:
    """``[tool.hephaestus]`` values with kebab-case keys are read."""
    _pyproject(tmp_path, '[tool.hephaestus]\nlog-level = "debug"\nlog-format = "json"\n')
    config = load_config(tmp_path)
    assert config.log_level == "debug"
    assert config.log_format == "json"


def test_only_the_pyproject_at_root_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file read is ``root/pyproject.toml``, not one in the current directory."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _pyproject(elsewhere, '[tool.hephaestus]\nlog-level = "error"\n')
    root = tmp_path / "root"
    root.mkdir()
    _pyproject(root, '[tool.hephaestus]\nlog-level = "info"\n')
    monkeypatch.chdir(elsewhere)
    assert load_config(root).log_level == "info"


def test_environment_beats_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HEPHAESTUS_LOG_LEVEL overrides ``log-level`` from the file; other file keys still apply."""
    _pyproject(tmp_path, '[tool.hephaestus]\nlog-level = "debug"\nlog-format = "json"\n')
    monkeypatch.setenv("HEPHAESTUS_LOG_LEVEL", "error")
    config = load_config(tmp_path)
    assert config.log_level == "error"
    assert config.log_format == "json"


def test_nested_environment_merges_with_the_file_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HEPHAESTUS_GUARD_RAILS__TIMEOUT replaces one key; the table's other keys stay."""
    _pyproject(tmp_path, "[tool.hephaestus.guard-rails]\ntimeout = 60\njobs = 3\n")
    monkeypatch.setenv("HEPHAESTUS_GUARD_RAILS__TIMEOUT", "5")
    monkeypatch.setenv("HEPHAESTUS_CLEANUP__EXCLUDE", '["docs/"]')
    config = load_config(tmp_path)
    assert config.guard_rails.timeout == 5
    assert config.guard_rails.jobs == 3
    assert config.cleanup.exclude == ("docs/",)


def test_a_list_in_the_environment_that_is_not_json_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list-valued variable that is not JSON is a ConfigError naming it, with the JSON hint."""
    monkeypatch.setenv("HEPHAESTUS_CLEANUP__EXCLUDE", "docs/")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "environment variable HEPHAESTUS_CLEANUP__EXCLUDE" in info.value.message
    assert "JSON" in (info.value.hint or "")


@pytest.mark.parametrize(
    ("variable", "loaded"),
    [("HEPHAESTUS_FORMAT", False), ("HEPHAESTUS_LOG_LEVEL", True)],
)
def test_pydantic_settings_is_imported_only_for_a_configuration_variable(
    tmp_path: Path, variable: str, loaded: bool
) -> None:
    """Without a HEPHAESTUS_* configuration variable, loading never imports pydantic-settings.

    Its import costs every command ~45 ms; HEPHAESTUS_FORMAT is a global option, not configuration.
    """
    code = (
        "import sys; from pathlib import Path; from hephaestus.configuration import load_config; "
        f"load_config(Path({str(tmp_path)!r})); print('pydantic_settings' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("HEPHAESTUS_")}
    env[variable] = "json" if variable == "HEPHAESTUS_FORMAT" else "info"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == str(loaded)


def test_environment_beats_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HEPHAESTUS_LOG_FORMAT applies with no file at all."""
    monkeypatch.setenv("HEPHAESTUS_LOG_FORMAT", "json")
    assert load_config(tmp_path).log_format == "json"


def test_overrides_beat_environment_and_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flag value beats both HEPHAESTUS_* and the file."""
    _pyproject(tmp_path, '[tool.hephaestus]\nlog-level = "debug"\n')
    monkeypatch.setenv("HEPHAESTUS_LOG_LEVEL", "error")
    config = load_config(tmp_path, overrides={"log_level": "info"})
    assert config.log_level == "info"


def test_none_overrides_are_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unset flag (None) falls through to the environment and the file."""
    _pyproject(tmp_path, '[tool.hephaestus]\nlog-format = "json"\n')
    monkeypatch.setenv("HEPHAESTUS_LOG_LEVEL", "error")
    config = load_config(tmp_path, overrides={"log_level": None, "log_format": None})
    assert config.log_level == "error"
    assert config.log_format == "json"


def test_load_does_not_leak_the_file_into_a_later_load(tmp_path: Path) -> None:
    """Each load reads its own root: a second load of another root does not see the first file."""
    first = tmp_path / "first"
    first.mkdir()
    _pyproject(first, '[tool.hephaestus]\nlog-level = "debug"\n')
    second = tmp_path / "second"
    second.mkdir()
    assert load_config(first).log_level == "debug"
    assert load_config(second).log_level == "warning"


# --- errors -------------------------------------------------------------------------------------


def test_unknown_key_is_a_config_error_naming_key_and_file(tmp_path: Path) -> None:
    """An unknown key is a ConfigError, exit 2, whose message names the key and the file."""
    path = _pyproject(tmp_path, '[tool.hephaestus]\nlog-levle = "debug"\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    error = info.value
    assert error.exit_code is ExitCode.USAGE
    assert error.code == "config-error"
    assert "'log-levle'" in error.message
    assert "unknown key" in error.message
    assert str(path) in error.message
    assert error.hint


def test_bad_value_in_file_names_key_and_file(tmp_path: Path) -> None:
    """A bad value in the file is a ConfigError naming the kebab-case key and the file."""
    path = _pyproject(tmp_path, '[tool.hephaestus]\nlog-format = "xml"\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "'log-format'" in info.value.message
    assert str(path) in info.value.message
    assert "environment" not in info.value.message
    assert info.value.exit_code is ExitCode.USAGE


@pytest.mark.parametrize("url", ["api.github.com", "ftp://example.org", "https://"])
def test_an_api_url_that_is_not_http_is_refused(tmp_path: Path, url: str) -> None:
    """`hephaestus config` catches it in CI, before any release command uses it."""
    _pyproject(tmp_path, f'[tool.hephaestus.release]\napi-url = "{url}"\n')
    with pytest.raises(ConfigError, match="'api-url'"):
        load_config(tmp_path)


def test_bad_value_in_environment_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad HEPHAESTUS_* value names the variable, not the (valid) file."""
    path = _pyproject(tmp_path, '[tool.hephaestus]\nlog-level = "info"\n')
    monkeypatch.setenv("HEPHAESTUS_LOG_LEVEL", "loud")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "environment variable HEPHAESTUS_LOG_LEVEL" in info.value.message
    assert str(path) not in info.value.message
    assert info.value.exit_code is ExitCode.USAGE


def test_bad_value_in_lowercase_environment_variable_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad value read from a lowercase ``hephaestus_log_level`` is blamed on that variable.

    pydantic-settings matches variable names case-insensitively, so this variable is read; the
    error must then say where the value came from instead of blaming a configuration file.
    """
    monkeypatch.setenv("hephaestus_log_level", "loud")
    with pytest.raises(ConfigError, match="environment variable hephaestus_log_level"):
        load_config(tmp_path)


def test_bad_override_names_the_field(tmp_path: Path) -> None:
    """A bad value given by the caller is blamed on its field; the CLI spells it --log-level."""
    with pytest.raises(ConfigError, match="parameter `log_level`") as raised:
        load_config(tmp_path, overrides={"log_level": "loud"})
    assert "--" not in raised.value.message


def test_several_errors_are_counted(tmp_path: Path) -> None:
    """With several problems, the first is described and the rest are counted."""
    _pyproject(tmp_path, '[tool.hephaestus]\nlog-level = "loud"\nlog-format = "xml"\n')
    with pytest.raises(ConfigError, match=r"\(and 1 more\)$"):
        load_config(tmp_path)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    """A pyproject.toml that is not TOML is a ConfigError naming the file."""
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.hephaestus\nlog-level = 'debug'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(path) in info.value.message
    assert "not valid TOML" in info.value.message
    assert info.value.exit_code is ExitCode.USAGE


@given(
    before=st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=40),
    bad=st.sampled_from([b"\xff", b"\xfe", b"\xc3", b"\x80", b"\xed\xa0\x80", b"\xf8\x88"]),
)
def test_a_pyproject_that_is_not_utf8_is_a_config_error(before: str, bad: bytes) -> None:
    """Any non-UTF-8 byte in pyproject.toml is a ConfigError naming the file and line (exit 2)."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        data = b'[tool.hephaestus]\nlog-level = "' + before.encode() + bad + b'"\n'
        (root / "pyproject.toml").write_bytes(data)
        with pytest.raises(ConfigError) as info:
            load_config(root)
    assert str(root / "pyproject.toml") in info.value.message
    assert "not UTF-8" in info.value.message
    assert "\n" not in info.value.message
    assert info.value.exit_code is ExitCode.USAGE


def test_hephaestus_entry_that_is_not_a_table(tmp_path: Path) -> None:
    """``tool.hephaestus = "x"`` is a ConfigError naming the file and the table."""
    path = _pyproject(tmp_path, '[tool]\nhephaestus = "verbose"\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(path) in info.value.message
    assert "[tool.hephaestus] must be a table" in info.value.message


def test_tool_entry_that_is_not_a_table(tmp_path: Path) -> None:
    """A top-level ``tool = 1`` is a ConfigError naming the file, not a crash."""
    path = tmp_path / "pyproject.toml"
    path.write_text("tool = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(path) in info.value.message


_KNOWN_KEYS = {name.replace("_", "-") for name in HephaestusConfig.model_fields}


@given(key=st.from_regex(r"[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,10}){0,3}", fullmatch=True))
def test_any_unknown_kebab_key_is_rejected_naming_it(key: str) -> None:
    """Every kebab-case key that is not a setting is rejected, and the message names it."""
    assume(key not in _KNOWN_KEYS)
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        path = _pyproject(root, f"[tool.hephaestus]\n{key} = 1\n")
        with pytest.raises(ConfigError) as info:
            load_config(root)
    assert f"unknown key {key!r}" in info.value.message
    assert str(path) in info.value.message


# --- repository root ----------------------------------------------------------------------------


def test_root_from_a_subdirectory_of_a_git_repository(tmp_path: Path) -> None:
    """Inside a real git work tree, the top level is returned from any subdirectory."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(tmp_path, "init", "-q", str(repo))
    deep = repo / "src" / "pkg"
    deep.mkdir(parents=True)
    assert find_repository_root(deep) == repo.resolve()
    assert find_repository_root(repo) == repo.resolve()


def test_root_outside_git_is_the_start_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside any git work tree the start directory itself (resolved) is returned."""
    # Keep git from finding a repository that may happen to enclose the temporary directory.
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    start = tmp_path / "plain" / "dir"
    start.mkdir(parents=True)
    assert find_repository_root(start) == start.resolve()


def test_root_without_git_on_path_is_the_start_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When git is not installed, even inside a repository, the start directory is returned."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(tmp_path, "init", "-q", str(repo))
    start = repo / "sub"
    start.mkdir()
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert find_repository_root(start) == start.resolve()


def test_root_resolves_a_relative_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A relative start such as ``.`` is resolved against the current directory."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    start = tmp_path / "plain"
    start.mkdir()
    monkeypatch.chdir(start)
    root = find_repository_root(Path())
    assert root.is_absolute()
    assert root == start.resolve()
