"""Rows of the operation table: team analytics, sum of coupling, function hotspots, trends.

:data:`hephaestus.registry.OPERATIONS` stays the one list of operations: it takes these rows in
place (all read-only). They live apart only to keep the registry module under the module size
limit; plain strings, so importing them imports nothing. Summaries are short: ``schema --brief``
lists every operation within 1,000 tokens; the commands' help and ``schema OPERATION`` say more.
"""

from __future__ import annotations

from typing import Final

TEAM: Final = "hephaestus.analytics.team_operation"
MODELS: Final = "hephaestus.analytics.team_models"

TEAM_ROWS: Final[tuple[tuple[str, str, str, str, str, str, str], ...]] = (
    # name, command, summary, module, request, result, function
    (
        "tools_refactor_soc",
        "tools refactor soc",
        "Sum of coupling.",
        TEAM,
        "SocRequest",
        f"{MODELS}:SocReport",
        "soc",
    ),
    (
        "tools_team_ownership",
        "tools team ownership",
        "File ownership.",
        TEAM,
        "OwnershipRequest",
        f"{MODELS}:OwnershipReport",
        "ownership",
    ),
    (
        "tools_team_knowledge_risk",
        "tools team knowledge-risk",
        "Knowledge risk.",
        TEAM,
        "KnowledgeRiskRequest",
        f"{MODELS}:KnowledgeRiskReport",
        "knowledge_risk",
    ),
    (
        "tools_team_code_age",
        "tools team code-age",
        "Code age.",
        TEAM,
        "CodeAgeRequest",
        f"{MODELS}:CodeAgeReport",
        "code_age",
    ),
    (
        "tools_refactor_functions",
        "tools refactor functions",
        "Function hotspots.",
        "hephaestus.analytics.functions_operation",
        "FunctionsRequest",
        "hephaestus.analytics.function_models:FunctionHotspotReport",
        "functions",
    ),
    (
        "tools_refactor_trends",
        "tools refactor trends",
        "Stored trends.",
        "hephaestus.analytics.trend_operation",
        "TrendsRequest",
        "hephaestus.analytics.trend_models:TrendReport",
        "trends",
    ),
)
"""The team operations, in the order faces list them."""
