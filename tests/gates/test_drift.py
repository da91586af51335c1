"""`hephaestus.gates.drift`: real pyproject, lock and pre-commit files; real subprocesses."""

from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from hephaestus.core.errors import ConfigError
from hephaestus.gates.drift import check_drift, remediate_drift
from hephaestus.gates.environment import ToolEnvironment
from hephaestus.gates.models import DriftEntry, DriftReport, DriftVerdict

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

RUFF_URL = "https://github.com/astral-sh/ruff-pre-commit"
SYNC = ("uv", "sync")
UPGRADE_RUFF = (("uv", "lock", "--upgrade-package", "ruff"), SYNC)
END = "<end of call>"


def _environment(where: Path, installed: Mapping[str, str]) -> ToolEnvironment:
    """A fake environment whose site-packages holds one ``*.dist-info`` per installed tool."""
    site = where / "site-packages"
    site.mkdir(parents=True)
    for name, version in installed.items():
        info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        (info / "METADATA").write_text(metadata, encoding="utf-8")
    return ToolEnvironment(prefix=where, bin_dir=where / "bin", site_packages=(site,))


def _write(root: Path, name: str, text: str) -> None:
    (root / name).write_text(textwrap.dedent(text), encoding="utf-8")


def _lock(root: Path, *packages: tuple[str, str]) -> None:
    body = "".join(f'[[package]]\nname = "{n}"\nversion = "{v}"\n\n' for n, v in packages)
    _write(root, "uv.lock", f"version = 1\n\n{body}")


def _pin(root: Path, rev: str, url: str = RUFF_URL) -> None:
    _write(root, ".pre-commit-config.yaml", f"repos:\n  - repo: {url}\n    rev: {rev}\n")


def _ruff(
    root: Path,
    installed: str | None,
    *,
    declared: str | None = ">=0.8",
    tools: Mapping[str, Sequence[str]] | None = None,
) -> DriftEntry:
    """Check ruff alone (declared in the dev group unless ``declared`` is None)."""
    if declared is not None and not (root / "pyproject.toml").exists():
        _write(root, "pyproject.toml", f'[dependency-groups]\ndev = ["ruff{declared}"]\n')
    environment = _environment(root / "env", {"ruff": installed} if installed else {})
    report = check_drift(root, environment=environment, tools=tools or {"ruff": [RUFF_URL]})
    return report.entries[0]


def test_older_installed_version_is_drift(tmp_path: Path) -> None:
    """Installed 0.5.0 against >=0.8 with no lock: drift, fixed by upgrading the lock, then sync."""
    entry = _ruff(tmp_path, "0.5.0")
    assert (entry.verdict, entry.declared, entry.installed) == (
        DriftVerdict.drift,
        ">=0.8",
        "0.5.0",
    )
    assert entry.message == "installed 0.5.0 does not satisfy >=0.8"
    assert entry.source == "pyproject.toml [dependency-groups] dev"
    assert entry.remediation == UPGRADE_RUFF


def test_older_installed_version_with_a_good_lock_needs_only_sync(tmp_path: Path) -> None:
    """Installed 0.5.0 against >=0.8 while the lock holds 0.8.4: `uv sync` alone fixes it."""
    _lock(tmp_path, ("ruff", "0.8.4"))
    entry = _ruff(tmp_path, "0.5.0")
    assert (entry.verdict, entry.locked, entry.remediation) == (
        DriftVerdict.drift,
        "0.8.4",
        (SYNC,),
    )


def test_newer_version_satisfying_the_bound_is_ok(tmp_path: Path) -> None:
    """Installed 0.15.2 against >=0.8 is ok: a newer major.minor is not drift (the old bug)."""
    entry = _ruff(tmp_path, "0.15.2")
    assert (entry.verdict, entry.remediation) == (DriftVerdict.ok, ())
    assert not check_drift(
        tmp_path, environment=_environment(tmp_path / "e2", {"ruff": "1.2"}), tools={"ruff": []}
    ).drifted


def test_declared_but_not_installed_is_missing(tmp_path: Path) -> None:
    """A declared tool absent from the environment is missing, fixed by `uv sync`."""
    entry = _ruff(tmp_path, None)
    assert (entry.verdict, entry.installed, entry.remediation) == (
        DriftVerdict.missing,
        None,
        (SYNC,),
    )


def test_undeclared_installed_tool_is_informational(tmp_path: Path) -> None:
    """Installed but declared nowhere: undeclared, which is not drift and needs no fix."""
    entry = _ruff(tmp_path, "0.8.0", declared=None)
    assert (entry.verdict, entry.declared, entry.source) == (
        DriftVerdict.undeclared,
        None,
        "not declared",
    )
    assert entry.remediation == ()


def test_undeclared_missing_tool_is_added(tmp_path: Path) -> None:
    """Neither installed nor declared anywhere: missing, fixed by `uv add --dev NAME`."""
    entry = _ruff(tmp_path, None, declared=None)
    assert entry.verdict is DriftVerdict.missing
    assert entry.remediation == (("uv", "add", "--dev", "ruff"),)


def test_installed_differing_from_the_lock_is_drift(tmp_path: Path) -> None:
    """Installed 0.8.6 while uv.lock holds 0.8.4: drift, both satisfying >=0.8; `uv sync`."""
    _lock(tmp_path, ("ruff", "0.8.4"), ("mypy", "1.13.0"))
    entry = _ruff(tmp_path, "0.8.6")
    assert (entry.verdict, entry.locked) == (DriftVerdict.drift, "0.8.4")
    assert entry.message == "installed 0.8.6, locked 0.8.4 (uv.lock)"
    assert entry.remediation == (SYNC,)


def test_locked_version_outside_the_specifier_is_drift(tmp_path: Path) -> None:
    """uv.lock holding 0.7.0 against >=0.8 is drift, fixed by upgrading the lock."""
    _lock(tmp_path, ("ruff", "0.7.0"))
    entry = _ruff(tmp_path, "0.8.0")
    assert entry.verdict is DriftVerdict.drift
    assert entry.message == "uv.lock locks 0.7.0, which does not satisfy >=0.8"
    assert entry.remediation == UPGRADE_RUFF


def test_pylock_is_read_when_there_is_no_uv_lock(tmp_path: Path) -> None:
    """A PEP 751 pylock.toml ([[packages]]) serves as the lock."""
    _write(tmp_path, "pylock.toml", '[[packages]]\nname = "Ruff"\nversion = "0.9.1"\n')
    entry = _ruff(tmp_path, "0.9.0")
    assert (entry.verdict, entry.locked) == (DriftVerdict.drift, "0.9.1")
    assert entry.message == "installed 0.9.0, locked 0.9.1 (pylock.toml)"


def test_a_forked_lock_matches_the_installed_version(tmp_path: Path) -> None:
    """A lock holding two versions of one package (resolution forks) agrees with either."""
    _lock(tmp_path, ("ruff", "0.9.0"), ("ruff", "0.8.4"))
    entry = _ruff(tmp_path, "0.8.4")
    assert (entry.verdict, entry.locked) == (DriftVerdict.ok, "0.8.4")


def test_older_pre_commit_pin_is_autoupdated(tmp_path: Path) -> None:
    """A pin older than the lock is a pin-mismatch fixed by `pre-commit autoupdate --repo URL`."""
    _lock(tmp_path, ("ruff", "0.8.4"))
    url = "https://GitHub.com/astral-sh/Ruff-Pre-Commit.git/"  # same repo, spelt differently
    _pin(tmp_path, "v0.8.0", url)
    entry = _ruff(tmp_path, "0.8.4")
    assert (entry.verdict, entry.pinned) == (DriftVerdict.pin_mismatch, "0.8.0")
    assert entry.message == "pre-commit pins 0.8.0, older than the locked 0.8.4"
    assert entry.remediation == (("pre-commit", "autoupdate", "--repo", url),)


def test_newer_pre_commit_pin_upgrades_the_lock(tmp_path: Path) -> None:
    """A pin newer than the installed version (no lock) upgrades the lock, then syncs."""
    _pin(tmp_path, "v0.9.0")
    entry = _ruff(tmp_path, "0.8.4")
    assert entry.verdict is DriftVerdict.pin_mismatch
    assert entry.message == "pre-commit pins 0.9.0, newer than the installed 0.8.4"
    assert entry.remediation == UPGRADE_RUFF


def test_matching_pre_commit_pin_is_ok(tmp_path: Path) -> None:
    """A pin equal to the lock (v0.8.4 vs 0.8.4) is ok."""
    _lock(tmp_path, ("ruff", "0.8.4"))
    _pin(tmp_path, "v0.8.4")
    assert _ruff(tmp_path, "0.8.4").verdict is DriftVerdict.ok


def test_unquoted_rev_keeps_its_digits(tmp_path: Path) -> None:
    """An unquoted `rev: 0.10` is the version 0.10, not the YAML number 0.1."""
    _lock(tmp_path, ("ruff", "0.10"))
    _pin(tmp_path, "0.10")
    entry = _ruff(tmp_path, "0.10")
    assert entry.pinned == "0.10"
    assert entry.verdict is DriftVerdict.ok


def test_commit_sha_pin_is_not_compared(tmp_path: Path) -> None:
    """A rev that is a commit SHA cannot be compared: ok, and the message says so."""
    sha = "1234567890abcdef1234567890abcdef12345678"
    _pin(tmp_path, sha)
    entry = _ruff(tmp_path, "0.8.4")
    assert (entry.verdict, entry.pinned) == (DriftVerdict.ok, sha)
    assert "not a version" in entry.message


def test_pin_of_an_unrelated_repository_is_ignored(tmp_path: Path) -> None:
    """Only the repos given for a tool can pin it."""
    _pin(tmp_path, "v0.1.0", "https://github.com/pre-commit/pre-commit-hooks")
    entry = _ruff(tmp_path, "0.8.4")
    assert (entry.verdict, entry.pinned) == (DriftVerdict.ok, None)


def test_include_group_is_followed_and_names_the_real_source(tmp_path: Path) -> None:
    """`{include-group = "lint"}` is accepted; the source names the group that declares it."""
    _write(
        tmp_path,
        "pyproject.toml",
        """\
        [dependency-groups]
        Lint = ["ruff>=0.8"]
        dev = [{include-group = "lint"}, "mypy>=1"]
        """,
    )
    entry = _ruff(tmp_path, "0.5.0")
    assert (entry.verdict, entry.source) == (
        DriftVerdict.drift,
        "pyproject.toml [dependency-groups] Lint",
    )


def test_include_of_an_unknown_group_is_a_config_error(tmp_path: Path) -> None:
    """An include-group naming no group is a ConfigError naming the table and the group."""
    _write(tmp_path, "pyproject.toml", '[dependency-groups]\ndev = [{include-group = "nope"}]\n')
    with pytest.raises(ConfigError, match=r"\[dependency-groups\] dev includes .*'nope'"):
        _ruff(tmp_path, "0.8.0")


def test_markers_that_do_not_apply_are_ignored(tmp_path: Path) -> None:
    """A requirement whose marker is false here declares nothing; a true marker applies."""
    _write(
        tmp_path,
        "pyproject.toml",
        """\
        [project]
        dependencies = ["ruff>=99; python_version < '3'", "ruff<1; python_version >= '3'"]
        """,
    )
    entry = _ruff(tmp_path, "0.8.0")
    assert (entry.verdict, entry.declared) == (DriftVerdict.ok, "<1")


def test_several_declarations_intersect_and_are_all_listed(tmp_path: Path) -> None:
    """Declarations in three tables intersect; the source lists each one."""
    _write(
        tmp_path,
        "pyproject.toml",
        """\
        [project.optional-dependencies]
        lint = ["Ruff>=0.8"]
        [dependency-groups]
        dev = ["ruff!=0.8.3"]
        [tool.uv]
        dev-dependencies = ["ruff[extra]<1"]
        """,
    )
    entry = _ruff(tmp_path, "0.8.3")
    assert (entry.verdict, entry.declared) == (DriftVerdict.drift, "!=0.8.3,<1,>=0.8")
    assert entry.source == (
        "pyproject.toml [project.optional-dependencies] lint; "
        "pyproject.toml [dependency-groups] dev; pyproject.toml [tool.uv] dev-dependencies"
    )


def test_names_are_normalised(tmp_path: Path) -> None:
    """`Pip_Audit` matches `pip.audit` declared and `pip-audit` installed; tools' order kept."""
    _write(tmp_path, "pyproject.toml", '[dependency-groups]\ndev = ["pip.audit>=2.7", "ruff"]\n')
    environment = _environment(tmp_path / "env", {"pip-audit": "2.9.0", "ruff": "0.1"})
    report = check_drift(tmp_path, environment=environment, tools={"ruff": [], "Pip_Audit": []})
    assert [(e.tool, e.verdict, e.declared) for e in report.entries] == [
        ("ruff", DriftVerdict.ok, ""),
        ("pip-audit", DriftVerdict.ok, ">=2.7"),
    ]


def test_malformed_requirement_is_a_config_error(tmp_path: Path) -> None:
    """A requirement that does not parse names the file, the table and the string."""
    _write(tmp_path, "pyproject.toml", '[dependency-groups]\ndev = ["ruff >>= 1"]\n')
    with pytest.raises(
        ConfigError, match=r"pyproject\.toml \[dependency-groups\] dev: 'ruff >>= 1'"
    ):
        _ruff(tmp_path, "0.8.0")


def test_malformed_pyproject_is_a_config_error(tmp_path: Path) -> None:
    """A pyproject.toml that is not TOML is a ConfigError naming it."""
    _write(tmp_path, "pyproject.toml", "[project\n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml is not valid TOML"):
        _ruff(tmp_path, "0.8.0")


@pytest.mark.parametrize("text", ["repos: [\n", "repos: {a: 1}\n", "- just\n- a list\n"])
def test_malformed_pre_commit_config_is_a_config_error(tmp_path: Path, text: str) -> None:
    """A .pre-commit-config.yaml that is not YAML, or has no list of repos, names the file."""
    _write(tmp_path, ".pre-commit-config.yaml", text)
    with pytest.raises(ConfigError, match=r"\.pre-commit-config\.yaml") as caught:
        _ruff(tmp_path, "0.8.0")
    assert "\n" not in caught.value.message  # PyYAML's own text spans several lines


def test_a_yaml_error_names_line_and_column(tmp_path: Path) -> None:
    """The parser's problem and where, on one line."""
    _write(tmp_path, ".pre-commit-config.yaml", "repos:\n  - repo: x\n    rev: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        _ruff(tmp_path, "0.8.0")
    assert caught.value.message == (
        ".pre-commit-config.yaml is not valid YAML: line 4, column 1: "
        "expected ',' or ']', but got '<stream end>'"
    )


_RELEASES = st.lists(st.integers(0, 30), min_size=1, max_size=4).map(
    lambda parts: ".".join(map(str, parts))
)
_VERSIONS = st.builds(
    str.__add__,
    _RELEASES,
    st.sampled_from(["", "a1", "b2", "rc3", ".post1", ".dev0", "rc1.post2.dev3"]),
)


@settings(max_examples=150, deadline=None)
@given(installed=_VERSIONS, bound=_VERSIONS, local=st.sampled_from(["", "+local.7"]))
def test_ge_bound_is_drift_exactly_when_installed_is_older(
    installed: str, bound: str, local: str
) -> None:
    """A tool declared `>=b` and installed at v is drift if and only if v < b."""
    with tempfile.TemporaryDirectory(prefix="hephaestus-drift-") as temporary:
        entry = _ruff(Path(temporary), installed + local, declared=f">={bound}")
    assert (entry.verdict is DriftVerdict.drift) == (Version(installed) < Version(bound))
    assert entry.verdict in {DriftVerdict.drift, DriftVerdict.ok}


# --- remediation -----------------------------------------------------------------------------


@pytest.fixture
def calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put only a recording fake `uv` on PATH; return the file it appends its argv to."""
    record, bin_dir = tmp_path / "calls.txt", tmp_path / "bin"
    bin_dir.mkdir()
    uv = bin_dir / "uv"
    # Builtins only (PATH holds nothing else): one argument per line, then an end marker.
    uv.write_text(
        f"""#!/bin/sh
for arg in "$@"; do printf '%s\\n' "$arg" >> '{record}'; done
printf '%s\\n' '{END}' >> '{record}'
echo "uv did $1"
[ "$1" = lock ] && exit 2
exit 0
""",
        encoding="utf-8",
    )
    uv.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    return record


def _recorded(record: Path) -> list[list[str]]:
    """The argv (without the program) of every call, in order."""
    text = record.read_text(encoding="utf-8") if record.exists() else ""
    calls: list[list[str]] = [[]]
    for line in text.splitlines():
        if line == END:
            calls.append([])
        else:
            calls[-1].append(line)
    return calls[:-1]


def _report(*remediations: tuple[tuple[str, ...], ...]) -> DriftReport:
    entries = tuple(
        DriftEntry(
            tool=f"tool{i}",
            declared=None,
            installed=None,
            source="test",
            verdict=DriftVerdict.drift,
            message="test",
            remediation=remediation,
        )
        for i, remediation in enumerate(remediations)
    )
    return DriftReport(entries=entries)


def test_remediation_runs_each_command_once_with_sync_last(tmp_path: Path, calls: Path) -> None:
    """Distinct commands run once each, `uv sync` after every lock upgrade; statuses captured."""
    report = _report((SYNC,), UPGRADE_RUFF, ((SYNC[0], "lock", "--upgrade-package", "mypy"), SYNC))
    results = remediate_drift(report, root=tmp_path, timeout=30)
    assert _recorded(calls) == [
        ["lock", "--upgrade-package", "ruff"],
        ["lock", "--upgrade-package", "mypy"],
        ["sync"],
    ]
    assert [(r.argv[1:], r.returncode, r.output) for r in results] == [
        (("lock", "--upgrade-package", "ruff"), 2, "uv did lock"),
        (("lock", "--upgrade-package", "mypy"), 2, "uv did lock"),
        (("sync",), 0, "uv did sync"),
    ]


def test_remediation_never_uses_a_shell(tmp_path: Path, calls: Path) -> None:
    """Arguments with `>=`, spaces, `;` and `$` arrive verbatim; no redirection file appears."""
    hostile = ("ruff >= 0.8 ; echo $HOME", "a > =b", "`x`")
    remediate_drift(_report((("uv", "add", *hostile),)), root=tmp_path, timeout=30)
    assert _recorded(calls) == [["add", *hostile]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "calls.txt", "home"]


def test_remediation_of_a_computed_report(tmp_path: Path, calls: Path) -> None:
    """The remediation check_drift proposes for a missing undeclared tool is what runs."""
    entry = _ruff(tmp_path, None, declared=None)
    results = remediate_drift(DriftReport(entries=(entry,)), root=tmp_path, timeout=30)
    assert _recorded(calls) == [["add", "--dev", "ruff"]]
    assert results[0].returncode == 0


def test_missing_program_gives_no_returncode(tmp_path: Path, calls: Path) -> None:
    """A missing `pre-commit` is a result with returncode None and the reason; later ones run."""
    autoupdate = ("pre-commit", "autoupdate", "--repo", RUFF_URL)
    results = remediate_drift(_report((autoupdate,), (SYNC,)), root=tmp_path, timeout=30)
    assert (results[0].argv, results[0].returncode) == (autoupdate, None)
    assert "'pre-commit' is not installed" in results[0].output
    assert (results[1].returncode, _recorded(calls)) == (0, [["sync"]])


def test_timeout_gives_no_returncode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A command running past the timeout is stopped: returncode None and the reason."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "uv").write_text("#!/bin/sh\nexec /bin/sleep 30\n", encoding="utf-8")
    (bin_dir / "uv").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    (result,) = remediate_drift(_report((SYNC,)), root=tmp_path, timeout=0.3)
    assert result.returncode is None
    assert "did not finish within 0.3 s" in result.output


@pytest.mark.parametrize("rev", ["stable", "abcdef0"])
def test_other_non_version_revs_are_not_compared(tmp_path: Path, rev: str) -> None:
    """A branch name or a short SHA as rev is not compared either."""
    _pin(tmp_path, rev)
    entry = _ruff(tmp_path, "0.8.4")
    assert entry.verdict is DriftVerdict.ok
    assert entry.message == f"pre-commit rev {rev!r} is not a version, so the pin was not compared"


def test_pin_alone_counts_as_a_declaration(tmp_path: Path) -> None:
    """A tool only pinned for pre-commit is judged against its pin, not called undeclared."""
    _pin(tmp_path, "0.8.4")
    entry = _ruff(tmp_path, "0.8.4", declared=None)
    assert (entry.verdict, entry.source) == (DriftVerdict.ok, ".pre-commit-config.yaml only")


def test_pinned_only_and_not_installed_is_added(tmp_path: Path) -> None:
    """`uv sync` cannot install a tool only pre-commit names: the fix is `uv add --dev`."""
    _pin(tmp_path, "0.8.4")
    entry = _ruff(tmp_path, None, declared=None)
    assert entry.verdict is DriftVerdict.missing
    assert entry.remediation == (("uv", "add", "--dev", "ruff"),)


def test_locked_only_tool_is_compared_with_the_lock(tmp_path: Path) -> None:
    """A tool locked (as a transitive dependency) but not declared is compared with the lock."""
    _lock(tmp_path, ("ruff", "0.8.4"))
    entry = _ruff(tmp_path, "0.8.3", declared=None)
    assert (entry.verdict, entry.declared, entry.source) == (
        DriftVerdict.drift,
        None,
        "uv.lock only",
    )


def test_equal_versions_spelt_differently_agree(tmp_path: Path) -> None:
    """Installed 0.8 and locked 0.8.0 are the same version."""
    _lock(tmp_path, ("ruff", "0.8.0"))
    assert _ruff(tmp_path, "0.8").verdict is DriftVerdict.ok


@pytest.mark.parametrize(
    ("name", "text", "complaint"),
    [
        (
            "pyproject.toml",
            'dependency-groups = ["ruff"]\n',
            r"\[dependency-groups\] is not a table",
        ),
        ("pyproject.toml", '[dependency-groups]\ndev = "ruff"\n', r"dev is not a list"),
        ("pyproject.toml", "[dependency-groups]\ndev = [1]\n", r"dev: 1 is neither a requirement"),
        ("uv.lock", 'package = "ruff"\n', r"uv\.lock: package is not an array of tables"),
        ("uv.lock", "[[package]\n", r"uv\.lock is not valid TOML"),
    ],
)
def test_misshapen_files_are_config_errors(
    tmp_path: Path, name: str, text: str, complaint: str
) -> None:
    """Tables, lists and locks of the wrong shape are ConfigErrors naming what is wrong."""
    _write(tmp_path, name, text)
    with pytest.raises(ConfigError, match=complaint):
        _ruff(tmp_path, "0.8.0", declared=None)
