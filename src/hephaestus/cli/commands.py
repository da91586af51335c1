"""The command table: each top-level command's name, module and one-line help.

Kept apart from :mod:`hephaestus.cli` so that the table reads as one list; the lazy root group
lists commands from it and imports a command's module only when that command runs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CommandEntry:
    """One top-level command: its name, the module defining ``app``, and its one-line help."""

    name: str
    module: str
    summary: str


COMMANDS: tuple[CommandEntry, ...] = (
    CommandEntry(
        "cleanup",
        "hephaestus.cli.cleanup",
        "Remove caches and build debris; never anything git tracks.",
    ),
    CommandEntry("config", "hephaestus.cli.config", "Show the effective configuration."),
    CommandEntry(
        "guard-rails",
        "hephaestus.cli.guard_rails",
        "Run all quality gates in parallel, cached, with CI reports.",
    ),
    CommandEntry(
        "release",
        "hephaestus.cli.release",
        "Install, verify and backfill signed GitHub release wheelhouses.",
    ),
    CommandEntry(
        "plan",
        "hephaestus.cli.plan",
        "Show a prioritised rollout plan from analytics and gates.",
    ),
    CommandEntry("schema", "hephaestus.cli.schema", "Describe every command for agents, as JSON."),
    CommandEntry(
        "mcp", "hephaestus.cli.mcp", "Serve the operations to AI agents over MCP (stdio or HTTP)."
    ),
    CommandEntry(
        "serve",
        "hephaestus.cli.serve",
        "Serve the operations over REST and gRPC, with tokens and tasks.",
    ),
    CommandEntry(
        "serve-token",
        "hephaestus.cli.serve_token",
        "Make a bearer token for hephaestus serve, and its hash.",
    ),
    CommandEntry(
        "tools",
        "hephaestus.cli.tools",
        "Find where to refactor first: history, complexity, coverage.",
    ),
    CommandEntry("version", "hephaestus.cli.version", "Show the version of hephaestus."),
    CommandEntry(
        "wheelhouse",
        "hephaestus.cli.wheelhouse",
        "Check a wheelhouse: OS cruft and every wheel's RECORD hashes.",
    ),
)
"""The command table. A test checks each summary against the command's own help."""
