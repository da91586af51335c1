"""``hephaestus cleanup``: plan with one walk, preview or confirm, execute the same plan."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Final

import typer

from hephaestus.cleanup.models import CategoryTotal, CleanupPlan, CleanupReport, Skipped
from hephaestus.cleanup.settings import CleanupCategory as Category
from hephaestus.cli.environment import Environment
from hephaestus.cli.meta import command_app, describe
from hephaestus.cli.operation import invoke
from hephaestus.cli.render import Block, Line, Table, emit, human_bytes
from hephaestus.core.errors import ExitCode, SafetyError
from hephaestus.core.fs import printable_path

app = command_app()
SHOWN: Final = 20


CONTENTS: Final = {
    Category.python_cache: "__pycache__/, *.pyc, *.pyo",
    Category.tool_caches: ".pytest_cache/, .mypy_cache/, .ruff_cache/, .hypothesis/, .tox/, "
    ".nox/, .ipynb_checkpoints/",
    Category.build_artifacts: "build/ and dist/ beside a project marker, *.egg-info/, .eggs/, "
    "pip-wheel-metadata/",
    Category.coverage: ".coverage, .coverage.*, coverage.xml, htmlcov/",
    Category.os_cruft: ".DS_Store, ._*, Thumbs.db, desktop.ini, Icon\\r, __MACOSX/, "
    ".Spotlight-V100/, .Trashes/, .fseventsd/",
    Category.node_modules: "node_modules/ (never by default, never by --deep-clean)",
}


def _flag(category: Category) -> Any:  # noqa: ANN401  # Typer's OptionInfo
    name = category.value
    return typer.Option(f"--{name}/--no-{name}", help=CONTENTS[category] + ".", show_default=False)


def _totals(totals: list[CategoryTotal]) -> Table:
    rows = [[t.category.value, str(t.count), human_bytes(t.bytes)] for t in totals]
    return Table(["category", "paths", "size"], rows)


def _skips(skipped: list[Skipped]) -> list[Block]:
    counts: dict[str, int] = {}
    for skip in skipped:
        counts[skip.reason.value] = counts.get(skip.reason.value, 0) + 1
    lines = [Line(f"skipped {n}: {reason}", style="yellow") for reason, n in sorted(counts.items())]
    return [
        *lines,
        *(
            Line(f"  {printable_path(s.path)} ({s.reason.value})", style="dim")
            for s in skipped[:SHOWN]
        ),
    ]


def _plan_text(plan: CleanupPlan) -> list[Block]:
    size = human_bytes(sum(c.size for c in plan.candidates))
    head = Line(
        f"dry run: would remove {len(plan.candidates)} paths ({size}) in {plan.root}", "bold"
    )
    paths = [Line(f"  {printable_path(c.path)}") for c in plan.candidates[:SHOWN]]
    more = len(plan.candidates) - SHOWN
    tail = [Line(f"  … and {more} more (all of them with --format json)")] if more > 0 else []
    return [head, _totals(plan.totals), *paths, *tail, *_skips(plan.skipped)]


def _report_text(report: CleanupReport) -> list[Block]:
    size = human_bytes(sum(r.size for r in report.removed))
    blocks: list[Block] = [Line(f"removed {len(report.removed)} paths, freed {size}", "bold green")]
    blocks += [_totals(report.totals), *_skips(report.skipped)]
    blocks += [
        Line(f"error: {printable_path(e.path)}: {e.message}", style="red") for e in report.errors
    ]
    if report.manifest:
        blocks.append(Line(f"audit manifest: {report.manifest}", style="dim"))
    return blocks


def _confirmer(env: Environment, *, yes: bool) -> Callable[[str], bool]:
    """Ask on the terminal before cleaning outside the root (``--yes`` answers for the user)."""

    def confirm(question: str) -> bool:
        if yes:
            return True
        if not (env.stdin_is_terminal and env.stderr.isatty()):
            raise SafetyError(
                f"{question} needs confirmation",
                hint="there is no terminal to confirm on: pass --yes",
                code="confirmation-required",
            )
        env.stderr.write(question + "\n")
        answer = typer.prompt("Type 'yes' to clean them", default="", show_default=False, err=True)
        if answer.strip() != "yes":
            raise SafetyError("cleanup not confirmed", hint="nothing was removed", code="declined")
        return True

    return confirm


@app.command("cleanup")
@describe(
    output=(CleanupPlan, CleanupReport),
    examples=[
        "hephaestus cleanup --dry-run",
        "hephaestus cleanup --deep-clean --yes",
        "hephaestus --format json cleanup --coverage --no-os-cruft --exclude 'docs/**'",
    ],
)
def cleanup(
    ctx: typer.Context,
    root: Annotated[
        Path | None,
        typer.Argument(
            help="Directory to clean.  [default: the repository root]",
            show_default=False,
            file_okay=False,
        ),
    ] = None,
    python_cache: Annotated[bool | None, _flag(Category.python_cache)] = None,
    tool_caches: Annotated[
        bool | None,
        _flag(Category.tool_caches),
    ] = None,
    build_artifacts: Annotated[
        bool | None,
        _flag(Category.build_artifacts),
    ] = None,
    coverage: Annotated[bool | None, _flag(Category.coverage)] = None,
    os_cruft: Annotated[
        bool | None,
        _flag(Category.os_cruft),
    ] = None,
    node_modules: Annotated[
        bool | None,
        _flag(Category.node_modules),
    ] = None,
    deep_clean: Annotated[
        bool, typer.Option("--deep-clean", help="Every category except node-modules.")
    ] = False,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            metavar="GLOB",
            help="Never touch paths matching this gitignore-style pattern (repeatable).",
        ),
    ] = None,
    extra_path: Annotated[
        list[Path] | None,
        typer.Option(
            "--extra-path",
            metavar="PATH",
            help="Another directory to clean (repeatable).",
            file_okay=False,
        ),
    ] = None,
    allow_outside_root: Annotated[
        bool,
        typer.Option(
            "--allow-outside-root", help="Allow --extra-path outside ROOT (then confirm, or --yes)."
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan; remove nothing.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Confirm without a prompt.")] = False,
    max_depth: Annotated[
        int | None,
        typer.Option("--max-depth", min=1, metavar="N", help="Look at most N levels deep."),
    ] = None,
    audit_manifest: Annotated[
        Path | None,
        typer.Option(
            "--audit-manifest",
            metavar="PATH",
            dir_okay=False,
            help="Where to write the audit manifest.  "
            "[default: ROOT/.hephaestus/audit/cleanup-<UTC time>-<run id>.json]",
        ),
    ] = None,
) -> None:
    """Remove caches and build debris; never anything git tracks.

    One walk plans everything; --dry-run shows the plan, a real run removes exactly that plan
    and writes an audit manifest. Never touched: tracked paths, .git, virtual environments
    (found by pyvenv.cfg or conda-meta, whatever their name), .hephaestus, symlink targets.
    Exits 1 if some paths could not be removed.
    """
    env: Environment = ctx.obj
    flags = {
        Category.python_cache: python_cache,
        Category.tool_caches: tool_caches,
        Category.build_artifacts: build_artifacts,
        Category.coverage: coverage,
        Category.os_cruft: os_cruft,
        Category.node_modules: node_modules,
    }
    fields: dict[str, Any] = {
        "root": root,
        "deep_clean": deep_clean,
        "add_categories": [c for c, on in flags.items() if on is True],
        "remove_categories": [c for c, on in flags.items() if on is False],
        "exclude": exclude,
        "extra_paths": extra_path,
        "allow_outside_root": allow_outside_root,
        "max_depth": max_depth,
    }
    spelling = {"extra_paths": "--extra-path"}
    if dry_run:
        plan = invoke(ctx, "cleanup_plan", fields, CleanupPlan, label="scanning", flags=spelling)
        emit(env, plan, _plan_text)
        return
    report = invoke(
        ctx,
        "cleanup",
        {**fields, "audit_manifest": audit_manifest},
        CleanupReport,
        label="cleaning",
        confirm=_confirmer(env, yes=yes),
        flags=spelling,
    )
    emit(env, report, _report_text)
    if report.errors:
        raise typer.Exit(ExitCode.FINDINGS)
