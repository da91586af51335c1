"""`hephaestus cleanup` from the command line: plan, refusals, confirmation, report, manifest."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.cleanup.conftest import build_repository

from hephaestus.cleanup.models import CleanupPlan, CleanupReport
from hephaestus.core.errors import ExitCode

if TYPE_CHECKING:
    from tests.conftest import Cli

HEPHAESTUS = str(Path(sys.executable).parent / "hephaestus")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The realistic repository of tests/cleanup, committed."""
    return build_repository(tmp_path / "repo")


def test_dry_run_json_is_the_plan(cli: Cli, repo: Path) -> None:
    """--dry-run --format json prints the whole plan and removes nothing."""
    out = cli("--format", "json", "cleanup", str(repo), "--deep-clean", "--dry-run")
    assert out.exit_code == 0, out.stderr
    plan = CleanupPlan.model_validate_json(out.stdout)
    assert len(plan.candidates) == 17
    assert all(Path(c.path).exists() for c in plan.candidates)
    assert not (repo / ".hephaestus" / "audit").exists()


def test_dry_run_text(cli: Cli, repo: Path) -> None:
    """Text dry run: a headline, totals per category, paths, skips with reasons."""
    out = cli("cleanup", str(repo), "--dry-run")
    assert out.exit_code == 0
    assert out.stdout.startswith("dry run: would remove ")
    assert "python-cache" in out.stdout
    assert "Icon\\r" in out.stdout
    assert "virtual-environment" in out.stdout


def test_real_run_removes_and_writes_manifest(cli: Cli, repo: Path) -> None:
    """A real run removes the plan, reports it as JSON and writes the manifest it names."""
    out = cli("--format", "json", "--run-id", "run7", "cleanup", str(repo), "--deep-clean")
    assert out.exit_code == 0, out.stderr
    report = CleanupReport.model_validate_json(out.stdout)
    assert len(report.removed) == 17
    assert report.manifest is not None
    manifest = Path(report.manifest)
    assert manifest.parent == repo / ".hephaestus" / "audit"
    assert manifest.name.endswith("-run7.json")
    assert CleanupReport.model_validate_json(manifest.read_text()) == report
    assert (repo / "src" / "demo" / "build" / "__init__.py").exists()
    assert not (repo / "build").exists()


def test_category_flags_and_config(cli: Cli, repo: Path) -> None:
    """Config sets the default categories and excludes; flags add and remove categories."""
    with (repo / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write(
            '\n[tool.hephaestus.cleanup]\ncategories = ["coverage"]\nexclude = ["htmlcov/"]\n'
        )
    plan = CleanupPlan.model_validate_json(
        cli("--format", "json", "cleanup", str(repo), "--dry-run", "--os-cruft").stdout
    )
    assert {c.category.value for c in plan.candidates} == {"coverage", "os-cruft"}
    assert not any(c.path.endswith("htmlcov") for c in plan.candidates)
    none = CleanupPlan.model_validate_json(
        cli("--format", "json", "cleanup", str(repo), "--dry-run", "--no-coverage").stdout
    )
    assert none.candidates == []


def test_root_defaults_to_repository_root(
    cli: Cli, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without ROOT, the git work tree of the current directory is cleaned."""
    monkeypatch.chdir(repo / "src" / "demo")
    plan = json.loads(cli("--format", "json", "cleanup", "--dry-run").stdout)
    assert plan["root"] == str(repo)


@pytest.mark.parametrize("root", ["/", "/usr/lib", "/etc/.."])
def test_refused_roots_exit_3(cli: Cli, root: str) -> None:
    """Dangerous roots exit 3 with a one-line error naming the rule."""
    out = cli("cleanup", root, "--dry-run")
    assert out.exit_code == ExitCode.SAFETY
    first = out.stderr.splitlines()[0]
    assert first.startswith("error: refusing to clean ")
    assert "filesystem root" in first or "system directory" in first


def test_home_refused_in_json(cli: Cli) -> None:
    """The home directory is refused with one JSON error document, exit 3."""
    out = cli("--format", "json", "cleanup", os.environ["HOME"], "--dry-run")
    assert out.exit_code == ExitCode.SAFETY
    assert json.loads(out.stdout)["error"]["code"] == "dangerous-path"


def test_outside_root_needs_permission_then_yes(cli: Cli, repo: Path, tmp_path: Path) -> None:
    """Outside ROOT: refused without --allow-outside-root, and without a terminal needs --yes."""
    other = tmp_path / "other"
    (other / "__pycache__").mkdir(parents=True)
    refused = cli("cleanup", str(repo), "--extra-path", str(other))
    assert refused.exit_code == ExitCode.SAFETY
    assert "outside the root" in refused.stderr
    unconfirmed = cli("cleanup", str(repo), "--extra-path", str(other), "--allow-outside-root")
    assert unconfirmed.exit_code == ExitCode.SAFETY
    assert "--yes" in unconfirmed.stderr
    assert (other / "__pycache__").exists()
    assert (repo / ".mypy_cache").exists()  # refused before anything was removed
    done = cli("cleanup", str(repo), "--extra-path", str(other), "--allow-outside-root", "--yes")
    assert done.exit_code == 0, done.stderr
    assert not (other / "__pycache__").exists()


def test_unwritable_manifest_is_refused_before_removing(
    cli: Cli, repo: Path, tmp_path: Path
) -> None:
    """If the manifest cannot be written, nothing is removed and the exit code is 2."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = cli("cleanup", str(repo), "--audit-manifest", str(blocker / "m.json"))
    assert out.exit_code == ExitCode.USAGE
    assert (repo / ".mypy_cache").exists()


def _on_terminal(argv: list[str], answer: str, cwd: Path) -> tuple[int, str]:
    """Run ``argv`` on a real pseudo-terminal, answer the prompt, return (code, screen)."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        argv, stdin=terminal, stdout=terminal, stderr=terminal, cwd=cwd, close_fds=True
    )
    os.close(terminal)
    screen, answered, deadline = b"", False, time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
            if not answered and b"Type 'yes'" in screen:
                os.write(controller, answer.encode() + b"\r")
                answered = True
        elif process.poll() is not None:
            break
    code = process.wait(timeout=30)
    os.close(controller)
    return code, screen.decode(errors="replace")


@pytest.mark.parametrize(("answer", "code"), [("yes", 0), ("y", 3)])
def test_typed_confirmation_on_a_terminal(
    repo: Path, tmp_path: Path, answer: str, code: int
) -> None:
    """On a terminal, cleaning outside ROOT asks to type 'yes'; anything else exits 3."""
    other = tmp_path / "other"
    (other / "__pycache__").mkdir(parents=True)
    argv = [HEPHAESTUS, "cleanup", str(repo), "--extra-path", str(other), "--allow-outside-root"]
    exit_code, screen = _on_terminal(argv, answer, tmp_path)
    assert exit_code == code, screen
    assert str(other) in screen
    assert (other / "__pycache__").exists() is (code != 0)


@pytest.mark.parametrize("pattern", ["!", "\\", "a/[z-a]"])
def test_invalid_exclude_pattern_is_a_usage_error(cli: Cli, repo: Path, pattern: str) -> None:
    """The patterns that crashed with exit 70, from a flag or from configuration, exit 2."""
    out = cli("cleanup", str(repo), "--dry-run", "--exclude", pattern)
    assert out.exit_code == ExitCode.USAGE, out.stderr
    assert out.stderr.startswith("error: invalid exclude pattern")
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + f"\n[tool.hephaestus.cleanup]\nexclude = [{json.dumps(pattern)}]\n"
    )
    out = cli("cleanup", str(repo), "--dry-run")
    assert out.exit_code == ExitCode.USAGE, out.stderr
    assert "[tool.hephaestus.cleanup] key 'exclude" in out.stderr  # checked as the config loads
    assert "is not a gitignore-style pattern" in out.stderr


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pattern=st.text(st.characters(exclude_categories=["Cs"]), max_size=12))
def test_no_exclude_pattern_is_an_internal_error(cli: Cli, tmp_path: Path, pattern: str) -> None:
    """Any pattern string, as a flag or in configuration: a plan (0) or a usage error (2)."""
    root = tmp_path / "plain"
    (root / "__pycache__").mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    out = cli("cleanup", str(root), "--dry-run", "--exclude", pattern)
    assert out.exit_code in {ExitCode.OK, ExitCode.USAGE}, out.stderr
    (root / "pyproject.toml").write_text(
        f"[project]\nname = 'x'\n[tool.hephaestus.cleanup]\nexclude = [{json.dumps(pattern)}]\n"
    )
    out = cli("cleanup", str(root), "--dry-run")
    assert out.exit_code in {ExitCode.OK, ExitCode.USAGE}, out.stderr
