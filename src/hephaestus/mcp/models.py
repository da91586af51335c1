"""What ``hephaestus mcp`` announces once it serves over HTTP (stdout is the protocol on stdio)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Serving(BaseModel):
    """An MCP server ready for clients: where, over what, and which tools it offers."""

    model_config = ConfigDict(frozen=True)

    transport: str = Field(description="'streamable-http' (on stdio nothing is announced).")
    url: str = Field(description="Where MCP clients connect, e.g. http://127.0.0.1:8765/mcp.")
    root: str = Field(description="The directory every tool call works on.")
    read_only: bool = Field(description="Whether only read-only operations are offered.")
    tools: tuple[str, ...] = Field(description="The tools offered, in registry order.")
