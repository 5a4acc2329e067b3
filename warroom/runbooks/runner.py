"""Run one of a step's pinned commands: a shell, a timeout, a bounded output excerpt.

The command runs in its own process group, so a timeout stops everything it started
(``kubectl ... --watch`` piped into ``grep`` included). Output goes to a temporary file
rather than memory, so a command that prints gigabytes cannot exhaust the war room; the
record keeps the first and last ``EXCERPT_BYTES`` of it.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
from datetime import datetime
from typing import NamedTuple

from warroom.core.runbook import CodeBlock
from warroom.core.timeparse import utcnow

EXCERPT_BYTES = 2000
"""Bytes kept from each end of the output."""

_SHELLS = {"bash": "bash", "zsh": "zsh"}
"""Blocks marked for these shells run in them; every other shell block runs in ``sh``."""


class CommandOutcome(NamedTuple):
    started_at: datetime
    exit_code: int | None
    """``None`` when the command was stopped at its timeout."""
    duration_s: float
    output: str


def run_command(block: CodeBlock, timeout: float) -> CommandOutcome:
    """Run a shell block with the caller's environment and working directory."""
    shell = shutil.which(_SHELLS.get(block.language, "sh")) or "/bin/sh"
    started_at, start = utcnow(), time.monotonic()
    with tempfile.TemporaryFile() as sink:
        process = subprocess.Popen(
            [shell, "-c", block.code],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            exit_code: int | None = process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            exit_code = None
        duration = time.monotonic() - start
        output = excerpt(sink)
    return CommandOutcome(started_at, exit_code, round(duration, 3), output)


def excerpt(sink) -> str:
    """The whole output when short, else its start and end around an omission marker."""
    size = sink.seek(0, os.SEEK_END)
    sink.seek(0)
    if size <= 2 * EXCERPT_BYTES:
        return sink.read().decode("utf-8", "replace")
    head = sink.read(EXCERPT_BYTES)
    sink.seek(size - EXCERPT_BYTES)
    tail = sink.read()
    omitted = size - 2 * EXCERPT_BYTES
    return (
        head.decode("utf-8", "replace")
        + f"\n[... {omitted:,} bytes omitted ...]\n"
        + tail.decode("utf-8", "replace")
    )
