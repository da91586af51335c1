"""The docs: reference pages match the code, nav and pages agree, the plugin guide is tested."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from mkdocs.config import load_config

from hephaestus.gates.registry import discover_gates

if TYPE_CHECKING:
    from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_cli_reference.py"
EXAMPLE = ROOT / "examples" / "gate-plugin"
BUILTIN_GATES = ["mypy", "pip-audit", "pytest", "ruff-check", "ruff-format", "yamllint"]


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    """Import scripts/gen_cli_reference.py (scripts are not a package) as a module."""
    spec = importlib.util.spec_from_file_location("gen_cli_reference", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _nav_pages(nav: Any) -> list[str]:  # noqa: ANN401  # mkdocs' nav: nested lists and dicts
    """Every page path listed in a mkdocs nav, depth first."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in _nav_pages(value)]
    if isinstance(nav, list):
        return [page for item in nav for page in _nav_pages(item)]
    return []


@pytest.fixture(scope="module")
def nav() -> tuple[Path, list[str]]:
    """The docs directory and the pages of the nav, read the way mkdocs reads them."""
    config = load_config(str(ROOT / "mkdocs.yml"))
    return Path(config.docs_dir), _nav_pages(config.nav)


def test_generated_pages_are_current(generator: ModuleType) -> None:
    """The committed CLI, exit-code and configuration pages equal what the code generates."""
    stale = sorted(generator.stale_pages(ROOT))
    assert stale == [], f"stale: {stale}; run `uv run python scripts/gen_cli_reference.py`"


def test_check_passes_on_the_committed_pages(
    generator: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    """`gen_cli_reference.py --check` exits 0 on the repository and says so."""
    assert generator.main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_check_fails_on_a_stale_page_and_writing_fixes_it(
    generator: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--check exits 1 naming an edited page; a plain run rewrites it and the check passes."""
    shutil.copytree(ROOT / "docs" / "reference", tmp_path / "docs" / "reference")
    page = tmp_path / generator.CLI_PAGE
    page.write_text(page.read_text(encoding="utf-8") + "hand edit\n", encoding="utf-8")
    (tmp_path / generator.CONFIGURATION_PAGE).unlink()

    assert generator.main(["--check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{generator.CLI_PAGE} is out of date" in err
    assert f"{generator.CONFIGURATION_PAGE} is out of date" in err
    assert generator.EXIT_CODES_PAGE not in err

    assert generator.main(["--root", str(tmp_path)]) == 0
    assert generator.main(["--check", "--root", str(tmp_path)]) == 0


def test_generated_pages_do_not_depend_on_the_machine(generator: ModuleType) -> None:
    """Generating twice gives the same text, free of this machine's paths."""
    first: dict[str, str] = generator.pages()
    assert first == generator.pages()
    local = {str(ROOT), str(Path.home()), sys.executable, sys.prefix}
    for name, text in first.items():
        assert not [path for path in local if path in text], name
        assert text.endswith("\n")
        assert not text.endswith("\n\n"), name
        assert all(line == line.rstrip() for line in text.splitlines()), name


def test_every_nav_page_exists(nav: tuple[Path, list[str]]) -> None:
    """Each page listed in mkdocs.yml's nav is a file under docs/."""
    docs, pages = nav
    assert pages
    missing = [page for page in pages if not (docs / page).is_file()]
    assert missing == []


def test_every_page_is_in_the_nav(nav: tuple[Path, list[str]]) -> None:
    """No Markdown page under docs/ is left out of the nav (it would be unreachable)."""
    docs, pages = nav
    on_disk = {path.relative_to(docs).as_posix() for path in docs.rglob("*.md")}
    assert on_disk - set(pages) == set()
    assert len(pages) == len(set(pages))


def test_configuration_documents_every_builtin_gate_table(generator: ModuleType) -> None:
    """The configuration page has a section per built-in gate, listing its own keys."""
    page: str = generator.pages()[generator.CONFIGURATION_PAGE]
    gates = generator.builtin_gates()
    assert [gate.name for gate in gates] == BUILTIN_GATES
    for gate in gates:
        assert f"### `[tool.hephaestus.guard-rails.gate.{gate.name}]`" in page
        for field in gate.config_model.model_fields:
            assert f"| `{field.replace('_', '-')}` |" in page, (gate.name, field)


def test_configuration_leaves_installed_plugins_out(
    generator: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gate plugin installed beside hephaestus changes nothing in the generated pages."""
    before = generator.pages()
    site = tmp_path / "site"
    shutil.copytree(EXAMPLE / "src" / "hephaestus_forbid_todo", site / "hephaestus_forbid_todo")
    info = site / "hephaestus_forbid_todo-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: hephaestus-forbid-todo\nVersion: 1.0.0\n"
    )
    (info / "entry_points.txt").write_text(
        "[hephaestus.gates]\nforbid-todo = hephaestus_forbid_todo:ForbidTodo\n"
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "hephaestus_forbid_todo", raising=False)
    try:
        assert "forbid-todo" in discover_gates()
        assert generator.pages() == before
    finally:
        sys.modules.pop("hephaestus_forbid_todo", None)  # imported from tmp_path: forget it


def test_plugin_guide_includes_the_tested_example(nav: tuple[Path, list[str]]) -> None:
    """The plugin how-to includes every source file of examples/gate-plugin via snippets."""
    docs, _ = nav
    config = load_config(str(ROOT / "mkdocs.yml"))
    snippets = config["mdx_configs"]["pymdownx.snippets"]
    assert snippets["check_paths"] is True
    assert [ROOT / base for base in snippets["base_path"]] == [EXAMPLE]
    page = (docs / "how-to" / "write-a-gate-plugin.md").read_text(encoding="utf-8")
    included = {line.split('"')[1] for line in page.splitlines() if line.startswith("--8<-- ")}
    sources = {
        path.relative_to(EXAMPLE).as_posix()
        for path in EXAMPLE.rglob("*")
        if path.suffix in {".py", ".toml"} and "__pycache__" not in path.parts
    }
    assert sources
    assert included == sources
