"""The ``hephaestus`` command line: global options, a lazy command table, one error handler.

Commands are listed from :data:`~hephaestus.cli.commands.COMMANDS` (name, module, one-line help);
a command's module is imported only when it runs, so ``hephaestus --help`` imports no operation.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup
from typer.main import get_command

from hephaestus.cli import completion
from hephaestus.cli.commands import COMMANDS as COMMANDS  # re-exported: the table, by its old name
from hephaestus.cli.environment import (
    CURRENT,
    ColorMode,
    Environment,
    LogFormatChoice,
    LogLevelChoice,
    OutputFormat,
    check_run_id,
    new_run_id,
    verbosity,
)
from hephaestus.cli.handler import guarded, sigterm_raises
from hephaestus.cli.meta import add_examples, describe
from hephaestus.core.events import Event
from hephaestus.core.logging import get_logger

if TYPE_CHECKING:
    from collections.abc import Sequence

    # Typer's own click: its Context is the base type TyperGroup's methods are declared with.
    from typer._click import Context, HelpFormatter


_log = get_logger(__name__)


class LazyGroup(TyperGroup):
    """A group that lists commands from :data:`COMMANDS` and imports one only to run it."""

    def __init__(self, **attrs: Any) -> None:  # noqa: ANN401  # Typer passes click attributes
        super().__init__(**attrs)
        self._table = {entry.name: entry for entry in COMMANDS}
        self._loaded: dict[str, Any] = {}
        add_examples(self)

    def list_commands(self, ctx: Context) -> list[str]:  # noqa: ARG002  # click's signature
        """Return the command names in table order."""
        return list(self._table)

    def get_command(self, ctx: Context, cmd_name: str) -> Any:  # noqa: ANN401, ARG002
        """Import and build the command ``cmd_name`` (``None`` if there is no such command)."""
        entry = self._table.get(cmd_name)
        if entry is None:
            return None
        if cmd_name not in self._loaded:
            module = importlib.import_module(entry.module)
            command = get_command(module.app)
            command.name = cmd_name
            add_examples(command)
            self._loaded[cmd_name] = command
        return self._loaded[cmd_name]

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:  # noqa: ARG002
        """List commands from the table's summaries, importing none of them."""
        with formatter.section("Commands"):
            formatter.write_dl([(e.name, e.summary) for e in self._table.values()])

    def shell_complete(self, ctx: Context, incomplete: str) -> list[Any]:
        """Complete command names from the table (importing none) and the root's options."""
        from typer._click.shell_completion import CompletionItem  # noqa: PLC0415  # completing

        names = [
            CompletionItem(e.name, help=e.summary)
            for e in self._table.values()
            if e.name.startswith(incomplete)
        ]
        # Skip TyperGroup's own, which imports every matching command for its help line.
        return [*names, *super(TyperGroup, self).shell_complete(ctx, incomplete)]

    def resolve_command(self, ctx: Context, args: list[str]) -> Any:  # noqa: ANN401
        """Resolve a command, suggesting the closest names for a typo."""
        try:
            return super().resolve_command(ctx, args)
        except typer.TyperException as exc:
            import difflib  # noqa: PLC0415  # only for a mistyped command

            close = difflib.get_close_matches(args[0], list(self._table)) if args else []
            if close and hasattr(exc, "message"):
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {close[0]!r}?"
            raise

    def main(  # type: ignore[override]  # same call, one error handler around it
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,  # click's signature
        **extra: Any,  # noqa: ANN401, ARG002  # click's signature; nothing to pass on
    ) -> int:
        """Run the command line through the one error handler; exit with (or return) its code."""
        argv = hoist_format(list(sys.argv[1:] if args is None else args))
        _Invocation.argv = argv
        name = prog_name or "hephaestus"
        if completion.COMPLETE_VAR in os.environ:  # a completion script asks, in Typer's protocol
            completion.enable_completion()

        def run() -> int:
            return guarded(
                lambda: TyperGroup.main(self, argv, name, complete_var, standalone_mode=False),
                argv=argv,
            )

        if not _telemetry_asked():
            code = run()
        else:  # PLC0415: the tracing module only when an OTEL_* variable is set
            from hephaestus.cli.tracing import traced  # noqa: PLC0415

            code = traced(run, argv=argv)
        if standalone_mode:
            sys.exit(code)
        return code


def _telemetry_asked() -> bool:
    """Whether any ``OTEL_*`` variable is set: without one, nothing of telemetry is imported."""
    return any(name.startswith("OTEL_") for name in os.environ)


app = typer.Typer(
    name="hephaestus",
    cls=LazyGroup,
    help="Keep Python repositories healthy: clean up, guard quality, verify releases.",
    epilog="Exit codes and every command's JSON output: `hephaestus schema`.",
    rich_markup_mode=None,
    add_completion=False,  # our own options: they take a shell name (hephaestus.cli.completion)
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def hoist_format(argv: list[str]) -> list[str]:
    """Move ``--format X`` given after the command to the front, where the root parses it.

    ``hephaestus version --format json`` then means ``hephaestus --format json version``, as
    ruff, uv and gh accept it. Nothing after ``--`` is touched.
    """
    end = argv.index("--") if "--" in argv else len(argv)
    head, moved, i = [], [], 0
    while i < end:
        arg = argv[i]
        if arg == "--format" and i + 1 < end:
            moved += argv[i : i + 2]
            i += 2
            continue
        if arg.startswith("--format="):
            moved.append(arg)
        else:
            head.append(arg)
        i += 1
    return [*moved, *head, *argv[end:]]


def _print_version(value: bool) -> None:
    if value:
        from hephaestus.cli.handler import sniff_format  # noqa: PLC0415
        from hephaestus.core.metadata import package_version  # noqa: PLC0415

        if sniff_format(_Invocation.argv) is OutputFormat.json:
            import json  # noqa: PLC0415

            sys.stdout.write(json.dumps({"version": package_version()}) + "\n")
        else:
            sys.stdout.write(f"hephaestus {package_version()}\n")
        raise typer.Exit


def _show_completion(ctx: typer.Context, param: typer.CallbackParam, value: bool) -> None:
    if value:
        completion.show(ctx, param, _Invocation.argv)


def _install_completion(ctx: typer.Context, param: typer.CallbackParam, value: bool) -> None:
    if value:
        completion.install(ctx, param, _Invocation.argv)


class _Invocation:
    """The command line being run (for ``--version``, which runs before anything is parsed)."""

    argv: list[str] = []  # noqa: RUF012  # replaced per run, never mutated


@app.callback()
@describe(
    output=None,
    examples=[
        "hephaestus guard-rails",
        "hephaestus cleanup --dry-run",
        "hephaestus -q --format json tools refactor hotspots",
    ],
)
def root(
    ctx: typer.Context,
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            envvar="HEPHAESTUS_FORMAT",
            help="Data on stdout: text, or exactly one JSON document (also on errors).",
        ),
    ] = OutputFormat.text,
    log_format: Annotated[
        LogFormatChoice | None,
        typer.Option(
            "--log-format",
            envvar="HEPHAESTUS_LOG_FORMAT",
            help="Log events on stderr as text or JSON lines.  [default: text]",
            show_default=False,
        ),
    ] = None,
    log_level: Annotated[
        LogLevelChoice | None,
        typer.Option(
            "--log-level",
            envvar="HEPHAESTUS_LOG_LEVEL",
            help="Lowest level of log events on stderr.  [default: warning]",
            show_default=False,
        ),
    ] = None,
    run_id: Annotated[
        str | None,
        typer.Option(
            "--run-id",
            envvar="HEPHAESTUS_RUN_ID",
            help="Id bound to every log event and report of this run.  [default: generated]",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="Only errors on stderr: no progress, no warnings (--log-level error).",
        ),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Debug log events on stderr (--log-level debug; -vv alike)."
        ),
    ] = False,
    color: Annotated[
        ColorMode,
        typer.Option(
            "--color",
            help="Colour and redrawn progress; never: no escape sequence at all "
            "(auto honours NO_COLOR, FORCE_COLOR, a terminal).",
        ),
    ] = ColorMode.auto,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_print_version,
            help="Print the version and exit.",
        ),
    ] = False,
    show_completion: Annotated[
        bool,
        typer.Option(
            "--show-completion",
            is_eager=True,
            callback=_show_completion,
            help="Print the completion script of a shell (bash, zsh, fish, powershell; "
            "default: this shell), e.g. --show-completion zsh.",
        ),
    ] = False,
    install_completion: Annotated[
        bool,
        typer.Option(
            "--install-completion",
            is_eager=True,
            callback=_install_completion,
            help="Install completion for a shell (named as for --show-completion).",
        ),
    ] = False,
) -> None:
    """Keep Python repositories healthy: clean up, guard quality, verify releases."""
    del version, show_completion, install_completion  # handled by their eager callbacks
    from_flag = ctx.get_parameter_source("log_level")
    env = Environment(
        format=output_format,
        color=color,
        run_id=check_run_id(run_id) if run_id else new_run_id(),
        log_level=verbosity(
            quiet=quiet,
            verbose=verbose,
            log_level=log_level,
            level_flag_given=from_flag is not None and from_flag.name == "COMMANDLINE",
        ),
        log_format=log_format,
        quiet=quiet,
    )
    env.configure_logging()
    ctx.obj = env
    CURRENT.set(env)
    if _telemetry_asked():
        from hephaestus.cli.tracing import name_command  # noqa: PLC0415  # see LazyGroup.main

        name_command(ctx.invoked_subcommand, run_id=env.run_id)
    _start_collecting()
    _log.debug(Event.COMMAND_STARTED, command=ctx.invoked_subcommand)


class _StartUp:
    """Whether :func:`main` turned the cyclic garbage collector off for the start-up."""

    collection_deferred = False


def _start_collecting() -> None:
    """End the start-up: freeze what it built, then collect garbage again (see :func:`main`)."""
    if _StartUp.collection_deferred:
        _StartUp.collection_deferred = False
        gc.freeze()
        gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point: run the command line and return (or exit with) its code.

    Run as the console script (``argv`` is None), start-up imports and builds thousands of
    long-lived objects (click, typer, pydantic's schemas) in which the cyclic collector finds
    no garbage, yet scans them again and again. So collection is off until the command's
    callback runs, then everything built so far is frozen (never scanned again) and collection
    resumes for the command's own work. At exit the live objects are frozen too, so that the
    interpreter's final collection skips them. Together they took 10 % off ``version``, 19 %
    off ``--help`` and 22 % off a repeated ``tools refactor hotspots`` (medians of 11, side by
    side). Run as the console script, SIGTERM also raises
    :class:`~hephaestus.cli.handler.Terminated` in the main thread, so that it stops the tools'
    process groups like Ctrl-C does and exits 143 (Ctrl-C: 130). Called with ``argv`` (tests,
    embedding), none of this happens.
    """
    standalone = argv is None
    if standalone and gc.isenabled():
        gc.disable()
        _StartUp.collection_deferred = True
    try:
        command = get_command(app)
        with sigterm_raises() if standalone else contextlib.nullcontext():
            result: int = command.main(argv, prog_name="hephaestus", standalone_mode=standalone)
    finally:
        if standalone:
            _start_collecting()  # an eager option (--help, --version) ended before the callback
            gc.freeze()
    return result
