"""`hephaestus.core.logging`: level filter, text and JSON on stderr, run id, lazy structlog."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from hephaestus.core.events import Event
from hephaestus.core.logging import LogSettings, configure, current_settings, get_logger

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Start each test from the default settings and put them back afterwards."""
    configure(LogSettings())
    yield
    configure(LogSettings())


def _json_lines(stderr: str) -> list[dict[str, Any]]:
    """Parse every line of ``stderr`` as one JSON object."""
    records: list[dict[str, Any]] = [json.loads(line) for line in stderr.splitlines()]
    return records


def _emit_all_levels(name: str = "tests.core") -> None:
    """Write one event at each level through the event logger ``name``."""
    log = get_logger(name)
    log.debug(Event.PROCESS_STARTED, step=1)
    log.info(Event.CONFIG_LOADED, step=2)
    log.warning(Event.PROCESS_TIMED_OUT, step=3)
    log.error(Event.COMMAND_FAILED, step=4)


def test_nothing_is_written_below_the_level(capsys: pytest.CaptureFixture[str]) -> None:
    """With level=error, debug, info and warning events write nothing anywhere."""
    configure(LogSettings(level="error", format="json"))
    log = get_logger("tests.core")
    log.debug(Event.PROCESS_STARTED)
    log.info(Event.CONFIG_LOADED)
    log.warning(Event.PROCESS_TIMED_OUT)
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out == ""


def test_default_level_is_warning(capsys: pytest.CaptureFixture[str]) -> None:
    """Unconfigured, only warning and error events are written."""
    _emit_all_levels()
    err = capsys.readouterr().err
    assert "process.started" not in err
    assert "config.loaded" not in err
    assert "process.timed_out" in err
    assert "command.failed" in err


def test_text_events_at_and_above_level_go_to_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In text format each event at or above the level is one stderr line with its run id."""
    configure(LogSettings(level="info", format="text", run_id="run-text-7"))
    _emit_all_levels("tests.text")
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 3
    for line, event, level in zip(
        lines,
        ["config.loaded", "process.timed_out", "command.failed"],
        ["info", "warning", "error"],
        strict=True,
    ):
        assert event in line
        assert f"[{level}" in line
        assert "run_id=run-text-7" in line
        assert "tests.text" in line
    assert "\x1b[" not in captured.err


def test_json_events_at_and_above_level_go_to_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In JSON format each event is one object with event, level, run_id, timestamp, logger."""
    configure(LogSettings(level="debug", format="json", run_id="run-json-1"))
    _emit_all_levels("tests.json")
    captured = capsys.readouterr()
    assert captured.out == ""
    records = _json_lines(captured.err)
    assert [(r["event"], r["level"]) for r in records] == [
        ("process.started", "debug"),
        ("config.loaded", "info"),
        ("process.timed_out", "warning"),
        ("command.failed", "error"),
    ]
    for step, record in enumerate(records, start=1):
        assert {"event", "level", "run_id", "timestamp", "logger"} <= record.keys()
        assert record["run_id"] == "run-json-1"
        assert record["logger"] == "tests.json"
        assert record["step"] == step
        timestamp = datetime.fromisoformat(record["timestamp"])
        assert timestamp.utcoffset() == timedelta(0)


def test_json_level_filter(capsys: pytest.CaptureFixture[str]) -> None:
    """In JSON format too, only events at or above the level are written."""
    configure(LogSettings(level="warning", format="json"))
    _emit_all_levels()
    levels = [record["level"] for record in _json_lines(capsys.readouterr().err)]
    assert levels == ["warning", "error"]


def test_run_id_is_bound_to_every_event_of_every_logger(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Events from different loggers all carry the configured run id."""
    configure(LogSettings(level="info", format="json", run_id="shared-run"))
    get_logger("a").info(Event.COMMAND_STARTED)
    get_logger("b").warning(Event.PROCESS_FINISHED, seconds=1.5)
    get_logger("c").error(Event.CRASH_SAVED, path="crash-report.txt")
    records = _json_lines(capsys.readouterr().err)
    assert [record["logger"] for record in records] == ["a", "b", "c"]
    assert {record["run_id"] for record in records} == {"shared-run"}


def test_colour_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    """Text events contain ANSI colour codes only with color=True."""
    configure(LogSettings(level="info", format="text", color=True))
    get_logger("tests").info(Event.COMMAND_STARTED)
    assert "\x1b[" in capsys.readouterr().err
    configure(LogSettings(level="info", format="text", color=False))
    get_logger("tests").info(Event.COMMAND_STARTED)
    assert "\x1b[" not in capsys.readouterr().err


def test_configure_after_first_event_reapplies_settings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """configure() after events were written changes format, run id and level of later events."""
    log = get_logger("tests.reconfigure")
    configure(LogSettings(level="info", format="text", run_id="first"))
    log.info(Event.COMMAND_STARTED)
    first = capsys.readouterr().err
    assert "run_id=first" in first
    with pytest.raises(json.JSONDecodeError):
        json.loads(first)

    configure(LogSettings(level="info", format="json", run_id="second"))
    log.info(Event.PROCESS_FINISHED)
    (record,) = _json_lines(capsys.readouterr().err)
    assert record["event"] == "process.finished"
    assert record["run_id"] == "second"

    configure(LogSettings(level="error", format="json", run_id="third"))
    log.info(Event.PROCESS_FINISHED)
    log.warning(Event.PROCESS_FINISHED)
    assert capsys.readouterr().err == ""
    log.error(Event.COMMAND_FAILED)
    (record,) = _json_lines(capsys.readouterr().err)
    assert record["run_id"] == "third"


def test_current_settings_reports_what_was_configured() -> None:
    """current_settings() returns the settings last passed to configure()."""
    assert current_settings() == LogSettings()
    settings = LogSettings(level="debug", format="json", run_id="r", color=True)
    configure(settings)
    assert current_settings() is settings


def _structlog_loaded_after(level: str, method: str) -> tuple[bool, str]:
    """In a fresh interpreter configure ``level``, log one ``method`` event; report the import."""
    code = textwrap.dedent(
        f"""
        import sys
        from hephaestus.core.events import Event
        from hephaestus.core.logging import LogSettings, configure, get_logger

        configure(LogSettings(level={level!r}))
        get_logger("probe").{method}(Event.COMMAND_STARTED)
        print("structlog" in sys.modules)
        """
    )
    completed = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return completed.stdout.strip() == "True", completed.stderr


def test_structlog_is_not_imported_when_every_event_is_filtered() -> None:
    """A process whose events are all below the level never imports structlog."""
    loaded, stderr = _structlog_loaded_after("error", "debug")
    assert not loaded
    assert stderr == ""


def test_structlog_is_imported_when_an_event_is_written() -> None:
    """The counterpart: an event that passes the filter imports structlog and is written."""
    loaded, stderr = _structlog_loaded_after("error", "error")
    assert loaded
    assert "command.started" in stderr
