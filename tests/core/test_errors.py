"""`hephaestus.core.errors`: the exit-code table and the error hierarchy."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hephaestus.core import errors
from hephaestus.core.errors import (
    ConfigError,
    ExitCode,
    ExternalError,
    HephaestusError,
    ProcessCancelledError,
    SafetyError,
    ToolNotFoundError,
    ToolTimeoutError,
    UsageError,
    VerificationError,
)

# The table of DESIGN.md §4, verbatim: value -> (member name, meaning).
DOCUMENTED_EXIT_CODES: dict[int, tuple[str, str]] = {
    0: ("OK", "success"),
    1: (
        "FINDINGS",
        "the check ran and found problems (a gate failed, drift found, findings in strict mode)",
    ),
    2: (
        "USAGE",
        "usage or configuration error (bad flag, bad config value, unknown profile)",
    ),
    3: (
        "SAFETY",
        (
            "refused for safety (dangerous path, confirmation declined, outside root without "
            "permission)"
        ),
    ),
    4: (
        "VERIFICATION",
        "verification failed (checksum, signature, identity, unsafe archive)",
    ),
    5: (
        "EXTERNAL",
        "an external dependency failed (network, GitHub API, missing tool, subprocess crash)",
    ),
    70: (
        "INTERNAL",
        "internal error (a bug: traceback saved to a file, one line on stderr)",
    ),
    130: ("INTERRUPTED", "interrupted"),
    143: ("TERMINATED", "terminated (SIGTERM)"),
}

# Every error class: its exit code and its stable machine-readable code.
DOCUMENTED_ERRORS: dict[type[HephaestusError], tuple[ExitCode, str]] = {
    HephaestusError: (ExitCode.INTERNAL, "error"),
    UsageError: (ExitCode.USAGE, "usage-error"),
    ConfigError: (ExitCode.USAGE, "config-error"),
    SafetyError: (ExitCode.SAFETY, "refused"),
    VerificationError: (ExitCode.VERIFICATION, "verification-failed"),
    ExternalError: (ExitCode.EXTERNAL, "external-error"),
    ToolNotFoundError: (ExitCode.EXTERNAL, "tool-not-found"),
    ToolTimeoutError: (ExitCode.EXTERNAL, "tool-timeout"),
    ProcessCancelledError: (ExitCode.EXTERNAL, "cancelled"),
}


def _all_error_classes() -> set[type[HephaestusError]]:
    """HephaestusError and every subclass defined in ``hephaestus.core.errors``.

    Read from the module, not ``__subclasses__()``, so the answer does not depend on which other
    modules (or tests) happen to have been imported first.
    """
    return {
        obj
        for obj in vars(errors).values()
        if isinstance(obj, type) and issubclass(obj, HephaestusError)
    }


def test_exit_code_values_are_exactly_the_documented_table() -> None:
    """ExitCode holds exactly 0, 1, 2, 3, 4, 5, 70, 130 and 143, under the documented names."""
    assert {code.value: code.name for code in ExitCode} == {
        value: name for value, (name, _) in DOCUMENTED_EXIT_CODES.items()
    }


def test_exit_code_meanings_match_the_design() -> None:
    """Each exit code's meaning is the one-line text of the documented table."""
    assert {code.value: code.meaning for code in ExitCode} == {
        value: meaning for value, (_, meaning) in DOCUMENTED_EXIT_CODES.items()
    }


def test_exit_codes_are_ints_usable_as_process_status() -> None:
    """ExitCode members compare equal to their integer status (they are handed to sys.exit)."""
    assert isinstance(ExitCode.USAGE, int)
    assert f"{ExitCode.USAGE:d}" == "2"
    assert int(ExitCode.INTERRUPTED) == 130
    assert ExitCode(70) is ExitCode.INTERNAL


def test_every_error_class_is_documented() -> None:
    """No HephaestusError subclass exists without an entry in the documented table."""
    assert _all_error_classes() == set(DOCUMENTED_ERRORS)


@pytest.mark.parametrize(
    ("cls", "exit_code", "code"),
    [(cls, exit_code, code) for cls, (exit_code, code) in DOCUMENTED_ERRORS.items()],
    ids=[cls.__name__ for cls in DOCUMENTED_ERRORS],
)
def test_error_class_has_documented_exit_code_and_code(
    cls: type[HephaestusError], exit_code: ExitCode, code: str
) -> None:
    """Each error class and its instances carry the documented exit code and stable code."""
    assert cls.exit_code is exit_code
    assert cls.code == code
    error = cls("something went wrong")
    assert error.exit_code is exit_code
    assert error.code == code


def test_error_codes_are_unique() -> None:
    """No two error classes share a machine-readable code, so agents can tell them apart."""
    codes = [cls.code for cls in _all_error_classes()]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize(
    ("cls", "base"),
    [
        (UsageError, HephaestusError),
        (ConfigError, UsageError),
        (SafetyError, HephaestusError),
        (VerificationError, HephaestusError),
        (ExternalError, HephaestusError),
        (ToolNotFoundError, ExternalError),
        (ToolTimeoutError, ExternalError),
    ],
)
def test_error_is_caught_by_its_base(
    cls: type[HephaestusError], base: type[HephaestusError]
) -> None:
    """An error can be caught as its documented base class (and as an Exception)."""
    with pytest.raises(base) as info:
        raise cls("boom")
    assert type(info.value) is cls
    assert isinstance(info.value, Exception)


def test_message_and_hint_are_carried() -> None:
    """The message is the str() and the only arg; the hint is kept as given."""
    error = ConfigError("bad key 'x'", hint="remove it")
    assert error.message == "bad key 'x'"
    assert str(error) == "bad key 'x'"
    assert error.args == ("bad key 'x'",)
    assert error.hint == "remove it"


def test_hint_defaults_to_none() -> None:
    """Without a hint, hint is None rather than an empty or invented text."""
    assert SafetyError("refused").hint is None


def test_instance_code_override_leaves_class_default() -> None:
    """A raise site may refine ``code`` for one instance without changing the class default."""
    refined = ConfigError("unknown key", code="config-unknown-key")
    assert refined.code == "config-unknown-key"
    assert ConfigError.code == "config-error"
    assert ConfigError("other").code == "config-error"
    assert UsageError("parent").code == "usage-error"
    assert refined.exit_code is ExitCode.USAGE


@given(message=st.text(), hint=st.none() | st.text())
def test_any_message_and_hint_round_trip(message: str, hint: str | None) -> None:
    """Arbitrary message and hint text is carried unchanged."""
    error = ExternalError(message, hint=hint)
    assert error.message == message
    assert str(error) == message
    assert error.hint == hint
