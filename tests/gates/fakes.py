"""Small real gates for runner tests: each runs a Python subprocess over the repository's files."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, ClassVar

from hephaestus.gates.models import Finding, Severity
from hephaestus.gates.spec import Gate, GateConfig, GateContext, GateError, Outcome

if TYPE_CHECKING:
    from collections.abc import Sequence

    from hephaestus.core.proc import ProcessResult

# Prints "path:line: message" for every line containing the word, and appends to a run log.
SCRIPT = """
import sys, pathlib
word, log, *paths = sys.argv[1:]
with open(log, "a") as handle:
    handle.write(sys.argv[0] + "\\n")
for path in paths:
    for number, text in enumerate(pathlib.Path(path).read_text().splitlines(), 1):
        if word in text:
            print(f"{path}:{number}: found {word}")
"""


class WordConfig(GateConfig):
    """Settings of the word gate."""

    word: str = "FIXME"
    log: str = "runs.log"
    """Where each run of the gate is recorded, relative to the scratch-independent tmp root."""
    severity: Severity = Severity.error
    """Severity of each finding."""


class WordGate(Gate[WordConfig]):
    """Fails on every line of a *.txt file containing ``word``."""

    name: ClassVar[str] = "word"
    description: ClassVar[str] = "find a word in text files"
    tool: ClassVar[str | None] = None
    config_model: ClassVar[type[GateConfig]] = WordConfig
    inputs: ClassVar[tuple[str, ...]] = ("*.txt",)
    tool_version: ClassVar[str] = "1.0"

    def version(self, context: GateContext[WordConfig]) -> str:  # noqa: ARG002
        """Return the class's pretend tool version (tests change it)."""
        return self.tool_version

    def command(self, context: GateContext[WordConfig]) -> Sequence[str]:
        """Run the script over the repository's text files."""
        texts = [f for f in context.files if f.endswith(".txt")]
        return [sys.executable, "-c", SCRIPT, context.config.word, context.config.log, *texts]

    def parse(self, context: GateContext[WordConfig], process: ProcessResult) -> Outcome:
        """One finding (of the configured severity) per printed line."""
        if process.returncode != 0:
            raise GateError("the word script crashed", hint="look at its stderr")
        findings = []
        for line in process.stdout.splitlines():
            path, number, message = line.split(":", 2)
            findings.append(
                Finding(
                    gate=self.name,
                    rule="word",
                    severity=context.config.severity,
                    message=message.strip(),
                    path=path,
                    line=int(number),
                )
            )
        return Outcome(findings=tuple(findings))


class SleepGate(Gate[GateConfig]):
    """Sleeps for a while, then passes: for parallelism, timeouts and --fail-fast."""

    name: ClassVar[str] = "sleep"
    description: ClassVar[str] = "sleep"
    tool: ClassVar[str | None] = None
    inputs: ClassVar[tuple[str, ...]] = ("*.py",)
    seconds: ClassVar[float] = 1.0

    def command(self, context: GateContext[GateConfig]) -> Sequence[str]:  # noqa: ARG002
        """Sleep in a subprocess."""
        return [sys.executable, "-c", f"import time; time.sleep({self.seconds})"]

    def parse(self, context: GateContext[GateConfig], process: ProcessResult) -> Outcome:  # noqa: ARG002
        """Pass."""
        return Outcome()


class MissingToolGate(Gate[GateConfig]):
    """Its tool is a distribution that is not installed."""

    name: ClassVar[str] = "missing"
    description: ClassVar[str] = "needs a tool that is not installed"
    tool: ClassVar[str | None] = "no-such-distribution-hephaestus"

    def command(self, context: GateContext[GateConfig]) -> Sequence[str]:  # noqa: ARG002
        """Never reached: version() fails first."""
        return ["no-such-program"]

    def parse(self, context: GateContext[GateConfig], process: ProcessResult) -> Outcome:  # noqa: ARG002
        """Never reached."""
        return Outcome()


class CrashingGate(Gate[GateConfig]):
    """A gate with a bug: its parse hook raises."""

    name: ClassVar[str] = "crashing"
    description: ClassVar[str] = "has a bug"
    tool: ClassVar[str | None] = None

    def command(self, context: GateContext[GateConfig]) -> Sequence[str]:  # noqa: ARG002
        """Run nothing much."""
        return [sys.executable, "-c", "pass"]

    def parse(self, context: GateContext[GateConfig], process: ProcessResult) -> Outcome:  # noqa: ARG002
        """Fail like a buggy plugin."""
        raise KeyError("oops")


# Announces itself, then waits (up to 30 s) until its partner has announced itself too.
RENDEZVOUS = """
import pathlib, sys, time
me, partner = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
me.touch()
deadline = time.monotonic() + 30
while not partner.exists():
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(0.01)
"""


class MeetGate(Gate[GateConfig]):
    """Passes only if its partner gate runs at the same time (fails after 30 s alone)."""

    name: ClassVar[str] = "meet"
    description: ClassVar[str] = "meet the partner gate"
    tool: ClassVar[str | None] = None
    partner: ClassVar[str] = "other-meet"

    def command(self, context: GateContext[GateConfig]) -> Sequence[str]:
        """Announce, then wait for the partner's announcement."""
        me, other = context.root / f"{self.name}.here", context.root / f"{self.partner}.here"
        return [sys.executable, "-c", RENDEZVOUS, str(me), str(other)]

    def parse(self, context: GateContext[GateConfig], process: ProcessResult) -> Outcome:  # noqa: ARG002
        """Pass when the partner was met."""
        if process.returncode != 0:
            raise GateError("the partner never ran at the same time", hint="run in parallel")
        return Outcome()


class OtherMeetGate(MeetGate):
    """The partner of :class:`MeetGate`."""

    name: ClassVar[str] = "other-meet"
    partner: ClassVar[str] = "meet"
