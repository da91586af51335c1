"""The MCP face: every registered operation as a tool of one server (``hephaestus mcp``).

Only this package imports the ``mcp`` SDK (the optional ``hephaestus-toolkit[mcp]`` extra), and only
:mod:`hephaestus.mcp.server` and :mod:`hephaestus.mcp.progress` do so; the rest is plain
Python over the registry, so the tool set and its schemas can be computed without the SDK.
"""
