"""The Tasks service over gRPC, and inline calls stopped by their deadline or their client."""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING

import grpc
from tests.api.test_grpc import Harness, harness, rejected

from hephaestus.api.grpc.calls import ERROR_CODE
from hephaestus.api.grpc.v1.call_pb2 import NamedOperationRequest, OperationRequest
from hephaestus.api.grpc.v1.operations_pb2_grpc import OperationsStub
from hephaestus.api.grpc.v1.tasks_pb2 import TaskRef, WatchRequest
from hephaestus.api.grpc.v1.tasks_pb2_grpc import TasksStub

if TYPE_CHECKING:
    from pathlib import Path

    from hephaestus.api.grpc.v1.call_pb2 import Task

__all__ = ["harness"]  # the fixture, shared with test_grpc


def _start(harness: Harness, name: str, who: str = "reader", **fields: object) -> Task:
    """Start ``name`` with ``fields`` as a task; return it."""
    request = OperationRequest(arguments_json=json.dumps(fields).encode(), as_task=True)
    reply = OperationsStub(harness.channel).Call(
        NamedOperationRequest(operation=name, request=request), metadata=harness.auth(who)
    )
    assert reply.WhichOneof("outcome") == "task"
    task: Task = reply.task
    return task


def _pid(pid_file: Path) -> int:
    deadline = time.monotonic() + 30
    while not pid_file.exists():
        assert time.monotonic() < deadline, "the child never started"
        time.sleep(0.02)
    return int(pid_file.read_text())


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False


def test_watch_streams_events_until_the_task_ends(harness: Harness) -> None:
    """Watch replays a task's events in order, live, and ends with its final status."""
    task = _start(harness, "chatty", count=5, seconds=0.5)
    stub = TasksStub(harness.channel)
    events = list(stub.Watch(WatchRequest(id=task.id), metadata=harness.auth("reader"), timeout=60))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    kinds = [e.kind for e in events]
    assert {"status", "note", "progress", "result"} <= set(kinds)
    assert json.loads(events[-1].data_json) == {"status": "succeeded"}
    assert json.loads(events[kinds.index("result")].data_json) == {"counted": 5}
    resumed = stub.Watch(WatchRequest(id=task.id, after_seq=3), metadata=harness.auth("reader"))
    assert [e.seq for e in resumed] == [e.seq for e in events[3:]]


def test_get_and_cancel_a_running_task(harness: Harness, tmp_path: Path) -> None:
    """Cancel stops a running task's processes; Get then shows it cancelled."""
    pid_file = tmp_path / "pid"
    task = _start(harness, "child", pid_file=str(pid_file))
    pid = _pid(pid_file)
    stub = TasksStub(harness.channel)
    assert stub.Get(TaskRef(id=task.id), metadata=harness.auth("reader")).status == "running"
    stub.Cancel(TaskRef(id=task.id), metadata=harness.auth("reader"))
    assert _gone_within(pid, 5)
    harness.runner.wait(task.id, 10)
    ended = stub.Get(TaskRef(id=task.id), metadata=harness.auth("reader"))
    assert ended.status == "cancelled"
    assert json.loads(ended.view_json)["error"]["code"] == "cancelled"


def test_another_principals_task_is_not_found(harness: Harness) -> None:
    """Only the principal that started a task (or an admin) sees it; others get NOT_FOUND."""
    task = _start(harness, "version", who="worker")
    stub = TasksStub(harness.channel)
    for call in (stub.Get, stub.Cancel):
        code, _, trailing = rejected(call, TaskRef(id=task.id), metadata=harness.auth("reader"))
        assert (code, trailing[ERROR_CODE]) == (grpc.StatusCode.NOT_FOUND, "not-found")
    watch = WatchRequest(id=task.id)
    code, _, _ = rejected(lambda: list(stub.Watch(watch, metadata=harness.auth("reader"))))
    assert code is grpc.StatusCode.NOT_FOUND
    assert stub.Get(TaskRef(id=task.id), metadata=harness.auth("admin")).id == task.id


def test_unknown_task_is_not_found(harness: Harness) -> None:
    """A task id nobody was given: NOT_FOUND."""
    stub = TasksStub(harness.channel)
    code, _, _ = rejected(stub.Get, TaskRef(id="0" * 32), metadata=harness.auth("admin"))
    assert code is grpc.StatusCode.NOT_FOUND


def test_deadline_stops_an_inline_call(harness: Harness, tmp_path: Path) -> None:
    """An inline call past its deadline: DEADLINE_EXCEEDED, and its processes are stopped."""
    pid_file = tmp_path / "pid"
    arguments = json.dumps({"pid_file": str(pid_file)}).encode()
    request = NamedOperationRequest(
        operation="child", request=OperationRequest(arguments_json=arguments)
    )
    stub = OperationsStub(harness.channel)
    started = time.monotonic()
    code, _, _ = rejected(stub.Call, request, metadata=harness.auth("reader"), timeout=2)
    assert code is grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 10
    assert _gone_within(_pid(pid_file), 5)
    line = harness.audited("child")
    assert (line["status"], line["outcome"]) == ("DEADLINE_EXCEEDED", "cancelled")


def test_client_cancel_stops_an_inline_call(harness: Harness, tmp_path: Path) -> None:
    """A client that cancels an inline call stops its processes."""
    pid_file = tmp_path / "pid"
    arguments = json.dumps({"pid_file": str(pid_file)}).encode()
    request = NamedOperationRequest(
        operation="child", request=OperationRequest(arguments_json=arguments)
    )
    future = OperationsStub(harness.channel).Call.future(request, metadata=harness.auth("reader"))
    pid = _pid(pid_file)
    assert future.cancel()
    assert _gone_within(pid, 5)


def test_a_client_leaving_a_watch_frees_it(harness: Harness, tmp_path: Path) -> None:
    """A client that cancels a Watch of a running task ends the stream on the server too."""
    task = _start(harness, "child", pid_file=str(tmp_path / "pid"))
    stream = TasksStub(harness.channel).Watch(
        WatchRequest(id=task.id), metadata=harness.auth("reader")
    )
    assert next(stream).seq == 1
    stream.cancel()
    line = harness.audited("task_watch")
    assert (line["status"], line["outcome"], line["root"]) == (
        "CANCELLED",
        "cancelled",
        str(harness.root),
    )
