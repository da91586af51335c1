"""The service reference (api.md, openapi.json) matches the server, the registry and the protos."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from hephaestus.api.auth import scopes_for
from hephaestus.api.grpc.server import PROTOS
from hephaestus.api.problems import BY_CODE
from hephaestus.registry import OPERATIONS

if TYPE_CHECKING:
    from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_api_reference.py"


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    """Import scripts/gen_api_reference.py (scripts are not a package) as a module."""
    spec = importlib.util.spec_from_file_location("gen_api_reference", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(generator: ModuleType) -> dict[str, str]:
    """The generated files, once for the module (each generation compiles the protos)."""
    pages: dict[str, str] = generator.pages()
    return pages


def test_committed_files_are_current(generator: ModuleType, generated: dict[str, str]) -> None:
    """docs/reference/api.md and openapi.json equal what the code generates."""
    stale = sorted(
        name
        for name, text in generated.items()
        if not (ROOT / name).is_file() or (ROOT / name).read_text(encoding="utf-8") != text
    )
    assert stale == [], f"stale: {stale}; run `{generator.REGENERATE}`"


def test_check_fails_on_a_stale_file_and_writing_fixes_it(
    generator: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--check exits 1 naming an edited or missing file; a plain run rewrites it."""
    shutil.copytree(ROOT / "docs" / "reference", tmp_path / "docs" / "reference")
    page = tmp_path / generator.API_PAGE
    page.write_text(page.read_text(encoding="utf-8") + "hand edit\n", encoding="utf-8")
    (tmp_path / generator.OPENAPI_FILE).unlink()

    assert generator.main(["--check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{generator.API_PAGE} is out of date" in err
    assert f"{generator.OPENAPI_FILE} is out of date" in err

    assert generator.main(["--root", str(tmp_path)]) == 0
    assert generator.main(["--check", "--root", str(tmp_path)]) == 0
    assert "up to date" in capsys.readouterr().out


def test_generation_does_not_depend_on_the_machine(
    generator: ModuleType, generated: dict[str, str]
) -> None:
    """Generating again gives the same text, free of this machine's paths and of the version."""
    assert generator.pages() == generated
    local = {str(ROOT), str(Path.home()), sys.executable, sys.prefix}
    for name, text in generated.items():
        assert not [path for path in local if path in text], name
        assert text.endswith("\n")
        assert not text.endswith("\n\n"), name
        assert all(line == line.rstrip() for line in text.splitlines()), name
    document = json.loads(generated[generator.OPENAPI_FILE])
    assert document["info"]["version"] == generator.VERSION


def test_every_operation_has_a_route_with_its_scopes(
    generator: ModuleType, generated: dict[str, str]
) -> None:
    """Each registry operation has its route in openapi.json and its scopes on the page."""
    page = generated[generator.API_PAGE]
    paths = json.loads(generated[generator.OPENAPI_FILE])["paths"]
    for op in OPERATIONS:
        assert f"/v1/operations/{op.name}" in paths, op.name
        scopes = generator.scope_list(scopes_for(op.safety))
        assert f"| `POST /v1/operations/{op.name}` | `{op.name}` | {scopes} |" in page, op.name


def test_every_rpc_and_problem_code_is_listed(
    generator: ModuleType, generated: dict[str, str]
) -> None:
    """Each RPC of the compiled protos, and each code with a status of its own, has a row."""
    page = generated[generator.API_PAGE]
    for proto in PROTOS:
        for service in proto.DESCRIPTOR.services_by_name.values():
            assert f"### `{service.full_name}`" in page
            for method in service.methods:
                assert f"| `{method.name}` | `" in page, method.full_name
    for name, (status, grpc) in BY_CODE.items():
        assert f"| `urn:hephaestus:error:{name}` | {status} | `{grpc}` |" in page, name
