"""The gRPC face in-process: a real server on 127.0.0.1, real channels, the generated stubs.

The harness here (the server over a git repository made in ``tmp_path``, tokens of three
scopes, and operations that exist only for tests) is shared by the other ``test_grpc_*``
modules.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import grpc
import pytest
from pydantic import BaseModel, ConfigDict
from tests.gitrepo import git

from hephaestus.api.audit import AuditLog
from hephaestus.api.auth import Authenticator, hash_token
from hephaestus.api.grpc.calls import ERROR_CODE, HINT, REQUEST_ID, metadata_value
from hephaestus.api.grpc.server import build_grpc_server
from hephaestus.api.grpc.servicer import TYPED, Servicer
from hephaestus.api.grpc.v1.call_pb2 import NamedOperationRequest, OperationRequest
from hephaestus.api.grpc.v1.operations_pb2_grpc import CleanupStub, GuardRailsStub, OperationsStub
from hephaestus.api.grpc.v1.tasks_pb2 import TaskRef
from hephaestus.api.grpc.v1.tasks_pb2_grpc import TasksStub
from hephaestus.api.metrics import Metrics
from hephaestus.api.problems import BY_CODE, BY_EXIT
from hephaestus.api.service import Roots, Service
from hephaestus.api.task_store import TaskStore
from hephaestus.api.tasks import TaskRunner
from hephaestus.core import proc
from hephaestus.core.request import Request
from hephaestus.invoke import call
from hephaestus.registry import OPERATIONS, Operation, Safety, operation
from hephaestus.serving import Scope, TokenEntry

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from hephaestus.core.context import Context

SCOPES: Final = {
    "reader": (Scope.read,),
    "worker": (Scope.read, Scope.run, Scope.write),
    "admin": (Scope.admin,),
}
CHILD: Final = """\
import os, sys, time
with open(sys.argv[1] + ".part", "w") as out:
    out.write(str(os.getpid()))
os.replace(sys.argv[1] + ".part", sys.argv[1])
time.sleep(30)
"""


# --- operations that exist only here ------------------------------------------------------------


class NapRequest(Request):
    """Count ``count`` units over ``seconds``, or run a child that writes its pid and sleeps."""

    seconds: float = 0.2
    count: int = 0
    pid_file: str | None = None

    def config_root(self, cwd: Path) -> Path:
        """Return ``cwd``: these operations read no configuration."""
        return cwd


class Counted(BaseModel):
    """What a fake operation did."""

    model_config = ConfigDict(frozen=True)

    counted: int


def chatty(request: NapRequest, context: Context) -> Counted:
    """Advance ``count`` units over about ``seconds``, with a note."""
    context.progress.note("counting")
    context.progress.start(request.count)
    for _ in range(request.count):
        context.progress.advance()
        time.sleep(request.seconds / max(request.count, 1))
    return Counted(counted=request.count)


def child(request: NapRequest, context: Context) -> Counted:
    """Run a Python child that writes its pid to ``pid_file`` and sleeps 30 s."""
    assert request.pid_file is not None
    proc.run(
        [sys.executable, "-c", CHILD, request.pid_file],
        timeout=60,
        cancellation=context.cancellation,
    )
    return Counted(counted=1)


def crash(request: NapRequest, context: Context) -> Counted:
    """Fail as a bug does."""
    del request, context
    msg = "the detail of a bug"
    raise RuntimeError(msg)


def _fake(function: str) -> Operation:
    return Operation(
        name=function,
        command=function,
        summary="Test.",
        safety=frozenset({Safety.read_only}),
        request=f"{__name__}:NapRequest",
        result=(f"{__name__}:Counted",),
        function=f"{__name__}:{function}",
    )


FAKES: Final = tuple(map(_fake, ["chatty", "child", "crash"]))


# --- the harness ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Harness:
    """A started server over one repository, and what a test reads back."""

    channel: grpc.Channel
    root: Path
    tokens: dict[str, str]
    audit: Path
    metrics: Metrics
    runner: TaskRunner
    servicer: Servicer

    def auth(self, who: str) -> tuple[tuple[str, str], ...]:
        """Metadata carrying ``who``'s token."""
        return (("authorization", f"Bearer {self.tokens[who]}"),)

    def audit_lines(self) -> list[dict[str, Any]]:
        """Every line of the audit log so far."""
        text = self.audit.read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines()]

    def audited(self, operation: str, *, within: float = 10) -> dict[str, Any]:
        """The first audit line of ``operation``, waiting ``within`` seconds for it."""
        deadline = time.monotonic() + within
        while True:
            found = [line for line in self.audit_lines() if line["operation"] == operation]
            if found:
                return found[0]
            assert time.monotonic() < deadline, f"{operation} was never audited"
            time.sleep(0.02)

    def call(self, name: str, who: str = "reader", **fields: Any) -> Any:  # noqa: ANN401  # a reply
        """Call ``name`` through ``Operations/Call`` with ``fields`` as its arguments."""
        request = OperationRequest(arguments_json=json.dumps(fields).encode())
        return OperationsStub(self.channel).Call(
            NamedOperationRequest(operation=name, request=request),
            metadata=self.auth(who),
            timeout=60,
        )


def make_repo(path: Path) -> Path:
    """A git repository with one commit at ``path``; return its resolved path."""
    path.mkdir(parents=True)
    git(path, "init", "-q")
    (path / "app.py").write_text("print('hello')\n", encoding="utf-8")
    git(path, "add", "app.py")
    git(path, "commit", "-q", "-m", "first")
    return path.resolve()


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    """A gRPC server on 127.0.0.1 over a repository; tokens ``reader``, ``worker``, ``admin``."""
    root = make_repo(tmp_path / "repo")
    store = TaskStore.open(tmp_path / "state" / "tasks.sqlite3")
    runner = TaskRunner(store, workers=2)
    tokens = {name: f"heph_test_{name}" for name in SCOPES}
    entries = [
        TokenEntry(name=name, hash=hash_token(tokens[name], n=2), scopes=scopes)
        for name, scopes in SCOPES.items()
    ]
    audit = AuditLog.open(tmp_path / "state" / "serve")
    metrics = Metrics()
    servicer = Servicer(
        service=Service(roots=Roots([root]), runner=runner, operations=OPERATIONS + FAKES),
        authenticator=Authenticator.from_entries(entries),
        audit=audit,
        metrics=metrics,
    )
    server, port = build_grpc_server(servicer=servicer, host="127.0.0.1", port=0, max_workers=8)
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        with metrics.measuring():
            yield Harness(channel, root, tokens, audit.path, metrics, runner, servicer)
    finally:
        channel.close()
        server.stop(None).wait()
        runner.shutdown(grace=0)
        store.close()
        audit.close()


def failure(error: grpc.RpcError) -> tuple[grpc.StatusCode, str, dict[str, str]]:
    """The status, the detail and the trailing metadata of a failed call."""
    trailing = {item.key: str(item.value) for item in error.trailing_metadata() or ()}
    return error.code(), error.details() or "", trailing


def rejected(
    function: Callable[..., object], *args: object, **kwargs: object
) -> tuple[grpc.StatusCode, str, dict[str, str]]:
    """Call ``function``, which must fail; return how."""
    with pytest.raises(grpc.RpcError) as caught:
        function(*args, **kwargs)
    return failure(caught.value)


def result(reply: Any) -> Any:  # noqa: ANN401  # a reply, its JSON
    """The result JSON of an inline reply."""
    assert reply.WhichOneof("outcome") == "result_json", reply
    return json.loads(reply.result_json)


def same_as_invoke(name: str, root: Path, **fields: Any) -> Any:  # noqa: ANN401  # JSON
    """What ``hephaestus.invoke.call`` returns for the same call, as JSON."""
    model: BaseModel = call(name, fields, cwd=root)
    return model.model_dump(mode="json")


# --- operations ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["version", "config"])
def test_call_returns_what_invoke_returns(harness: Harness, name: str) -> None:
    """Operations/Call answers a read-only operation with the JSON invoke.call gives."""
    reply = harness.call(name)
    assert result(reply) == same_as_invoke(name, harness.root)
    assert reply.operation == name
    assert len(reply.request_id) == 16


def test_typed_rpc_calls_its_operation(harness: Harness) -> None:
    """Cleanup/Plan is cleanup_plan: a read-only plan, answered at once."""
    (harness.root / "__pycache__").mkdir()
    reply = CleanupStub(harness.channel).Plan(
        OperationRequest(), metadata=harness.auth("reader"), timeout=60
    )
    assert reply.operation == "cleanup_plan"
    assert "plan_id" in result(reply)


def test_typed_table_names_registered_operations() -> None:
    """Every typed RPC names an operation of the registry."""
    for name in TYPED.values():
        assert operation(name).name == name


def test_as_task_starts_a_task(harness: Harness) -> None:
    """as_task makes even a read-only call a task, whose view holds the result once done."""
    request = OperationRequest(as_task=True)
    reply = OperationsStub(harness.channel).Call(
        NamedOperationRequest(operation="version", request=request), metadata=harness.auth("reader")
    )
    assert reply.WhichOneof("outcome") == "task"
    assert reply.task.operation == "version"
    harness.runner.wait(reply.task.id, 30)
    task = TasksStub(harness.channel).Get(
        TaskRef(id=reply.task.id), metadata=harness.auth("reader")
    )
    assert task.status == "succeeded"
    assert json.loads(task.view_json)["result"] == same_as_invoke("version", harness.root)


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "metadata",
    [(), (("authorization", "Bearer heph_not_a_token"),), (("authorization", "Basic eDp5"),)],
    ids=["none", "unknown token", "not bearer"],
)
def test_unauthenticated(harness: Harness, metadata: tuple[tuple[str, str], ...]) -> None:
    """No token, an unknown one or another scheme: UNAUTHENTICATED, with the code and a hint."""
    stub = OperationsStub(harness.channel)
    request = NamedOperationRequest(operation="version", request=OperationRequest())
    code, detail, trailing = rejected(stub.Call, request, metadata=metadata)
    assert code is grpc.StatusCode.UNAUTHENTICATED
    assert trailing[ERROR_CODE] == "unauthenticated"
    assert "Bearer" in urllib.parse.unquote(trailing[HINT])
    assert "heph_not_a_token" not in detail


def test_two_authorization_entries_are_refused(harness: Harness) -> None:
    """Two authorization entries, even one valid: UNAUTHENTICATED (which one would count?)."""
    metadata = (*harness.auth("admin"), *harness.auth("reader"))
    code, _, trailing = rejected(
        OperationsStub(harness.channel).Call,
        NamedOperationRequest(operation="version", request=OperationRequest()),
        metadata=metadata,
    )
    assert (code, trailing[ERROR_CODE]) == (grpc.StatusCode.UNAUTHENTICATED, "unauthenticated")


def test_under_scoped_is_permission_denied(harness: Harness) -> None:
    """A read-only token calling guard-rails (which runs the project's code): PERMISSION_DENIED."""
    stub = GuardRailsStub(harness.channel)
    code, detail, trailing = rejected(stub.Run, OperationRequest(), metadata=harness.auth("reader"))
    assert code is grpc.StatusCode.PERMISSION_DENIED
    assert trailing[ERROR_CODE] == "permission-denied"
    assert "run" in detail
    assert HINT in trailing


def test_root_outside_the_roots_is_permission_denied(harness: Harness, tmp_path: Path) -> None:
    """A root outside the server's roots, given either way: PERMISSION_DENIED (outside-root)."""
    elsewhere = make_repo(tmp_path / "elsewhere")
    stub = OperationsStub(harness.channel)
    for request in (
        OperationRequest(root=str(elsewhere)),
        OperationRequest(arguments_json=json.dumps({"root": str(elsewhere)}).encode()),
    ):
        named = NamedOperationRequest(operation="cleanup_plan", request=request)
        code, _, trailing = rejected(stub.Call, named, metadata=harness.auth("admin"))
        assert code is grpc.StatusCode.PERMISSION_DENIED
        assert trailing[ERROR_CODE] == "outside-root"


@pytest.mark.parametrize(
    ("arguments", "needle"),
    [(b"{", "not UTF-8 JSON"), (b"[1]", "JSON object"), (b'{"nope": 1}', "`nope`")],
)
def test_bad_arguments_are_invalid_argument(
    harness: Harness, arguments: bytes, needle: str
) -> None:
    """Arguments that are not JSON, not an object, or name an unknown field: INVALID_ARGUMENT."""
    request = NamedOperationRequest(
        operation="version", request=OperationRequest(arguments_json=arguments)
    )
    stub = OperationsStub(harness.channel)
    code, detail, trailing = rejected(stub.Call, request, metadata=harness.auth("reader"))
    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert trailing[ERROR_CODE] == "invalid-request"
    assert needle in detail


def test_unknown_operation_is_not_found(harness: Harness) -> None:
    """An operation the server does not offer: NOT_FOUND."""
    code, _, trailing = rejected(harness.call, "no_such_operation")
    assert code is grpc.StatusCode.NOT_FOUND
    assert trailing[ERROR_CODE] == "not-found"


def test_a_bug_is_internal_and_generic(harness: Harness, capfd: pytest.CaptureFixture[str]) -> None:
    """An exception that is no HephaestusError: INTERNAL, a generic line; the log has it all."""
    code, detail, trailing = rejected(harness.call, "crash")
    assert code is grpc.StatusCode.INTERNAL
    assert trailing[ERROR_CODE] == "internal-error"
    assert "detail of a bug" not in detail
    assert "internal error" in detail
    assert "the detail of a bug" in capfd.readouterr().err


def test_every_status_of_the_problem_table_is_a_grpc_status() -> None:
    """The gRPC status names problems.py maps errors to are all grpc.StatusCode members."""
    for _, name in (*BY_CODE.values(), *BY_EXIT.values()):
        assert grpc.StatusCode[name].name == name


def test_hint_metadata_is_percent_encoded() -> None:
    """Metadata values stay printable ASCII: other characters (and %) are percent-encoded."""
    assert metadata_value("plain text: ok") == "plain text: ok"
    assert urllib.parse.unquote(metadata_value("scrypt:n=… 100%")) == "scrypt:n=… 100%"
    assert metadata_value("…").isascii()


# --- audit and metrics --------------------------------------------------------------------------


def test_every_call_is_audited_and_counted(harness: Harness) -> None:
    """A success and a refusal each write one audit line and count under their status."""
    reply = harness.call("version")
    code, _, trailing = rejected(harness.call, "guard_rails")
    assert code is grpc.StatusCode.PERMISSION_DENIED
    ok, refused = harness.audit_lines()[-2:]
    assert ok["face"] == "grpc"
    assert (ok["operation"], ok["outcome"], ok["status"]) == ("version", "ok", "OK")
    assert (ok["principal"], ok["root"]) == ("reader", str(harness.root))
    assert ok["request_id"] == reply.request_id
    assert (refused["operation"], refused["outcome"]) == ("guard_rails", "permission-denied")
    assert refused["status"] == "PERMISSION_DENIED"
    assert refused["request_id"] == trailing[REQUEST_ID]
    exposition = harness.metrics.exposition().decode()
    route = 'route="/hephaestus.v1.Operations/Call"'
    assert f'hephaestus_requests_total{{face="grpc",{route},status="OK"}} 1.0' in exposition
    assert f'{route},status="PERMISSION_DENIED"}} 1.0' in exposition
