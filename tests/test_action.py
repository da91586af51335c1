"""The GitHub Action (``action.yml``), the workflows, dependabot, and the action's job summary.

What GitHub would run cannot run here, so each part is checked with the tools made for it:
actionlint (with shellcheck) for the workflows, including the inputs they give ``uses: ./``;
the schemas of schemastore that check-jsonschema ships for action metadata, workflows and
dependabot; shellcheck for the action's own scripts. Then the action's ``run`` steps are
executed in order by bash as the runner would (``$GITHUB_OUTPUT``, ``$GITHUB_PATH``,
``$GITHUB_STEP_SUMMARY``, the inputs and step outputs substituted), on a repository with a
seeded lint error: hephaestus installed by the install step (``version: action``, from this
checkout, into ``tmp_path``), the gates run, the reports written, the summary made, the exit
code kept. The ``uses:`` steps (setup-uv, the cache, the SARIF upload) are GitHub's own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from tests.gitrepo import git
from tests.venvs import make_venv

if TYPE_CHECKING:
    from collections.abc import Mapping

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "action.yml"
SUMMARY = ROOT / ".github" / "actions" / "guard-rails" / "summary.py"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
_BIN = Path(sys.executable).parent
_EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def _tool(name: str) -> str:
    """A tool of the dev dependency group, beside the interpreter running the tests."""
    found = _BIN / name
    if not found.is_file():
        pytest.fail(f"{name} is not installed: it is in the dev dependency group (`uv sync`)")
    return str(found)


def _run(
    argv: list[str], *, cwd: Path, env: Mapping[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, check=False,
        timeout=600,
    )  # fmt: skip


def _action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return loaded


# --- linters and schemas ----------------------------------------------------------------------


def test_every_workflow_passes_actionlint_with_shellcheck() -> None:
    """actionlint, shellcheck on, finds nothing in .github/workflows (``uses: ./`` included)."""
    done = _run([_tool("actionlint"), "-shellcheck", _tool("shellcheck")], cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""
    assert {w.name for w in WORKFLOWS} >= {"ci.yml", "release.yml", "codeql.yml"}


def test_actionlint_checks_the_inputs_given_to_this_action(tmp_path: Path) -> None:
    """An input the action does not declare is an error: actionlint reads ``action.yml``."""
    shutil.copy2(ACTION, tmp_path / "action.yml")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "x.yml").write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v6\n      - uses: ./\n        with:\n"
        "          gate: ruff-check\n",
        encoding="utf-8",
    )
    git(tmp_path, "init", "--quiet")
    done = _run([_tool("actionlint"), "-shellcheck="], cwd=tmp_path)
    assert done.returncode == 1
    assert 'input "gate" is not defined in action "hephaestus guard-rails"' in done.stdout


@pytest.mark.parametrize(
    ("schema", "files"),
    [
        ("vendor.github-actions", [ACTION]),
        ("vendor.github-workflows", WORKFLOWS),
        ("vendor.dependabot", [ROOT / ".github" / "dependabot.yml"]),
    ],
    ids=["action", "workflows", "dependabot"],
)
def test_the_metadata_matches_its_schema(schema: str, files: list[Path]) -> None:
    """The schemastore schema that check-jsonschema ships offline accepts each file."""
    argv = [_tool("check-jsonschema"), "--builtin-schema", schema, *map(str, files)]
    done = _run(argv, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_action_schema_rejects_a_composite_step_without_shell(tmp_path: Path) -> None:
    """The schema check is not vacuous: a composite ``run`` step needs ``shell``."""
    broken = _action()
    del broken["runs"]["steps"][1]["shell"]
    path = tmp_path / "action.yml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    argv = [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(path)]
    assert _run(argv, cwd=tmp_path).returncode == 1


def test_the_action_declares_its_inputs_outputs_and_pinned_majors() -> None:
    """Inputs and outputs as documented; third-party actions pinned by major version."""
    action = _action()
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {
        "gates", "baseline", "changed-since", "python", "version", "args", "upload-sarif",
    }  # fmt: skip
    assert action["inputs"]["version"]["default"] == "latest"
    assert set(action["outputs"]) == {"exit-code", "sarif", "junit", "json"}
    steps = action["runs"]["steps"]
    uses = [s["uses"] for s in steps if "uses" in s]
    assert all(re.fullmatch(r"[\w-]+/[\w/-]+@v\d+", u) for u in uses), uses
    assert any(u.startswith("astral-sh/setup-uv@") for u in uses)
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload"))
    assert upload["if"].startswith("always()")
    assert steps[-1]["run"].strip() == 'exit "$EXIT_CODE"'


def test_the_action_scripts_pass_shellcheck() -> None:
    """Every ``run`` of the action is clean bash, and takes inputs from ``env``, never inline."""
    for step in _action()["runs"]["steps"]:
        if "run" not in step:
            continue
        assert "${{" not in step["run"], f"{step['name']}: an expression inside the script"
        done = _run([_tool("shellcheck"), "--shell=bash", "-"], cwd=ROOT, stdin=step["run"])
        assert done.returncode == 0, f"{step['name']}: {done.stdout}"


# --- the job summary --------------------------------------------------------------------------


def _seeded(path: Path, unused: int) -> Path:
    """A project whose ruff finds ``unused`` F401 findings, with its own ``.venv`` holding ruff."""
    (path / "src" / "demo").mkdir(parents=True)
    (path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0"\n\n[tool.ruff]\nlint.select = ["F"]\n',
        encoding="utf-8",
    )
    (path / ".gitignore").write_text(".venv/\n.hephaestus/\n", encoding="utf-8")
    modules = ["os", "sys", "re", "json", "abc", "ast", "csv", "io", "math", "time"]
    lines = [f"import {modules[i % len(modules)]} as m{i}\n" for i in range(unused)]
    (path / "src" / "demo" / "__init__.py").write_text("".join(lines), encoding="utf-8")
    make_venv(path / ".venv", tools=["ruff"])
    git(path, "init", "--quiet")
    git(path, "add", "--all")
    return path


def _report(repo: Path, tmp_path: Path, *args: str) -> tuple[Path, int]:
    """Run ``hephaestus --format json guard-rails ARGS`` in ``repo``; the JSON file, exit code."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIRTUAL_ENV")}
    argv = [sys.executable, "-m", "hephaestus", "--format", "json", "guard-rails", *args]
    done = _run(argv, cwd=repo, env=env)
    report = tmp_path / "report.json"
    report.write_text(done.stdout, encoding="utf-8")
    return report, done.returncode


def _summary(report: Path, exit_code: int) -> str:
    done = _run([sys.executable, str(SUMMARY), str(report), str(exit_code)], cwd=report.parent)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_summary_lists_each_gate_and_the_first_findings(tmp_path: Path) -> None:
    """A real failing report: a row per gate, then the first 30 findings of 35, and the cap."""
    repo = _seeded(tmp_path / "repo", unused=35)
    report, code = _report(repo, tmp_path, "--gate", "ruff-check")
    assert code == 1
    markdown = _summary(report, code)
    assert markdown.startswith("## hephaestus guard-rails: failed: findings (exit 1)\n")
    assert "| mypy | ⏭️ skipped | 0.0 s | 0 | not selected |" in markdown
    assert re.search(r"\| ruff-check \| ❌ failed \| \d+\.\d s \| 35 \|", markdown)
    assert "### Findings: the first 30 of 35" in markdown
    assert "| ruff-check | error | `src/demo/__init__.py:1:14` | F401 |" in markdown
    assert markdown.count("| F401 |") == 30
    assert "at most 10 error and 10 warning annotations per step" in markdown


def test_the_summary_of_a_passing_run_has_no_findings_section(tmp_path: Path) -> None:
    """A clean project: every gate's row, no findings table."""
    repo = _seeded(tmp_path / "repo", unused=0)
    report, code = _report(repo, tmp_path, "--gate", "ruff-check")
    assert code == 0
    markdown = _summary(report, code)
    assert "guard-rails: passed (exit 0)" in markdown
    assert "| ruff-check | ✅ passed |" in markdown
    assert "Findings" not in markdown


def test_the_summary_of_a_usage_error_shows_the_error(tmp_path: Path) -> None:
    """``{"error": …}`` (exit 2): the message and hint, and that no gate ran."""
    repo = _seeded(tmp_path / "repo", unused=0)
    report, code = _report(repo, tmp_path, "--gate", "no-such-gate")
    assert code == 2
    markdown = _summary(report, code)
    assert "usage or configuration error (exit 2)" in markdown
    assert "**error:**" in markdown
    assert "no-such-gate" in markdown
    assert "No gate ran" in markdown


def test_the_summary_escapes_table_cells(tmp_path: Path) -> None:
    """Pipes, newlines and HTML in a message cannot break the table."""
    report = tmp_path / "report.json"
    finding = {
        "gate": "g", "rule": "R|1", "severity": "error", "message": "a | b\n<script>",
        "path": "x.py", "line": 2, "column": None,
    }  # fmt: skip
    result = {"name": "g", "status": "failed", "required": True, "duration": 0.5,
              "findings": [finding]}  # fmt: skip
    report.write_text(json.dumps({"results": [result], "duration": 1.0}), encoding="utf-8")
    markdown = _summary(report, 1)
    assert "| g | error | `x.py:2` | R\\|1 | a \\| b &lt;script&gt; |" in markdown


# --- the action's steps, run as the runner runs them -------------------------------------------


class Runner:
    """Runs the ``run`` steps of a composite action as GitHub's runner does, in one job."""

    def __init__(self, work: Path, inputs: Mapping[str, str], env: Mapping[str, str]) -> None:
        action = _action()
        self.inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
        self.inputs.update(inputs)
        self.steps: dict[str, dict[str, str]] = {}
        self.work = work
        self.env = dict(env)
        self.summary = work / "summary.md"
        self.summary.touch()

    def evaluate(self, text: str) -> str:
        """Substitute the expressions the action uses: inputs, step outputs, hashFiles."""

        def one(match: re.Match[str]) -> str:
            expression = match.group(1)
            if found := re.fullmatch(r"inputs\.([\w-]+)", expression):
                return self.inputs[found.group(1)]
            if found := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression):
                return self.steps.get(found.group(1), {}).get(found.group(2), "")
            if expression.startswith("hashFiles("):
                return "0" * 64
            raise AssertionError(f"unexpected expression {expression!r}")

        return _EXPRESSION.sub(one, text)

    def run(self, step: Mapping[str, Any], cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run one step in ``cwd``; record its outputs and the directories it adds to PATH."""
        output, path_file = self.work / "output", self.work / "path"
        output.write_text("", encoding="utf-8")
        path_file.write_text("", encoding="utf-8")
        env = {
            **self.env,
            **{k: self.evaluate(str(v)) for k, v in step.get("env", {}).items()},
            "GITHUB_OUTPUT": str(output),
            "GITHUB_PATH": str(path_file),
            "GITHUB_STEP_SUMMARY": str(self.summary),
        }
        argv = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]]
        done = _run(argv, cwd=cwd, env=env)
        lines = output.read_text(encoding="utf-8").splitlines()
        self.steps[step.get("id", step["name"])] = dict(ln.split("=", 1) for ln in lines if ln)
        for added in path_file.read_text(encoding="utf-8").splitlines():
            self.env["PATH"] = f"{added}{os.pathsep}{self.env['PATH']}"
        return done


def _uv() -> str:
    found = os.environ.get("UV") or shutil.which("uv")
    if found is None:
        pytest.fail("uv is needed: run the tests with `uv run pytest`")
    return found


def test_the_action_steps_install_run_summarise_and_keep_the_exit_code(tmp_path: Path) -> None:
    """Install from this checkout, run two gates on a seeded repo, summarise, exit 1."""
    repo = _seeded(tmp_path / "repo", unused=2)
    own_bin = str(_BIN)
    path = os.pathsep.join(
        [str(Path(_uv()).parent)]
        + [p for p in os.environ.get("PATH", "").split(os.pathsep) if p != own_bin]
    )
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))}
    env = {
        **kept,
        "PATH": path,
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_TOOL_DIR": str(tmp_path / "uv-tools"),
        "UV_TOOL_BIN_DIR": str(tmp_path / "uv-bin"),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
        "RUNNER_OS": "Linux",
        "RUNNER_TEMP": str(tmp_path / "runner-temp"),
    }
    (tmp_path / "runner-temp").mkdir()
    inputs = {"version": "action", "gates": "ruff-check, ruff-format", "args": "--jobs 1"}
    runner = Runner(tmp_path, inputs, env)
    for step in _action()["runs"]["steps"]:
        if "run" not in step:
            continue  # setup-uv, the cache and the SARIF upload are GitHub's
        done = runner.run(step, cwd=repo)
        if step.get("id") != "run" and not step["run"].startswith("exit"):
            assert done.returncode == 0, f"{step['name']}: {done.stdout}{done.stderr}"

    installed = runner.steps["install"]
    assert Path(installed["hephaestus"]).is_relative_to(tmp_path / "uv-bin")
    assert installed["cache-key"].startswith(f"hephaestus-Linux-py{sys.version_info[0]}.")
    assert installed["cache-key"].endswith(f"-{installed['version']}-{env['GITHUB_SHA']}")
    assert installed["cache-key"].startswith(installed["cache-restore"])
    assert installed["cache-restore"].startswith(installed["cache-fallback"])

    ran = runner.steps["run"]
    assert ran["exit-code"] == "1"
    assert Path(ran["sarif"]).is_file()
    assert Path(ran["junit"]).is_file()
    assert '"F401"' in Path(ran["sarif"]).read_text(encoding="utf-8")
    statuses = {
        r["name"]: r["status"] for r in json.loads(Path(ran["json"]).read_text())["results"]
    }
    assert statuses["ruff-check"] == "failed"
    assert statuses["ruff-format"] == "passed"
    assert statuses["mypy"] == "skipped"
    assert "### Findings: the first 2 of 2" in runner.summary.read_text(encoding="utf-8")
    assert done.returncode == 1, "the last step did not end with guard-rails' exit code"
