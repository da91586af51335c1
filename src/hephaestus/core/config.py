"""Configuration: flags > ``HEPHAESTUS_*`` environment > ``[tool.hephaestus]`` > defaults.

Keys in ``pyproject.toml`` are kebab-case (``log-level``); the same setting in the environment is
``HEPHAESTUS_LOG_LEVEL`` and, inside a sub-table, ``HEPHAESTUS_<TABLE>__<KEY>``. Every command
that reads configuration calls :func:`load_config`; an unknown key or a bad value is a
:class:`ConfigError` (exit 2) that names the key and where it came from.

pydantic is imported here, and this module is imported only by commands that need it; the
environment is parsed by pydantic-settings, imported only when a configuration variable is set.
"""

from __future__ import annotations

import os
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hephaestus.core.errors import ConfigError, ToolNotFoundError, ToolTimeoutError, UsageError
from hephaestus.core.git import run_git
from hephaestus.core.logging import LogFormat, LogLevel  # noqa: TC001  # pydantic reads them
from hephaestus.core.patterns import Patterns  # noqa: TC001  # pydantic reads it

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pydantic_core import ErrorDetails

ENV_PREFIX = "HEPHAESTUS_"
TABLE = "[tool.hephaestus]"


class Section(BaseModel):
    """Base of a per-command sub-table (``[tool.hephaestus.<command>]``): frozen, strict keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class CleanupCategory(StrEnum):
    """What ``hephaestus cleanup`` can remove, one flag each."""

    python_cache = "python-cache"
    tool_caches = "tool-caches"
    build_artifacts = "build-artifacts"
    coverage = "coverage"
    os_cruft = "os-cruft"
    node_modules = "node-modules"


class CleanupSection(Section):
    """``[tool.hephaestus.cleanup]``."""

    categories: tuple[CleanupCategory, ...] = (
        CleanupCategory.python_cache,
        CleanupCategory.tool_caches,
        CleanupCategory.os_cruft,
    )
    """Categories cleaned when no category flag is given."""
    exclude: Patterns = ()
    """gitignore-style patterns, relative to the root, that cleanup never touches."""


class GuardRailsSection(Section):
    """``[tool.hephaestus.guard-rails]``; a gate's own table is ``[…guard-rails.gate.<name>]``."""

    gates: tuple[str, ...] | None = None
    """Gates that run when no --gate is given (default: every installed gate)."""
    skip: tuple[str, ...] = ()
    """Gates that never run unless named with --gate."""
    jobs: int | None = Field(default=None, ge=1)
    """Gates run at once (default: the number of CPU cores)."""
    timeout: float = Field(default=900.0, gt=0)
    """Seconds each gate may run before it is stopped; it then could not run (exit 5). A gate's
    table may override it."""
    cache: bool = True
    """Reuse a gate's cached pass when nothing it reads has changed."""
    cache_max_mb: int = Field(default=64, ge=1)
    """Upper bound of the result cache in .hephaestus/cache/, oldest entries dropped first."""
    environment: str | None = None
    """The project's interpreter or virtual environment, relative to the root, as --python
    (default: the active venv unless it is hephaestus' own, .venv, venv, pdm's, poetry's or
    hatch's; never the environment running hephaestus)."""
    gate: dict[str, dict[str, Any]] = {}
    """Per-gate tables, validated by each gate's own configuration model."""


class Strictness(StrEnum):
    """How strictly a QA profile asks guard-rails to judge findings."""

    lenient = "lenient"
    """Only errors of the profile's required gates fail."""
    standard = "standard"
    """Errors fail."""
    strict = "strict"
    """Findings of every severity fail."""


class QAProfileSection(Section):
    """``[tool.hephaestus.analytics.profiles.<name>]``: one named QA profile."""

    coverage_goal: float = Field(default=0.8, ge=0, le=1)
    """Line coverage the profile asks for, as a fraction (0.9 = 90 %)."""
    gates: tuple[str, ...] = ()
    """Gates that must pass under this profile (empty: guard-rails' own selection)."""
    strictness: Strictness = Strictness.standard
    """How findings are judged: lenient, standard or strict."""


class AnalyticsSection(Section):
    """``[tool.hephaestus.analytics]``: refactor analytics, rankings, opportunities and plan."""

    since: str = "12 months"
    """History window: an ISO date (2025-01-31) or N days|weeks|months|years (a month is 30
    days, a year 365)."""
    include: Patterns = ("*.py",)
    """gitignore-style patterns of the files analysed."""
    exclude: Patterns = ()
    """gitignore-style patterns of files never analysed."""
    large_commit: int = Field(default=50, ge=1)
    """Commits changing more files than this (mass reformatting, vendoring) are left out."""
    coverage_threshold: float = Field(default=0.8, ge=0, le=1)
    """Coverage a file should reach, as a fraction: the 'threshold' of the ranking formulas."""
    uncovered_cap: int = Field(default=200, ge=1)
    """Uncovered lines at which the ranking factor u reaches 1."""
    churn_cap: int = Field(default=200, ge=1)
    """Changed lines (added + removed) at which the ranking factor c reaches 1."""
    limit: int = Field(default=20, ge=1)
    """Rows shown by the refactor commands when no --limit is given."""
    complex_function: int = Field(default=10, ge=1)
    """Cyclomatic complexity above which a function is worth splitting."""
    often_changed: int = Field(default=5, ge=1)
    """Revisions in the window from which a file counts as often changed."""
    large_module: int = Field(default=400, ge=1)
    """Lines of code above which a module is worth splitting."""
    coupling_min_revs: int = Field(default=5, ge=1)
    """Revisions both files of a coupled pair need at least."""
    coupling_min_degree: float = Field(default=30.0, ge=0, le=100)
    """Lowest coupling degree (percent) reported."""
    coupling_max_changeset: int = Field(default=30, ge=2)
    """Commits changing more files than this are left out of coupling."""
    profiles: dict[str, QAProfileSection] = {}
    """Named QA profiles: ``[tool.hephaestus.analytics.profiles.<name>]``."""


class ReleaseSection(Section):
    """``[tool.hephaestus.release]``: defaults of ``hephaestus release`` and ``wheelhouse``."""

    repository: str | None = None
    """GitHub repository (OWNER/REPO) whose releases ``release install`` installs."""
    asset_pattern: str | None = None
    """Shell glob choosing the archive among the assets (default: the one .tar.gz, .tgz, .zip or
    .whl)."""
    manifest_pattern: str | None = None
    """Shell glob choosing the SHA-256 manifest (default: <archive>.sha256, SHA256SUMS or
    *.sha256)."""
    bundle_pattern: str | None = None
    """Shell glob choosing the Sigstore bundle (default: <archive>.sigstore.json or .sigstore)."""
    identity: str | None = None
    """Signer identity pinned for Sigstore verification (the certificate's SAN, e.g. a workflow
    URL with its ref); ``{tag}`` stands for the release's tag. No default: choose it knowingly."""
    issuer: str = "https://token.actions.githubusercontent.com"
    """OIDC issuer pinned for Sigstore verification."""
    require_sigstore: bool = False
    """Refuse a release without a Sigstore bundle (exit 4)."""
    trust_root: str | None = None
    """Sigstore trusted_root.json for offline verification, relative to the root."""
    api_url: str = Field(default="https://api.github.com", pattern=r"^https?://[^/\s]+")
    """GitHub REST API root, an http(s) URL (GitHub Enterprise: https://HOST/api/v3)."""
    destination: str = ".hephaestus/release"
    """Directory, relative to the root, receiving archives and extracted wheelhouses."""
    timeout: float = Field(default=30.0, gt=0)
    """Seconds to connect, between bytes, and for each whole request; a download may take
    this plus its size at 64 KiB/s."""
    max_retries: int = Field(default=4, ge=0)
    """Retries of a request after a connection error, 5xx, 429 or rate-limit 403."""
    max_wait: float = Field(default=120.0, ge=0)
    """Seconds all retry waits of one request may add up to; a longer wait is an error."""
    max_members: int = Field(default=20_000, ge=1)
    """Most members an archive may hold (archive bombs)."""
    max_extracted_mb: int = Field(default=2048, ge=1)
    """Most MiB an archive may unpack to (archive bombs)."""


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


class HephaestusConfig(BaseModel):
    """The whole ``[tool.hephaestus]`` table. Commands add their sub-table as a field."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    log_level: LogLevel = "warning"
    """Lowest level of log events written to stderr."""
    log_format: LogFormat = "text"
    """How log events are written: human-readable text or one JSON object per line."""
    cleanup: CleanupSection = CleanupSection()
    """``[tool.hephaestus.cleanup]``: defaults of ``hephaestus cleanup``."""
    guard_rails: GuardRailsSection = GuardRailsSection()
    """``[tool.hephaestus.guard-rails]``: gates, timeouts, cache and per-gate settings."""
    release: ReleaseSection = ReleaseSection()
    """``[tool.hephaestus.release]``: repository, asset patterns, pinned signer, limits."""
    analytics: AnalyticsSection = AnalyticsSection()
    """``[tool.hephaestus.analytics]``: history window, file patterns, ranking caps, profiles."""


_SECTIONS = frozenset(
    name
    for name, field in HephaestusConfig.model_fields.items()
    if isinstance(field.annotation, type) and issubclass(field.annotation, Section)
)


def _describe(error: ErrorDetails, pyproject: Path | None, given: Mapping[str, Any]) -> str:
    """Name the key of a validation error and the source it came from, by precedence."""
    loc = [str(part) for part in error["loc"] if not isinstance(part, int)]
    if loc and loc[0] in given:
        return f"option --{loc[0].replace('_', '-')}: {error['msg']}"
    env_name = ENV_PREFIX + "__".join(p.upper() for p in loc)
    # pydantic-settings matches variable names case-insensitively: report it as it is spelt.
    spelt = next((name for name in os.environ if name.upper() == env_name), None)
    if spelt is not None:
        return f"environment variable {spelt}: {error['msg']}"
    table, keys = TABLE, loc
    if len(loc) > 1 and loc[0] in _SECTIONS:  # a key inside [tool.hephaestus.<section>]
        table, keys = f"[tool.hephaestus.{loc[0].replace('_', '-')}]", loc[1:]
    key = ".".join(p.replace("_", "-") for p in keys) or "(table)"
    where = pyproject or "configuration"
    if error["type"] == "extra_forbidden":
        return f"{where}: {table}: unknown key {key!r}"
    return f"{where}: {table} key {key!r}: {error['msg']}"


def _read_environment() -> dict[str, Any]:
    """``HEPHAESTUS_*`` values of configuration fields, nested on ``__``, lists and tables in JSON.

    pydantic-settings parses them; it is imported only when such a variable is set, since its
    import (asyncio, cloud providers) would otherwise cost every command about 45 ms.
    """
    fields = HephaestusConfig.model_fields
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
        HephaestusConfig,  # type: ignore[arg-type]  # reads only its fields, as of a settings class
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


def load_config(root: Path, *, overrides: Mapping[str, Any] | None = None) -> HephaestusConfig:
    """Load the effective configuration of the repository at ``root``.

    ``overrides`` are values from command-line flags (snake_case field names); ``None`` values
    are ignored so that an unset flag falls through to the environment and the file.

    Raises:
        ConfigError: a key is unknown, a value is invalid, or pyproject.toml is not valid TOML.

    """
    pyproject = root / "pyproject.toml"
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    merged = _merge(_read_pyproject(pyproject), _read_environment(), given)
    try:
        return HephaestusConfig.model_validate(merged)
    except ValidationError as exc:
        errors = exc.errors()
        chosen = pyproject if pyproject.is_file() else None
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(
            _describe(errors[0], chosen, given) + more,
            hint="see the configuration reference (docs/reference/configuration.md)",
        ) from exc


class ConfigReport(BaseModel):
    """The configuration hephaestus uses for a repository, after every source is applied."""

    model_config = ConfigDict(frozen=True)

    root: str = Field(description="Repository root the configuration belongs to.")
    pyproject: str | None = Field(description="pyproject.toml read, or null if there is none.")
    values: dict[str, Any] = Field(
        description="Effective [tool.hephaestus] values, keyed as in pyproject.toml."
    )


def _snake_to_kebab(data: Any) -> Any:  # noqa: ANN401  # configuration values of any shape
    if isinstance(data, dict):
        return {k.replace("_", "-"): _snake_to_kebab(v) for k, v in data.items()}
    return data


def report_config(root: Path, config: HephaestusConfig) -> ConfigReport:
    """Describe ``config`` of the repository at ``root`` as it would be written in the file."""
    pyproject = root / "pyproject.toml"
    return ConfigReport(
        root=str(root),
        pyproject=str(pyproject) if pyproject.is_file() else None,
        values=_snake_to_kebab(config.model_dump(mode="json")),
    )


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
