"""`hephaestus.core.proc`: real subprocesses, argv lists only, never a shell."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hephaestus.core.errors import (
    ExitCode,
    ExternalError,
    HephaestusError,
    ProcessCancelledError,
    ToolNotFoundError,
    ToolTimeoutError,
)
from hephaestus.core.logging import LogSettings, configure
from hephaestus.core.proc import Cancellation, ProcessResult, run
from hephaestus.core.streams import RecordStream, stream_records

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

PY = sys.executable
MISSING_TOOL = "hephaestus-no-such-tool-7f3a"
# Each example starts a Python interpreter: keep the count small and drop the per-example deadline.
SUBPROCESS_SETTINGS = settings(max_examples=25, deadline=None)


@pytest.fixture(autouse=True)
def _default_logging() -> Iterator[None]:
    """Log with the defaults during each test and restore them after (run() logs events)."""
    configure(LogSettings())
    yield
    configure(LogSettings())


def _python(code: str, *args: str) -> list[str]:
    """The argv that runs ``code`` in an isolated child interpreter."""
    return [PY, "-I", "-c", textwrap.dedent(code), *args]


def _script(path: Path, body: str, *, interpreter: str = PY) -> Path:
    """Write an executable script at ``path`` with a ``#!`` line."""
    path.write_text(f"#!{interpreter}\n{body}", encoding="utf-8")
    path.chmod(0o755)
    return path


def test_captures_stdout_and_stderr_separately() -> None:
    """The child's stdout and stderr are captured, each on its own."""
    result = run(
        _python("import sys; print('to out'); print('to err', file=sys.stderr)"), timeout=30
    )
    assert result.stdout == "to out\n"
    assert result.stderr == "to err\n"
    assert result.returncode == 0
    assert result.ok


def test_result_records_argv_and_duration() -> None:
    """The result keeps the argv it ran (as a tuple of str) and a non-negative duration."""
    argv = _python("pass")
    result = run(argv, timeout=30)
    assert isinstance(result, ProcessResult)
    assert result.argv == tuple(argv)
    assert result.duration >= 0


def test_non_zero_exit_is_data_not_an_exception() -> None:
    """A failing child returns its status and output; run() does not raise."""
    result = run(
        _python("import sys; sys.stderr.write('found 2 problems'); sys.exit(3)"), timeout=30
    )
    assert result.returncode == 3
    assert not result.ok
    assert result.stderr == "found 2 problems"


def test_env_entries_are_added_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``env`` adds and overrides variables; the rest of the environment is inherited."""
    monkeypatch.setenv("HEPH_TEST_INHERITED", "kept")
    monkeypatch.setenv("HEPH_TEST_OVERRIDDEN", "old")
    result = run(
        _python(
            """
            import os
            for name in ("HEPH_TEST_INHERITED", "HEPH_TEST_OVERRIDDEN", "HEPH_TEST_ADDED"):
                print(name, os.environ.get(name))
            """
        ),
        timeout=30,
        env={"HEPH_TEST_OVERRIDDEN": "new", "HEPH_TEST_ADDED": "added"},
    )
    assert result.stdout.splitlines() == [
        "HEPH_TEST_INHERITED kept",
        "HEPH_TEST_OVERRIDDEN new",
        "HEPH_TEST_ADDED added",
    ]
    assert os.environ["HEPH_TEST_OVERRIDDEN"] == "old"
    assert "HEPH_TEST_ADDED" not in os.environ


def test_env_path_is_used_to_find_the_program(tmp_path: Path) -> None:
    """A program found only on the PATH given in ``env`` is found and run."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _script(bin_dir / "heph-private-tool", "print('private tool ran')\n")
    result = run(["heph-private-tool"], timeout=30, env={"PATH": str(bin_dir)})
    assert result.stdout == "private tool ran\n"


def test_stdin_is_passed_to_the_child() -> None:
    """``stdin`` text is written to the child's standard input."""
    result = run(
        _python("import sys; data = sys.stdin.read(); print(len(data)); print(data.upper())"),
        timeout=30,
        stdin="hello\nworld",
    )
    assert result.stdout == "11\nHELLO\nWORLD\n"


def test_without_stdin_the_child_does_not_read_the_callers_stdin(tmp_path: Path) -> None:
    """With ``stdin=None`` the child reads end-of-file, never the caller's own standard input.

    A hephaestus process whose stdin carries data (a git pre-push hook, a piped document) must not
    have it consumed by a tool it starts, and a tool that waits for input must not hang on it.
    """
    caller = tmp_path / "caller.py"
    caller.write_text(
        textwrap.dedent(
            """
            import sys
            from hephaestus.core.proc import run

            child = [sys.executable, "-I", "-c", "import sys; print(repr(sys.stdin.read()))"]
            print(run(child, timeout=30).stdout, end="")
            """
        ),
        encoding="utf-8",
    )
    caller_result = subprocess.run(
        [PY, str(caller)],
        input="caller's own data\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert caller_result.stdout == "''\n"


@pytest.mark.parametrize("as_str", [False, True], ids=["Path", "str"])
def test_cwd_is_honoured(tmp_path: Path, as_str: bool) -> None:
    """The child runs in ``cwd``, given as a Path or a str."""
    workdir = tmp_path / "work dir"
    workdir.mkdir()
    result = run(
        _python("import os; print(os.getcwd())"),
        timeout=30,
        cwd=str(workdir) if as_str else workdir,
    )
    assert Path(result.stdout.strip()).resolve() == workdir.resolve()


def test_relative_program_is_found_relative_to_cwd(tmp_path: Path) -> None:
    """``./tool`` with ``cwd`` runs the tool in ``cwd``, as subprocess itself would resolve it."""
    project = tmp_path / "project"
    project.mkdir()
    _script(project / "check.py", "print('project check ran')\n")
    result = run(["./check.py"], cwd=project, timeout=30)
    assert result.stdout == "project check ran\n"


def test_missing_cwd_is_not_reported_as_a_missing_tool(tmp_path: Path) -> None:
    """A ``cwd`` that does not exist is named in the error, not blamed on the (present) program."""
    missing = tmp_path / "no-such-dir"
    with pytest.raises((OSError, HephaestusError), match=re.escape(str(missing))) as info:
        run(_python("pass"), cwd=missing, timeout=30)
    assert not isinstance(info.value, ToolNotFoundError)


def test_missing_executable_raises_with_default_hint() -> None:
    """A program not on PATH is a ToolNotFoundError (exit 5) naming it, with an install hint."""
    with pytest.raises(ToolNotFoundError) as info:
        run([MISSING_TOOL, "--version"], timeout=30)
    error = info.value
    assert MISSING_TOOL in error.message
    assert error.hint == f"install {MISSING_TOOL} and make sure it is on PATH"
    assert error.exit_code is ExitCode.EXTERNAL
    assert error.code == "tool-not-found"


def test_missing_executable_raises_with_custom_hint() -> None:
    """The caller's install hint replaces the default one."""
    with pytest.raises(ToolNotFoundError) as info:
        run([MISSING_TOOL], timeout=30, install_hint="uv tool install no-such-tool")
    assert info.value.hint == "uv tool install no-such-tool"
    assert MISSING_TOOL in info.value.message


def test_non_executable_file_is_not_found(tmp_path: Path) -> None:
    """A path to a file without the execute bit is reported as not installed."""
    script = tmp_path / "tool.py"
    script.write_text("print('never')\n", encoding="utf-8")
    script.chmod(0o644)
    with pytest.raises(ToolNotFoundError, match=re.escape(str(script))):
        run([str(script)], timeout=30)


def test_executable_with_broken_interpreter_line_is_not_found(tmp_path: Path) -> None:
    """A program that exists but cannot start (its ``#!`` names nothing) is ToolNotFoundError."""
    script = _script(tmp_path / "broken-tool", "echo never\n", interpreter="/no/such/interpreter")
    with pytest.raises(ToolNotFoundError, match="could not be started") as info:
        run([str(script)], timeout=30, install_hint="reinstall broken-tool with pipx")
    assert info.value.hint == "reinstall broken-tool with pipx"


def test_timeout_raises_and_kills_the_child(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A child past its timeout is killed and reported as ToolTimeoutError (exit 5)."""
    pid_file = tmp_path / "child.pid"
    argv = _python(
        """
        import os, sys, time
        with open(sys.argv[1], "w") as f:
            f.write(str(os.getpid()))
        time.sleep(60)
        """,
        str(pid_file),
    )
    with pytest.raises(ToolTimeoutError) as info:
        run(argv, timeout=0.5)
    error = info.value
    assert "0.5 s" in error.message
    assert error.hint
    assert error.exit_code is ExitCode.EXTERNAL
    assert error.code == "tool-timeout"
    pid = int(pid_file.read_text(encoding="utf-8"))
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # signal 0 only probes: the child no longer exists
    assert "process.timed_out" in capsys.readouterr().err


def test_empty_argv_raises_value_error() -> None:
    """An empty argv is a programming error: ValueError, and nothing is started."""
    with pytest.raises(ValueError, match="argv"):
        run([], timeout=30)


def test_undecodable_output_is_replaced_not_fatal() -> None:
    """Bytes that are not UTF-8 become U+FFFD in stdout and stderr instead of raising."""
    result = run(
        _python(
            r"""
            import sys
            sys.stdout.buffer.write(b"ok \xff\xfe end")
            sys.stderr.buffer.write(b"\xc3(")
            """
        ),
        timeout=30,
    )
    assert result.stdout == "ok \ufffd\ufffd end"
    assert result.stderr == "\ufffd("


def test_shell_metacharacters_reach_the_program_literally() -> None:
    """Shell metacharacters in argv reach the program literally: no shell ever interprets them."""
    hostile = "$(echo pwned); echo pwned | cat > x && `id`"
    result = run(_python("import sys; print(sys.argv[1])", hostile), timeout=30)
    assert result.stdout == hostile + "\n"


# Universal-newline decoding turns "\r" into "\n"; surrogates cannot be encoded as UTF-8.
_round_trip_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r"), max_size=200
)


@SUBPROCESS_SETTINGS
@given(text=_round_trip_text)
def test_text_round_trips_through_stdin_and_stdout(text: str) -> None:
    """Arbitrary text written to a child's stdin comes back unchanged from its stdout."""
    result = run(
        _python("import sys; sys.stdout.buffer.write(sys.stdin.buffer.read())"),
        timeout=30,
        stdin=text,
    )
    assert result.stdout == text


@SUBPROCESS_SETTINGS
@given(data=st.binary(max_size=200).filter(lambda data: b"\r" not in data))
def test_arbitrary_output_bytes_decode_with_replacement(data: bytes) -> None:
    """Whatever bytes a tool writes, stdout is their UTF-8 decoding with replacement."""
    result = run(
        _python("import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))", data.hex()),
        timeout=30,
    )
    assert result.stdout == data.decode("utf-8", errors="replace")


@SUBPROCESS_SETTINGS
@given(data=st.binary(max_size=200).filter(lambda data: b"\r" not in data))
def test_surrogateescape_round_trips_output_bytes_exactly(data: bytes) -> None:
    """With ``errors="surrogateescape"`` the original bytes can be recovered from stdout."""
    result = run(
        _python("import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))", data.hex()),
        timeout=30,
        errors="surrogateescape",
    )
    assert result.stdout.encode("utf-8", errors="surrogateescape") == data


def test_stream_records_yields_split_records(tmp_path: Path) -> None:
    """stream_records splits on NUL, keeps CR and non-UTF-8 bytes exact, drops empty records."""
    script = "import sys; sys.stdout.buffer.write(b'a\\0b\\r\\0\\xff.pyc\\0\\0')"
    records = list(stream_records([sys.executable, "-c", script], cwd=tmp_path, timeout=30))
    assert records == ["a", "b\r", os.fsdecode(b"\xff.pyc")]


def test_stream_records_kills_a_silent_hang(tmp_path: Path) -> None:
    """A process that writes nothing and never ends is killed at the timeout."""
    started = time.monotonic()
    with pytest.raises(ToolTimeoutError):
        list(
            stream_records(
                [sys.executable, "-c", "import time; time.sleep(60)"], cwd=tmp_path, timeout=0.5
            )
        )
    assert time.monotonic() - started < 10


def test_stream_records_failure_names_the_last_error_line(tmp_path: Path) -> None:
    """A non-zero exit raises ExternalError carrying the last line of stderr."""
    script = "import sys; sys.stderr.write('first\\nlast words\\n'); sys.exit(3)"
    with pytest.raises(ExternalError, match="exit code 3: last words"):
        list(stream_records([sys.executable, "-c", script], cwd=tmp_path, timeout=30))


def test_record_stream_runs_before_it_is_read(tmp_path: Path) -> None:
    """The process starts with the stream: it has written its file before anything is read."""
    marker = tmp_path / "started"
    script = f"import pathlib; pathlib.Path({str(marker)!r}).touch(); print('a', end='')"
    with RecordStream([sys.executable, "-c", script], cwd=tmp_path, timeout=30) as stream:
        deadline = time.monotonic() + 20
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert marker.exists()
        assert list(stream) == ["a"]


def test_record_stream_closed_unread_stops_the_process(tmp_path: Path) -> None:
    """A stream given up before its end kills the process (it would block on a full pipe)."""
    script = "import sys\nwhile True: sys.stdout.write('x' * 65536 + '\\0')"
    stream = RecordStream([sys.executable, "-c", script], cwd=tmp_path, timeout=30)
    stream.close()
    assert stream.process.returncode is not None
    assert stream.process.stdout is not None
    assert stream.process.stdout.closed


def test_record_stream_of_a_missing_program_raises_at_once(tmp_path: Path) -> None:
    """Not installed: ToolNotFoundError when the stream is made, with the hint given."""
    with pytest.raises(ToolNotFoundError, match="no-such-tool-xyz"):
        RecordStream(["no-such-tool-xyz"], cwd=tmp_path, timeout=30, install_hint="install it")


def test_a_spooled_stream_is_read_while_its_process_still_writes(tmp_path: Path) -> None:
    """Spooled output is read as the file grows; stdin reaches the process; order is kept."""
    script = (
        "import sys, time\n"
        "for line in sys.stdin:\n"
        "    sys.stdout.write(line.strip() + '\\0'); sys.stdout.flush(); time.sleep(0.05)\n"
    )
    given = "".join(f"r{i}\n" for i in range(20)).encode()
    stream = RecordStream(
        [sys.executable, "-c", script], cwd=tmp_path, timeout=30, stdin=given, spool=True
    )
    records = iter(stream)
    assert next(records) == "r0"
    assert stream.process.poll() is None  # the first record came before the process ended
    assert list(records) == [f"r{i}" for i in range(1, 20)]


def test_a_spooled_stream_that_fails_names_the_last_error_line(tmp_path: Path) -> None:
    """A spooled process that exits non-zero raises like a piped one, after its records."""
    script = "import sys; sys.stdout.write('a\\0'); sys.stderr.write('boom\\n'); sys.exit(4)"
    stream = RecordStream([sys.executable, "-c", script], cwd=tmp_path, timeout=30, spool=True)
    records = iter(stream)
    assert next(records) == "a"
    with pytest.raises(ExternalError, match="exit code 4: boom"):
        next(records)


# --- process groups: nothing a tool starts outlives it ----------------------------------------

# A tool three generations deep: each process waits until its child has written its pid file,
# then writes its own, so "pid-2" existing means the whole family runs. Modes: "stay" (all sleep
# in the tool's group), "escape" (the child leaves the group with setsid and keeps stdout open),
# "leave" (the tool exits at once, its children sleep on, holding none of its pipes).
FAMILY = """
import os, subprocess, sys, time

directory, depth, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if depth:
    quiet = subprocess.DEVNULL if mode == "leave" else None
    subprocess.Popen(
        [sys.executable, "-I", __file__, directory, str(depth - 1), mode],
        start_new_session=mode == "escape" and depth == 2,
        stdout=quiet,
        stderr=quiet,
    )
    while not os.path.exists(os.path.join(directory, f"pid-{depth - 1}")):
        time.sleep(0.01)
with open(os.path.join(directory, "pid.tmp"), "w") as f:
    f.write(str(os.getpid()))
os.replace(os.path.join(directory, "pid.tmp"), os.path.join(directory, f"pid-{depth}"))
if mode != "leave" or depth < 2:
    time.sleep(60)
"""
GENERATIONS = 3
TIMEOUT = 2.5
"""Long enough for the family to start on a slow machine, short enough for the suite."""
STOP_BOUND = 2.0
"""Seconds within which a stopped tool and all its descendants must be gone."""
LINUX_ONLY = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting for its reaper is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rpartition(")")[2].split()[0] not in {"Z", "X"}


def _still_running(pids: Iterable[int], *, within: float) -> list[int]:
    """Wait up to ``within`` seconds for ``pids`` to end; return those still running."""
    deadline = time.monotonic() + within
    while (alive := [pid for pid in pids if _running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.01)
    return alive


def _family_pids(directory: Path) -> list[int]:
    """The pids the family in ``directory`` wrote, youngest first."""
    files = (directory / f"pid-{depth}" for depth in range(GENERATIONS))
    return [int(path.read_text(encoding="utf-8")) for path in files if path.exists()]


@pytest.fixture
def family(tmp_path: Path) -> Iterator[Path]:
    """A directory for a tool family's pid files; whatever of it still runs is killed after."""
    directory = tmp_path / "family"
    directory.mkdir()
    (directory / "family.py").write_text(textwrap.dedent(FAMILY), encoding="utf-8")
    yield directory
    for pid in _family_pids(directory):
        if _running(pid):
            os.kill(pid, signal.SIGKILL)
    assert not _still_running(_family_pids(directory), within=5)


def _family(directory: Path, mode: str) -> list[str]:
    """The argv of a tool family of :data:`GENERATIONS` processes (see :data:`FAMILY`)."""
    script = str(directory / "family.py")
    return [PY, "-I", script, str(directory), str(GENERATIONS - 1), mode]


def _wait_for_family(directory: Path) -> None:
    """Wait until every process of the family in ``directory`` runs."""
    deadline = time.monotonic() + 30
    while not (directory / f"pid-{GENERATIONS - 1}").exists():
        assert time.monotonic() < deadline, "the tool family did not start"
        time.sleep(0.01)


def test_each_child_runs_in_a_session_of_its_own() -> None:
    """run() starts the child as leader of a new session and process group, apart from ours."""
    result = run(_python("import os; print(os.getpid(), os.getpgid(0), os.getsid(0))"), timeout=30)
    pid, group, session = map(int, result.stdout.split())
    assert pid == group == session
    assert group != os.getpgid(0)


@LINUX_ONLY
def test_timeout_stops_the_tools_children_too(family: Path) -> None:
    """On timeout the whole group (tool, child, grandchild) is gone within 2 s of the timeout."""
    started = time.monotonic()
    with pytest.raises(ToolTimeoutError):
        run(_family(family, "stay"), timeout=TIMEOUT)
    pids = _family_pids(family)
    assert len(pids) == GENERATIONS
    assert not _still_running(pids, within=STOP_BOUND)
    assert time.monotonic() - started - TIMEOUT < STOP_BOUND


@LINUX_ONLY
def test_an_escaped_grandchild_holding_stdout_does_not_hang_run(family: Path) -> None:
    """A descendant that left the group (setsid) and keeps stdout open delays run() < 2 s."""
    started = time.monotonic()
    with pytest.raises(ToolTimeoutError):
        run(_family(family, "escape"), timeout=TIMEOUT)
    assert time.monotonic() - started - TIMEOUT < STOP_BOUND
    tool, *escaped = reversed(_family_pids(family))
    assert not _still_running([tool], within=STOP_BOUND)
    assert len(escaped) == GENERATIONS - 1
    assert all(_running(pid) for pid in escaped)  # out of reach; the fixture kills them


@LINUX_ONLY
def test_what_a_tool_leaves_running_in_its_group_is_killed(family: Path) -> None:
    """A tool that exits leaving children behind in its group: run() returns, they are killed."""
    result = run(_family(family, "leave"), timeout=30)
    assert result.ok
    assert len(_family_pids(family)) == GENERATIONS
    assert not _still_running(_family_pids(family), within=STOP_BOUND)


@LINUX_ONLY
@pytest.mark.parametrize("mode", ["stay", "escape"])
def test_cancel_from_another_thread_stops_a_running_tool(family: Path, mode: str) -> None:
    """cancel() from another thread: run() raises ProcessCancelledError within 2 s, group gone."""
    token = Cancellation()
    cancelled_at: list[float] = []

    def cancel_when_running() -> None:
        _wait_for_family(family)
        cancelled_at.append(time.monotonic())
        token.cancel()

    canceller = threading.Thread(target=cancel_when_running)
    canceller.start()
    try:
        with pytest.raises(ProcessCancelledError) as info:
            run(_family(family, mode), timeout=60, cancellation=token)
        ended = time.monotonic()
    finally:
        canceller.join()
    assert ended - cancelled_at[0] < STOP_BOUND
    assert info.value.code == "cancelled"
    assert info.value.exit_code is ExitCode.EXTERNAL
    assert token.cancelled
    pids = _family_pids(family)
    in_group = pids if mode == "stay" else pids[-1:]
    assert not _still_running(in_group, within=STOP_BOUND)


@LINUX_ONLY
def test_ctrl_c_while_waiting_stops_the_group_and_is_raised(family: Path) -> None:
    """SIGINT in the waiting (main) thread stops the tool's whole group, then propagates."""
    main = threading.main_thread()
    assert threading.current_thread() is main
    sent_at: list[float] = []

    def interrupt_when_running() -> None:
        _wait_for_family(family)
        sent_at.append(time.monotonic())
        assert main.ident is not None
        signal.pthread_kill(main.ident, signal.SIGINT)  # Ctrl-C, to the thread inside run()

    interrupter = threading.Thread(target=interrupt_when_running)
    interrupter.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run(_family(family, "stay"), timeout=60)
    finally:
        interrupter.join()
    pids = _family_pids(family)
    assert len(pids) == GENERATIONS
    assert not _still_running(pids, within=STOP_BOUND)
    assert time.monotonic() - sent_at[0] < STOP_BOUND


def test_a_cancelled_token_starts_nothing(tmp_path: Path) -> None:
    """Once cancelled (twice does no harm), run() with the token raises and starts no process."""
    token = Cancellation()
    assert not token.cancelled
    token.cancel()
    token.cancel()
    marker = tmp_path / "started"
    started = time.monotonic()
    with pytest.raises(ProcessCancelledError, match="cancelled"):
        run(
            _python("import sys; open(sys.argv[1], 'w').close()", str(marker)),
            timeout=30,
            cancellation=token,
        )
    assert time.monotonic() - started < 0.5
    assert not marker.exists()


def test_a_token_never_cancelled_changes_nothing() -> None:
    """A run with a token that is not cancelled returns its result as without one."""
    token = Cancellation()
    result = run(_python("print('done')"), timeout=30, cancellation=token)
    assert result.stdout == "done\n"
    assert not token.cancelled


def test_record_stream_runs_in_a_session_of_its_own(tmp_path: Path) -> None:
    """A RecordStream's process leads its own session and process group."""
    script = "import os; print(os.getpid(), os.getpgid(0), os.getsid(0), sep='\\0', end='')"
    pid, group, session = map(int, stream_records([PY, "-c", script], cwd=tmp_path, timeout=30))
    assert pid == group == session
    assert group != os.getpgid(0)


@LINUX_ONLY
def test_record_stream_timeout_stops_the_tools_children_too(family: Path) -> None:
    """A stream past its timeout stops its whole group: no descendant of the tool survives."""
    with pytest.raises(ToolTimeoutError):
        list(stream_records(_family(family, "stay"), cwd=family, timeout=TIMEOUT))
    pids = _family_pids(family)
    assert len(pids) == GENERATIONS
    assert not _still_running(pids, within=STOP_BOUND)
