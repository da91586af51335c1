"""Configuration: flags > ``HEPHAESTUS_*`` environment > ``[tool.hephaestus]`` > defaults.

Keys in ``pyproject.toml`` are kebab-case (``log-level``); the same setting in the environment is
``HEPHAESTUS_LOG_LEVEL`` and, inside a sub-table, ``HEPHAESTUS_<TABLE>__<KEY>``. Every command
that reads configuration calls ``hephaestus.configuration.load_config``: the whole table,
assembled one level up from the operations' own sections, loaded by :func:`load_model`. An
unknown key or a bad value is a :class:`ConfigError` (exit 2) naming the key and its source.

pydantic is imported here, and this module is imported only by commands that need it; the
environment is parsed by pydantic-settings, imported only when a configuration variable is set.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from hephaestus.core.errors import ConfigError, ToolNotFoundError, ToolTimeoutError, UsageError
from hephaestus.core.git import run_git

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pydantic_core import ErrorDetails

ENV_PREFIX = "HEPHAESTUS_"
TABLE = "[tool.hephaestus]"
M = TypeVar("M", bound=BaseModel)


class Section(BaseModel):
    """Base of a per-command sub-table (``[tool.hephaestus.<command>]``): frozen, strict keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _kebab_to_snake(data: Any, file: str, table: str = TABLE) -> Any:  # noqa: ANN401  # any TOML
    """Turn kebab-case keys into field names; snake_case keys are refused (one spelling only)."""
    if isinstance(data, list):
        return [_kebab_to_snake(item, file, table) for item in data]
    if not isinstance(data, dict):
        return data
    converted = {}
    for key, value in data.items():
        if "_" in str(key):
            raise ConfigError(
                f"{file}: {table}: unknown key {key!r}",
                hint=f"keys are kebab-case: {str(key).replace('_', '-')!r}",
            )
        inner = f"{table[:-1]}.{key}]" if isinstance(value, dict) else table
        converted[str(key).replace("-", "_")] = _kebab_to_snake(value, file, inner)
    return converted


def _read_pyproject(path: Path) -> dict[str, Any]:
    """``[tool.hephaestus]`` of ``path`` with field names for keys; ``{}`` without the file."""
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML ({exc})",
            hint="fix the TOML syntax at the line and column named",
        ) from exc
    except UnicodeDecodeError as exc:  # TOML is UTF-8: tomllib decodes before it parses
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: not UTF-8 (byte 0x{exc.object[exc.start]:02x} at line {line})",
            hint="save the file as UTF-8: TOML allows no other encoding",
        ) from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}", hint="check its permissions") from exc
    tools = data.get("tool", {})
    tool = tools.get("hephaestus", {}) if isinstance(tools, dict) else None
    if not isinstance(tool, dict):
        raise ConfigError(
            f"{path}: {TABLE} must be a table",
            hint="see the configuration reference (docs/reference/configuration.md)",
        )
    converted: dict[str, Any] = _kebab_to_snake(tool, str(path))
    return converted


def _sections(model: type[BaseModel]) -> frozenset[str]:
    """Fields of ``model`` that are sub-tables (:class:`Section` models)."""
    return frozenset(
        name
        for name, field in model.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, Section)
    )


def _describe(
    error: ErrorDetails, pyproject: Path | None, given: Mapping[str, Any], sections: frozenset[str]
) -> str:
    """Name the key of a validation error and the source it came from, by precedence."""
    loc = [str(part) for part in error["loc"] if not isinstance(part, int)]
    if loc and loc[0] in given:
        return f"parameter `{loc[0]}`: {error['msg']}"
    env_name = ENV_PREFIX + "__".join(p.upper() for p in loc)
    # pydantic-settings matches variable names case-insensitively: report it as it is spelt.
    spelt = next((name for name in os.environ if name.upper() == env_name), None)
    if spelt is not None:
        return f"environment variable {spelt}: {error['msg']}"
    table, keys = TABLE, loc
    if len(loc) > 1 and loc[0] in sections:  # a key inside [tool.hephaestus.<section>]
        table, keys = f"[tool.hephaestus.{loc[0].replace('_', '-')}]", loc[1:]
    key = ".".join(p.replace("_", "-") for p in keys) or "(table)"
    where = pyproject or "configuration"
    if error["type"] == "extra_forbidden":
        return f"{where}: {table}: unknown key {key!r}"
    return f"{where}: {table} key {key!r}: {error['msg']}"


def _read_environment(model: type[BaseModel]) -> dict[str, Any]:
    """``HEPHAESTUS_*`` values of configuration fields, nested on ``__``, lists and tables in JSON.

    pydantic-settings parses them; it is imported only when such a variable is set, since its
    import (asyncio, cloud providers) would otherwise cost every command about 45 ms.
    """
    fields = model.model_fields
    wanted = [
        name
        for name in os.environ
        if name.upper().startswith(ENV_PREFIX)
        and name[len(ENV_PREFIX) :].split("__")[0].lower() in fields
    ]
    if not wanted:
        return {}
    from pydantic_settings import EnvSettingsSource, SettingsError  # noqa: PLC0415  # see above

    source = EnvSettingsSource(
        model,  # type: ignore[arg-type]  # reads only its fields, as of a settings class
        case_sensitive=False,
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
    )
    try:
        return source()
    except SettingsError as exc:  # a value it could not even parse (a list that is not JSON)
        field = str(exc).split('"')[1] if '"' in str(exc) else ""
        prefix = ENV_PREFIX + field.upper()
        culprit = next((n for n in wanted if n.upper().startswith(prefix)), ENV_PREFIX + "…")
        raise ConfigError(
            f"environment variable {culprit}: cannot parse its value",
            hint='lists and tables in the environment are JSON, e.g. \'["docs/", "*.log"]\'',
        ) from exc


def _merge(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``layers``, later ones winning; tables merge key by key, other values replace."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = _merge(merged[key], value)
            else:
                merged[key] = value
    return merged


def load_model(model: type[M], root: Path, *, overrides: Mapping[str, Any] | None = None) -> M:
    """Load ``model`` (the whole ``[tool.hephaestus]`` table) for the repository at ``root``.

    ``overrides`` are values given by the caller (snake_case field names); ``None`` values are
    ignored so that an unset flag falls through to the environment and the file.

    Raises:
        ConfigError: a key is unknown, a value is invalid, or pyproject.toml is not valid TOML.

    """
    pyproject = root / "pyproject.toml"
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    merged = _merge(_read_pyproject(pyproject), _read_environment(model), given)
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        errors = exc.errors()
        chosen = pyproject if pyproject.is_file() else None
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(
            _describe(errors[0], chosen, given, _sections(model)) + more,
            hint="see the configuration reference (docs/reference/configuration.md)",
        ) from exc


def find_repository_root(start: Path) -> Path:
    """Return the git work tree containing ``start``, else ``start`` itself (resolved).

    Raises:
        UsageError: ``start`` is not an existing directory.

    """
    start = start.resolve()
    if not start.is_dir():
        raise UsageError(f"{start} is not a directory", hint="name an existing directory")
    try:
        result = run_git(start, "rev-parse", "--show-toplevel", timeout=10)
    except (ToolNotFoundError, ToolTimeoutError):
        return start
    if result.ok and result.stdout.strip():
        return Path(result.stdout.strip()).resolve()
    return start
