"""Guard-rails on repositories nobody here wrote: their environment, their configuration.

Every test builds a real git repository in tmp_path with its own virtual environment (real
pytest, mypy, ruff and yamllint linked from the test environment, see tests/venvs.py) and runs
the real built-in gates through :func:`run_guard_rails`: no false pass, nothing written.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import TYPE_CHECKING

import pytest
from tests.gitrepo import git
from tests.venvs import make_venv

from hephaestus.core.errors import ExitCode
from hephaestus.gates.models import GateStatus
from hephaestus.gates.runner import GuardRailsOptions, run_guard_rails
from hephaestus.gates.settings import GuardRailsSection

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from hephaestus.gates.models import GateResult, GuardRailsReport

TOOLS = ("pytest", "mypy", "ruff", "yamllint")


def write(root: Path, files: Mapping[str, str]) -> None:
    """Write ``files`` (relative name -> text) below ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def repository(
    root: Path, files: Mapping[str, str], *, venv: bool = True, tools: tuple[str, ...] = TOOLS
) -> Path:
    """A committed git repository holding ``files``, with a project venv unless told not to."""
    root.mkdir(parents=True)
    git(root, "init", "-q")
    write(root, {".gitignore": ".venv/\n__pycache__/\n", **files})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    if venv:
        make_venv(root / ".venv", tools=tools, editable=root)
    return root


def guard_rails(
    root: Path, *, on_start: Callable[[str], None] | None = None, **options: object
) -> GuardRailsReport:
    """Run the real built-in gates on ``root``."""
    return run_guard_rails(
        root,
        options=GuardRailsOptions(**options),  # type: ignore[arg-type]
        section=GuardRailsSection(),
        on_start=on_start,
    )


def result(report: GuardRailsReport, gate: str) -> GateResult:
    """The result of ``gate`` in ``report``."""
    return next(r for r in report.results if r.name == gate)


def tree(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` (ignored ones included) but git's data and hephaestus' state."""
    found = {}
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = [d for d in subdirs if d not in {".git", ".hephaestus"}]
        for name in names:
            path = os.path.join(directory, name)  # noqa: PTH118
            if not os.path.islink(path):  # noqa: PTH114
                with open(path, "rb") as handle:  # noqa: PTH123
                    found[os.path.relpath(path, root)] = handle.read()
    return found


@pytest.fixture(autouse=True)
def _no_activated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever venv runs the suite, each test says which one (if any) is active."""
    for name in ("VIRTUAL_ENV", "CONDA_PREFIX", "UV_PROJECT_ENVIRONMENT", "PYTEST_ADDOPTS"):
        monkeypatch.delenv(name, raising=False)


SHADOW = {
    # `rich` is also installed in hephaestus' environment, where its Text works.
    "pyproject.toml": (
        '[project]\nname = "rich"\nversion = "0"\n'
        '[dependency-groups]\ndev = ["pytest"]\n'
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'
    ),
    "src/rich/__init__.py": "",
    "src/rich/text.py": (
        "class Text:\n    def __init__(self, text):\n        raise RuntimeError('broken')\n"
    ),
    "tests/test_text.py": (
        "from rich.text import Text\n\n\ndef test_plain():\n    assert Text('a').plain == 'a'\n"
    ),
}


def test_tests_import_the_project_not_hephaestus_copy(tmp_path: Path) -> None:
    """A package also installed beside hephaestus: its tests run against the project's code."""
    root = repository(tmp_path / "repo", SHADOW)
    report = guard_rails(root)
    pytest_result = result(report, "pytest")
    assert pytest_result.status is GateStatus.failed
    assert "broken" in " ".join(f.message for f in pytest_result.findings)
    assert report.environment is not None
    assert report.exit_code == ExitCode.FINDINGS


def test_no_project_environment_is_never_a_pass(tmp_path: Path) -> None:
    """Without a project environment, the gates that import the project could not run: exit 5."""
    root = repository(tmp_path / "repo", SHADOW, venv=False)
    report = guard_rails(root)
    pytest_result = result(report, "pytest")
    assert pytest_result.status is GateStatus.could_not_run
    assert "no Python environment" in (pytest_result.reason or "")
    assert "uv sync" in (pytest_result.hint or "")
    assert report.environment is None
    assert report.exit_code == ExitCode.EXTERNAL


def test_hephaestus_own_active_venv_is_not_the_project_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """VIRTUAL_ENV naming hephaestus' own environment (uvx, pipx) is passed over."""
    root = repository(tmp_path / "repo", SHADOW, venv=False)
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    report = guard_rails(root)
    assert result(report, "pytest").status is GateStatus.could_not_run


def test_another_active_venv_is_the_project_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An activated venv outside the tree (virtualenvwrapper style) is the project's."""
    root = repository(tmp_path / "repo", SHADOW, venv=False)
    venv = make_venv(tmp_path / "elsewhere", tools=TOOLS, editable=root)
    monkeypatch.setenv("VIRTUAL_ENV", str(venv))
    report = guard_rails(root)
    assert result(report, "pytest").status is GateStatus.failed
    assert report.environment is not None
    assert "VIRTUAL_ENV" in report.environment


def test_python_option_names_the_environment(tmp_path: Path) -> None:
    """--python names the project's interpreter; its environment runs the tests."""
    root = repository(tmp_path / "repo", SHADOW, venv=False)
    venv = make_venv(tmp_path / "env", tools=TOOLS, editable=root)
    report = guard_rails(root, python=str(venv / "bin" / "python"))
    assert result(report, "pytest").status is GateStatus.failed


FIXING = {
    "pyproject.toml": (
        '[project]\nname = "demo"\nversion = "0"\n'
        '[dependency-groups]\ndev = ["pytest", "mypy", "ruff", "yamllint"]\n'
        "[tool.ruff]\nfix = true\nunsafe-fixes = true\n"
        '[tool.mypy]\nfiles = ["src"]\n'
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\naddopts = "--cache-clear"\n'
    ),
    ".pre-commit-config.yaml": (
        "repos:\n- repo: https://github.com/astral-sh/ruff-pre-commit\n  rev: v0.8.0\n"
        "  hooks:\n  - id: ruff\n    args: [--fix, --unsafe-fixes]\n  - id: ruff-format\n"
    ),
    ".yamllint": "extends: default\nrules:\n  document-start: disable\n",
    "config.yaml": "key: value\nlist: [1,2]\n",
    "src/demo/__init__.py": "from demo.core import f\n\n__all__ = ['f']\n",
    "src/demo/core.py": "import os\n\n\ndef f(x: int) -> str:\n    return x\n",
    "src/demo/fmt.py": "VALUE = {  'a':1 }\n",
    "tests/test_demo.py": "import demo\n\n\ndef test_f():\n    assert demo.f(1) == '1'\n",
}


def test_a_check_writes_nothing_whatever_the_project_asks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fix = true, --fix hook args, --cache-clear: every built-in gate runs, the tree is unchanged.

    pip-audit is sent to a closed local port (the internet does not exist here): it runs, and
    could not reach its service.
    """
    for proxy in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(proxy, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    root = repository(tmp_path / "repo", FIXING, tools=(*TOOLS, "pip", "pip-audit"))
    before = tree(root)
    everything = ("ruff-check", "ruff-format", "mypy", "pytest", "yamllint", "pip-audit")
    report = guard_rails(root, gates=everything, timeout=60)
    assert tree(root) == before
    statuses = {r.name: r.status for r in report.results}
    assert statuses == dict.fromkeys(everything[:-1], GateStatus.failed) | {
        "pip-audit": GateStatus.could_not_run
    }
    assert {f.rule for f in result(report, "ruff-check").findings} >= {"F401"}
    assert "--no-fix" in result(report, "ruff-check").command
    assert git(root, "status", "--porcelain", "--ignored").split(b"\n") == [
        b"!! .hephaestus/",
        b"!! .venv/",
        b"",
    ]


def test_fix_writes_only_when_asked(tmp_path: Path) -> None:
    """--fix applies ruff's fixes and formatting: the one way a run writes."""
    root = repository(tmp_path / "repo", FIXING)
    guard_rails(root, gates=("ruff-check", "ruff-format"), fix=True)
    assert "import os" not in (root / "src/demo/core.py").read_text()
    assert (root / "src/demo/fmt.py").read_text() == 'VALUE = {"a": 1}\n'


@pytest.mark.parametrize("slower", ["ruff-check", "ruff-format"])
def test_fixes_then_formatting_whatever_the_last_durations(tmp_path: Path, slower: str) -> None:
    """--fix writes in one order (ruff's fixes, then its formatting), never by durations.

    Longest-first put the formatter first when it had been the slower: what --fix wrote then
    depended on the last run's timings (found on click).
    """
    root = repository(tmp_path / "repo", FIXING)
    durations = {"ruff-check": 0.01, "ruff-format": 0.01} | {slower: 5.0}
    state = root / ".hephaestus" / "guard-rails"
    state.mkdir(parents=True)
    (state / "durations.json").write_text(json.dumps(durations))
    order: list[str] = []
    guard_rails(root, gates=("ruff-check", "ruff-format"), fix=True, on_start=order.append)
    assert order == ["ruff-check", "ruff-format"]


def test_gates_the_project_does_not_use_are_skipped(tmp_path: Path) -> None:
    """No yamllint, mypy or pip-audit configuration: skipped as not configured, not passed."""
    root = repository(
        tmp_path / "repo",
        {**SHADOW, "config.yaml": "key: value\nkey: duplicate\n", "src/rich/extra.py": "x = 1\n"},
    )
    report = guard_rails(root)
    for gate in ("yamllint", "mypy", "pip-audit", "ruff-check", "ruff-format"):
        skipped = result(report, gate)
        assert skipped.status is GateStatus.skipped, gate
        assert (skipped.reason or "").startswith("not configured"), gate
    forced = guard_rails(root, gates=("yamllint",))
    assert result(forced, "yamllint").status is GateStatus.failed


MYPY_PROJECT = {
    "pyproject.toml": '[project]\nname = "demo"\nversion = "0"\n',
    "src/demo/__init__.py": "",
    "src/demo/checked.py": "def f() -> int:\n    return 'checked'\n",
    "other/unchecked.py": "def g() -> int:\n    return 'unchecked'\n",
}


@pytest.mark.parametrize(
    ("config", "checked"),
    [
        (
            {"pyproject.toml": MYPY_PROJECT["pyproject.toml"] + '[tool.mypy]\nfiles = ["src"]\n'},
            "src",
        ),
        ({"mypy.ini": "[mypy]\nfiles = other\n"}, "other"),
        (
            {
                ".pre-commit-config.yaml": (
                    "repos:\n- repo: https://github.com/pre-commit/mirrors-mypy\n  rev: v1.13.0\n"
                    "  hooks:\n  - id: mypy\n    files: ^other/\n    args: [--strict]\n"
                )
            },
            "other",
        ),
    ],
    ids=["tool.mypy files", "mypy.ini", "pre-commit hook"],
)
def test_mypy_checks_what_the_project_names(
    tmp_path: Path, config: dict[str, str], checked: str
) -> None:
    """Mypy's targets come from [tool.mypy], mypy.ini or the pre-commit hook: never guessed."""
    root = repository(tmp_path / "repo", {**MYPY_PROJECT, **config})
    report = guard_rails(root)
    mypy = result(report, "mypy")
    assert mypy.status is GateStatus.failed
    assert {f.path.split("/")[0] for f in mypy.findings if f.path} == {checked}


def test_mypy_configured_without_targets_is_not_guessed(tmp_path: Path) -> None:
    """[tool.mypy] without files: skipped as not configured, and forced it could not run."""
    root = repository(
        tmp_path / "repo",
        {**MYPY_PROJECT, "pyproject.toml": MYPY_PROJECT["pyproject.toml"] + "[tool.mypy]\n"},
    )
    assert result(guard_rails(root), "mypy").status is GateStatus.skipped
    forced = result(guard_rails(root, gates=("mypy",)), "mypy")
    assert forced.status is GateStatus.could_not_run
    assert "names no files" in (forced.reason or "")


CACHED = {
    "pyproject.toml": (
        '[project]\nname = "demo"\nversion = "0"\n'
        '[dependency-groups]\ndev = ["pytest", "ruff"]\n'
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["src"]\n'
    ),
    # ruff is configured nowhere in the tree: its configuration may come from above (below).
    ".pre-commit-config.yaml": (
        "repos:\n- repo: https://github.com/astral-sh/ruff-pre-commit\n  rev: v0.17.3\n"
        "  hooks:\n  - id: ruff-format\n"
    ),
    ".gitignore": ".venv/\n__pycache__/\nsrc/demo/generated.py\ntests/data/\n",
    "README.md": "# Demo\n\n```python\nx = 1\n```\n",
    "src/demo/__init__.py": '"""Demo."""\n',
    "src/demo/core.py": '"""Core."""\n\nfrom demo.generated import VALUE\n\nANSWER = VALUE\n',
    "src/demo/generated.py": "VALUE = 42\n",
    "tests/data/expected.txt": "42\n",
    "tests/test_core.py": (
        "import pathlib\n\nfrom demo.core import ANSWER\n\n\ndef test_answer():\n"
        '    expected = pathlib.Path(__file__).parent / "data" / "expected.txt"\n'
        "    assert ANSWER == int(expected.read_text())\n"
    ),
}


def _stale_case(name: str, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Make the change of case ``name``; return the gate it must re-run (and fail)."""
    if name == "PYTEST_ADDOPTS":
        monkeypatch.setenv("PYTEST_ADDOPTS", "-k no_test_has_this_name")
        return "pytest"
    if name == "ignored module":
        (root / "src/demo/generated.py").write_text("VALUE = 41\n")
        return "pytest"
    if name == "ignored test data":
        (root / "tests/data/expected.txt").write_text("43\n")
        return "pytest"
    if name == "Markdown code block":  # ruff formats Python blocks in Markdown (0.16 on)
        (root / "README.md").write_text("# Demo\n\n```python\nx = {  'a':1 }\n```\n")
        return "ruff-format"
    if name == "parent ruff.toml":
        (tmp_path / "ruff.toml").write_text('[lint]\nselect = ["D"]\n')
        return "ruff-check"
    config = tmp_path / "home" / ".config" / "ruff"
    config.mkdir(parents=True)
    (config / "ruff.toml").write_text('[lint]\nselect = ["D"]\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    return "ruff-check"


@pytest.mark.parametrize(
    "case",
    [
        "PYTEST_ADDOPTS",
        "ignored module",
        "ignored test data",
        "Markdown code block",
        "parent ruff.toml",
        "user ruff config",
    ],
)
def test_no_stale_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    """After a change the gate could see, the run fails exactly as --no-cache does."""
    if case == "user ruff config":
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    root = repository(tmp_path / "work" / "repo", CACHED)
    gates = ("pytest", "ruff-check", "ruff-format")
    first = guard_rails(root)
    assert {result(first, g).status for g in gates} == {GateStatus.passed}
    again = guard_rails(root)
    assert {result(again, g).status for g in gates} == {GateStatus.cached}
    gate = _stale_case(case, root, tmp_path / "work", monkeypatch)
    after = result(guard_rails(root), gate)
    fresh = result(guard_rails(root, cache=False), gate)
    assert after.status is GateStatus.failed
    assert after.status is fresh.status
    assert after.findings == fresh.findings


@pytest.mark.parametrize("source", [".git/info/exclude", "global ignore file"])
def test_un_ignoring_a_failing_file_is_no_stale_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    """A file git ignored through rules outside the tree, un-ignored, is checked at once.

    Found on httpcore: the pass recorded while ``.git/info/exclude`` hid a module with an unused
    import was served after the line was removed, though ``ruff check`` failed.
    """
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    root = repository(tmp_path / "repo", CACHED)
    write(root, {"src/demo/scratch.py": "import os\n"})  # untracked, fails F401
    rules = root / ".git/info/exclude" if source.startswith(".git") else config / "git/ignore"
    rules.parent.mkdir(parents=True, exist_ok=True)
    rules.write_text("src/demo/scratch.py\n")
    assert result(guard_rails(root), "ruff-check").status is GateStatus.passed
    assert result(guard_rails(root), "ruff-check").status is GateStatus.cached
    rules.write_text("")
    after = result(guard_rails(root), "ruff-check")
    fresh = result(guard_rails(root, cache=False), "ruff-check")
    assert after.status is GateStatus.failed
    assert after.findings == fresh.findings


def test_a_file_edited_while_the_gate_runs_is_not_cached_as_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass measured on the old content is not stored: the next run re-runs and fails."""
    marker = tmp_path / "read"
    monkeypatch.setenv("READ_MARKER", str(marker))
    slow = {
        **CACHED,
        # After the test data has been read, say so, then take a while.
        "tests/test_slow.py": (
            "import os, pathlib, time\n\n\ndef test_slow():\n"
            "    pathlib.Path(__file__).parent.joinpath('data', 'expected.txt').read_text()\n"
            "    pathlib.Path(os.environ['READ_MARKER']).touch()\n    time.sleep(1.5)\n"
        ),
    }
    root = repository(tmp_path / "repo", slow)

    def edit_after_the_read() -> None:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        (root / "tests/data/expected.txt").write_text("0\n")

    editor = threading.Thread(target=edit_after_the_read)
    editor.start()
    first = guard_rails(root, gates=("pytest",))
    editor.join()
    assert result(first, "pytest").status is GateStatus.passed  # it read the old content
    assert result(guard_rails(root, gates=("pytest",)), "pytest").status is GateStatus.failed


def test_a_cache_entry_tracked_by_git_is_never_trusted(tmp_path: Path) -> None:
    """A cache committed to the repository (by mistake or on purpose) is not served."""
    root = repository(tmp_path / "repo", CACHED)
    guard_rails(root, gates=("pytest",))
    assert result(guard_rails(root, gates=("pytest",)), "pytest").status is GateStatus.cached
    git(root, "add", "-f", ".hephaestus/cache")
    git(root, "commit", "-q", "-m", "commit the cache")
    assert result(guard_rails(root, gates=("pytest",)), "pytest").status is GateStatus.passed


def test_longest_gate_starts_first(tmp_path: Path) -> None:
    """Gates start longest-first by the durations of the last run."""
    slow = {
        **CACHED,
        "tests/test_slow.py": "import time\n\n\ndef test_slow():\n    time.sleep(1)\n",
    }
    root = repository(tmp_path / "repo", slow)
    guard_rails(root, cache=False)
    order: list[str] = []
    guard_rails(root, cache=False, jobs=1, on_start=order.append)
    assert order[0] == "pytest"


def _installed_ruff() -> str:
    from importlib.metadata import version  # noqa: PLC0415

    return version("ruff")


@pytest.mark.parametrize("pinned", ["v0.11.11", "installed"])
def test_a_ruff_from_outside_must_be_the_project_s_version(tmp_path: Path, pinned: str) -> None:
    """Without a project environment, a ruff the project's pin rules out could not run."""
    rev = f"v{_installed_ruff()}" if pinned == "installed" else pinned
    hook = (
        f"repos:\n- repo: https://github.com/astral-sh/ruff-pre-commit\n  rev: {rev}\n"
        "  hooks:\n  - id: ruff\n"
    )
    files = {**CACHED, ".pre-commit-config.yaml": hook}
    root = repository(tmp_path / "repo", files, venv=False)
    ruff = result(guard_rails(root), "ruff-check")
    assert ruff.tool_origin in {"PATH", "hephaestus' environment"}
    if pinned == "installed":
        assert ruff.status is GateStatus.passed
    else:
        assert ruff.status is GateStatus.could_not_run
        assert "0.11.11" in (ruff.reason or "")
        assert "uv sync" in (ruff.hint or "")


def test_could_not_run_shows_the_command_and_the_tool_s_error(tmp_path: Path) -> None:
    """A tool's usage error: the report has the argv that ran and the tool's error line."""
    root = repository(tmp_path / "repo", CACHED)
    section = GuardRailsSection(gate={"ruff-check": {"args": ["--select", "NOTARULE"]}})
    report = run_guard_rails(root, options=GuardRailsOptions(), section=section)
    ruff = result(report, "ruff-check")
    assert ruff.status is GateStatus.could_not_run
    assert "NOTARULE" in ruff.command
    assert "Unknown rule selector `NOTARULE`" in (ruff.reason or "")
