"""Shell completion: ``--show-completion [SHELL]`` and ``--install-completion [SHELL]``.

Typer's own options are flags that always detect the shell, so ``--show-completion zsh`` would
print the script of the shell it runs in. These take an optional shell name, the word after
the flag (click's parser has no optional values, so the callback reads it from the command
line, as ``--version`` reads ``--format``), and fall back to Typer's detection without one.
The scripts and the completion protocol (``_HEPHAESTUS_COMPLETE``) are Typer's; the lazy
group completes command names from its table (see :class:`hephaestus.cli.LazyGroup`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Sequence

    import typer

SHELLS: Final = ("bash", "zsh", "fish", "powershell", "pwsh")
"""The shells Typer writes completion scripts for."""

COMPLETE_VAR: Final = "_HEPHAESTUS_COMPLETE"
"""The environment variable a completion script sets to ask for completions."""


def named_shell(argv: Sequence[str], flag: str) -> str | None:
    """Return the shell named right after ``flag`` in ``argv`` (``None``: detect it)."""
    for i, arg in enumerate(argv[:-1]):
        if arg == flag and argv[i + 1] in SHELLS:
            return argv[i + 1]
    return None


def enable_completion() -> None:
    """Register Typer's completion classes (its bash, zsh, fish and PowerShell protocol).

    Called before a completion request is answered: without it, click's own classes would
    answer, which do not speak the protocol of the scripts Typer writes.
    """
    from typer._completion_classes import completion_init  # noqa: PLC0415  # only to complete

    completion_init()


def show(ctx: typer.Context, param: typer.CallbackParam, argv: Sequence[str]) -> None:
    """Print the completion script for the named (else the detected) shell, and exit 0."""
    from typer.completion import show_callback  # noqa: PLC0415  # only for this flag

    enable_completion()
    show_callback(ctx, param, named_shell(argv, "--show-completion") or True)


def install(ctx: typer.Context, param: typer.CallbackParam, argv: Sequence[str]) -> None:
    """Install the completion script for the named (else the detected) shell, and exit 0."""
    from typer.completion import install_callback  # noqa: PLC0415  # only for this flag

    enable_completion()
    install_callback(ctx, param, named_shell(argv, "--install-completion") or True)
