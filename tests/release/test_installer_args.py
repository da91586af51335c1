"""Extra installer arguments never add a package source to a verified install."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hephaestus.core.errors import ExitCode, SafetyError
from hephaestus.release.installer_args import FLAGS, WITH_VALUE, check_installer_args

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Cli

SOURCES = [
    ["--find-links", "http://example.invalid/wheels"],
    ["--find-links=http://example.invalid/wheels"],
    ["-f", "http://example.invalid/wheels"],
    ["--index-url", "http://example.invalid/simple"],
    ["-i", "http://example.invalid/simple"],
    ["--extra-index-url=http://example.invalid/simple"],
    ["--trusted-host", "example.invalid"],
    ["-r", "other.txt"],
    ["--requirement=other.txt"],
    ["-c", "constraints.txt"],
    ["-e", "."],
    ["--editable=."],
    ["evil-package"],
    ["https://example.invalid/evil-1.0-py3-none-any.whl"],
    ["./local.whl"],
    ["--proxy", "http://example.invalid:3128"],
    ["--target"],
]

safe_argument = st.one_of(
    st.sampled_from(sorted(FLAGS)),
    st.tuples(st.sampled_from(sorted(WITH_VALUE)), st.text(min_size=1, max_size=20)).map(
        lambda pair: f"{pair[0]}={pair[1]}"
    ),
)


@pytest.mark.parametrize("arguments", SOURCES, ids=" ".join)
def test_a_source_or_unknown_argument_is_refused(arguments: list[str]) -> None:
    """Indexes, find-links, requirement files, editables, packages, URLs: exit 3, named."""
    with pytest.raises(SafetyError) as raised:
        check_installer_args(arguments)
    assert raised.value.exit_code == ExitCode.SAFETY
    assert raised.value.code == "installer-argument-refused"
    assert "`pip_args`" in raised.value.message


@given(
    before=st.lists(safe_argument, max_size=4),
    after=st.lists(safe_argument, max_size=4),
    bad=st.sampled_from(SOURCES),
)
def test_one_bad_argument_among_safe_ones_is_refused(
    before: list[str], after: list[str], bad: list[str]
) -> None:
    """Wherever a source-adding argument hides among harmless ones, the whole list is refused."""
    with pytest.raises(SafetyError):
        check_installer_args([*before, *bad, *after])


@given(st.lists(safe_argument, max_size=8))
def test_harmless_arguments_pass_unchanged(arguments: list[str]) -> None:
    """Arguments that only change how the wheels are installed are kept as given."""
    assert check_installer_args(arguments) == tuple(arguments)


def test_an_option_value_given_separately_is_its_value() -> None:
    """``--target DIR`` takes DIR as its value, not as a requirement."""
    assert check_installer_args(["--target", "vendor", "--no-deps"]) == (
        "--target",
        "vendor",
        "--no-deps",
    )


def test_the_cli_refuses_before_any_request(cli: Cli, tmp_path: Path) -> None:
    """``--pip-arg --find-links=URL`` exits 3 naming the flag; the API is never asked."""
    out = cli(
        "release",
        "install",
        "--repository",
        "example-org/example",
        "--api-url",
        "http://127.0.0.1:9",  # nothing listens: a request would be an external error (5)
        "--destination",
        str(tmp_path / "dest"),
        "--pip-arg=--find-links=http://example.invalid/wheels",
    )
    assert out.exit_code == ExitCode.SAFETY, out.stderr
    assert "--pip-arg: refusing '--find-links=http://example.invalid/wheels'" in out.stderr
    assert not (tmp_path / "dest").exists()
