"""`hephaestus.core.events`: the registry of log event names."""

from __future__ import annotations

import re

import pytest

from hephaestus.core.events import Event

# ``<area>.<what happened>``: lowercase words, underscores inside a part, exactly one dot.
EVENT_NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*\.[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def test_event_names_are_unique() -> None:
    """No two members share a name (an Enum would silently make the second an alias)."""
    values = [member.value for member in Event.__members__.values()]
    assert len(values) == len(set(values))
    assert len(Event.__members__) == len(Event)


@pytest.mark.parametrize("event", list(Event), ids=lambda event: event.name)
def test_event_name_is_lowercase_area_dot_what(event: Event) -> None:
    """Every event name has the ``area.what`` form, lowercase, one dot."""
    assert EVENT_NAME.fullmatch(event.value), event.value


@pytest.mark.parametrize(
    "name", ["Command.started", "command", "command.started.now", "command.", ".started", "a-b.c"]
)
def test_event_name_pattern_rejects_malformed_names(name: str) -> None:
    """The pattern used above is strict enough to catch malformed names."""
    assert EVENT_NAME.fullmatch(name) is None


def test_events_are_their_names_as_strings() -> None:
    """An event is a str equal to its name, so it can be logged and compared as text."""
    assert isinstance(Event.COMMAND_STARTED, str)
    assert f"{Event.COMMAND_STARTED}" == "command.started"
    assert str(Event.PROCESS_TIMED_OUT) == "process.timed_out"
    assert Event("config.loaded") is Event.CONFIG_LOADED
