"""Text rendering of the ``release`` reports (JSON is the models themselves)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hephaestus.cli.operation import spell
from hephaestus.cli.render import Block, Fields, Line, Table, human_bytes
from hephaestus.core.errors import render_fields
from hephaestus.release.models import (
    BackfillReport,
    ChecksumResult,
    ChecksumVerdict,
    InstallReport,
    SignatureResult,
    SignatureVerdict,
    VerifyReport,
)

if TYPE_CHECKING:
    from collections.abc import Sequence


def _checksum(result: ChecksumResult) -> str:
    if result.verdict is ChecksumVerdict.verified:
        return f"verified against {result.manifest}"
    return "NOT CHECKED (--allow-unsigned)"


def _signature(result: SignatureResult) -> str:
    if result.verdict is SignatureVerdict.verified:
        return f"verified ({result.bundle}, Rekor log index {result.log_index})"
    return "no Sigstore bundle"


def _warnings(warnings: Sequence[str]) -> list[Block]:
    """Warnings name request fields (`` `allow_unsigned` ``): shown as this command's flags."""
    return [Line(f"warning: {render_fields(w, spell)}", style="bold yellow") for w in warnings]


def install_text(report: InstallReport) -> list[Block]:
    """Show the install report: release, checks, signer, what pip installed (or would)."""
    head = "dry run: verified, would install" if report.dry_run else "installed"
    rows = [
        ("release", f"{report.repository} {report.tag}"),
        ("asset", f"{report.asset} ({human_bytes(report.size)})"),
        ("sha256", report.sha256),
        ("checksum", _checksum(report.checksum)),
        ("signature", _signature(report.signature)),
    ]
    if report.signature.identity:
        rows += [("identity", report.signature.identity), ("issuer", report.signature.issuer or "")]
    if report.wheelhouse:
        rows.append(("wheelhouse", report.wheelhouse))
    if report.archive:
        rows.append(("archive", report.archive))
    blocks: list[Block] = [*_warnings(report.warnings), Fields(rows)]
    if report.install is not None:
        plan = report.install
        blocks.append(Line(f"{head} from {plan.source}: {', '.join(plan.requirements)}", "bold"))
        blocks.append(Line("  " + " ".join(plan.command), style="dim"))
    return blocks


def verify_text(report: VerifyReport) -> list[Block]:
    """Show the verify report of one local file."""
    rows = [
        ("artifact", report.artifact),
        ("sha256", report.sha256),
        ("checksum", _checksum(report.checksum)),
        ("signature", _signature(report.signature)),
    ]
    if report.signature.identity:
        rows += [("identity", report.signature.identity), ("issuer", report.signature.issuer or "")]
    return [*_warnings(report.warnings), Fields(rows), Line("verified", style="bold green")]


def backfill_text(report: BackfillReport) -> list[Block]:
    """Show the backfill inventory, one row per release."""
    rows = [[e.tag, e.archive, e.action.value, ", ".join(e.uploaded)] for e in report.entries]
    blocks: list[Block] = [Table(["tag", "archive", "action", "assets"], rows)]
    if report.inventory:
        blocks.append(Line(f"inventory: {report.inventory}", style="dim"))
    return blocks
