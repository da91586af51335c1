"""``hephaestus serve`` and ``serve-token`` from the command line: refusals before listening."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.api.servers import tokens_variable

from hephaestus.api.auth import Authenticator
from hephaestus.serving import Scope, TokenEntry

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Cli


def test_serve_token_prints_a_token_its_hash_verifies(cli: Cli) -> None:
    """The token printed once authenticates against the hash printed beside it, and only it."""
    done = cli("--format", "json", "serve-token", "ci", "--scope", "run", "--scope", "read")
    assert done.exit_code == 0, done.stderr
    made = json.loads(done.stdout)
    assert made["token"].startswith("heph_")
    assert made["token"] not in made["toml"]
    entry = TokenEntry(name="ci", hash=made["hash"], scopes=tuple(made["scopes"]))
    authenticator = Authenticator.from_entries([entry])
    principal = authenticator.authenticate(f"Bearer {made['token']}")
    assert principal.name == "ci"
    assert principal.scopes == {Scope.run, Scope.read}


@settings(max_examples=30, deadline=None)
@given(name=st.text(min_size=1, max_size=80).filter(lambda s: not s.isascii() or " " in s))
def test_serve_token_refuses_a_name_the_configuration_would(name: str) -> None:
    """A name with spaces or non-ASCII letters: exit 2 naming the rule, no token printed."""
    from tests.conftest import Cli  # noqa: PLC0415  # hypothesis: no function-scoped fixture

    done = Cli()("--format", "json", "serve-token", name)
    assert done.exit_code == 2
    assert json.loads(done.stdout)["error"]["code"] == "invalid-request"
    assert "heph_" not in done.stdout + done.stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])  # noqa: S104  # the address refused
def test_serve_without_tokens_refuses_to_listen_beyond_loopback(
    cli: Cli, tmp_path: Path, host: str
) -> None:
    """No token configured and --host reachable from elsewhere: exit 3 before listening."""
    done = cli("serve", "--root", str(tmp_path), "--host", host, "--state-dir", str(tmp_path / "s"))
    assert done.exit_code == 3, done.stderr
    assert "unauthenticated" in done.stderr or "no token" in done.stderr
    assert not (tmp_path / "s").exists()


def test_serve_refuses_a_plain_token_in_the_environment(cli: Cli, tmp_path: Path) -> None:
    """A token given where its hash belongs: exit 2, and the value is not repeated."""
    plain = '[{"name": "ci", "hash": "heph_plain-secret-value", "scopes": ["read"]}]'
    done = cli(
        "serve",
        "--root",
        str(tmp_path),
        "--state-dir",
        str(tmp_path / "s"),
        env={"HEPHAESTUS_SERVE_TOKENS": plain},
    )
    assert done.exit_code == 2, done.stderr
    assert "plain-secret-value" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    "args",
    [["--tls-cert", "pyproject.toml"], ["--client-ca", "pyproject.toml"]],
)
def test_serve_tls_options_go_together(cli: Cli, tmp_path: Path, args: list[str]) -> None:
    """A certificate without its key, or a client CA without a certificate: exit 2."""
    (tmp_path / "pyproject.toml").write_text("")
    args = [a.replace("pyproject.toml", str(tmp_path / "pyproject.toml")) for a in args]
    done = cli("serve", "--root", str(tmp_path), *args, env={"HEPHAESTUS_SERVE_TOKENS": None})
    assert done.exit_code == 2, done.stderr


def test_tokens_variable_is_a_list_of_hashes() -> None:
    """The test servers' tokens are configured as hashes, never as the tokens."""
    entries = json.loads(tokens_variable())
    assert all(e["hash"].startswith("scrypt:") for e in entries)
