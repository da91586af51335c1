"""What a command declares about itself for ``hephaestus schema``: its JSON output and examples.

Kept tiny and import-light: every command module imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeVar

import typer

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from pydantic import BaseModel

F = TypeVar("F", bound="Callable[..., Any]")
ATTRIBUTE: Final = "__hephaestus_command__"


@dataclass(frozen=True, slots=True)
class CommandMeta:
    """The result model a command prints with ``--format json``, and example invocations."""

    output: type[BaseModel] | tuple[type[BaseModel], ...] | None
    """One model, or several when the output depends on the options (e.g. a dry run)."""
    examples: tuple[str, ...]


def describe(
    *,
    output: type[BaseModel] | tuple[type[BaseModel], ...] | None,
    examples: Sequence[str],
) -> Callable[[F], F]:
    """Attach :class:`CommandMeta` to a command function (read by the schema generator)."""

    def mark(func: F) -> F:
        setattr(func, ATTRIBUTE, CommandMeta(output=output, examples=tuple(examples)))
        return func

    return mark


def read_meta(func: object) -> CommandMeta | None:
    """Return the :class:`CommandMeta` of a command callback (Typer keeps it on its wrapper)."""
    meta = getattr(func, ATTRIBUTE, None)
    return meta if isinstance(meta, CommandMeta) else None


def examples_of(command: Any) -> tuple[str, ...]:  # noqa: ANN401  # Typer's click command
    """Return a command's declared examples; for a group without any, one per subcommand."""
    meta = read_meta(getattr(command, "callback", None))
    if meta and meta.examples:
        return meta.examples
    children = getattr(command, "commands", {}).values()  # a group Typer built (not the lazy root)
    return tuple(found[0] for found in map(examples_of, children) if found)


def add_examples(command: Any) -> None:  # noqa: ANN401  # Typer's click command
    """Append an ``Examples:`` section to the ``--help`` epilog of ``command`` and its subcommands.

    Done once, when the lazy root builds a command (and for the root itself): a string join,
    nothing imported. A paragraph that starts with a backspace line keeps click from rewrapping
    the example lines.
    """
    for child in getattr(command, "commands", {}).values():
        add_examples(child)
    examples = examples_of(command)
    if not examples:
        return
    block = "\b\nExamples:\n" + "\n".join(f"  {example}" for example in examples)
    command.epilog = f"{command.epilog}\n\n{block}" if command.epilog else block


def command_app(help_text: str | None = None) -> typer.Typer:
    """Create the Typer app of one command module, configured like every other."""
    return typer.Typer(
        help=help_text,
        # Plain help: rich-formatted help costs ~3x the start-up (docs/adr/0002-lazy-loading.md).
        rich_markup_mode=None,
        add_completion=False,
        pretty_exceptions_enable=False,
        no_args_is_help=False,
    )
