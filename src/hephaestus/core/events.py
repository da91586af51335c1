"""The registry of log event names.

Every structured log event hephaestus emits is named here, so the names are stable, greppable and
documented in one place; :mod:`hephaestus.core.logging` accepts only these.
"""

from __future__ import annotations

from enum import StrEnum


class Event(StrEnum):
    """Names of structured log events, ``<area>.<what happened>``."""

    COMMAND_STARTED = "command.started"
    COMMAND_FAILED = "command.failed"
    CRASH_SAVED = "crash.saved"
    CONFIG_LOADED = "config.loaded"
    PROCESS_STARTED = "process.started"
    PROCESS_FINISHED = "process.finished"
    PROCESS_TIMED_OUT = "process.timed_out"
    GATE_STARTED = "gate.started"
    GATE_CRASHED = "gate.crashed"
    CONFIG_IGNORED = "config.ignored"
    CACHE_PRUNED = "cache.pruned"
    CACHE_UNAVAILABLE = "cache.unavailable"
    HTTP_RETRY = "http.retry"
    RELEASE_VERIFIED = "release.verified"
    TELEMETRY_UNAVAILABLE = "telemetry.unavailable"
    TELEMETRY_DROPPED = "telemetry.dropped"
    TELEMETRY_SDK = "telemetry.sdk"
