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
import threading
import time
from datetime import datetime
from typing import NamedTuple

from warroom.core.runbook import CodeBlock
from warroom.core.timeparse import utcnow

EXCERPT_BYTES = 2000
"""Bytes kept from each end of the output."""

STOP_POLL_S = 0.1
"""How often a command that may be stopped early checks whether it should be."""

_SHELLS = {"bash": "bash", "zsh": "zsh"}
"""Blocks marked for these shells run in them; every other shell block runs in ``sh``."""


class CommandOutcome(NamedTuple):
    started_at: datetime
    exit_code: int | None
    """``None`` when the command was stopped at its timeout."""
    duration_s: float
    output: str


def shell_for(block: CodeBlock) -> str:
    """The shell that runs ``block``: its path, as a confirmation shows it."""
    return shutil.which(_SHELLS.get(block.language, "sh")) or "/bin/sh"


def run_command(
    block: CodeBlock, timeout: float, *, stop: threading.Event | None = None
) -> CommandOutcome:
    """Run a shell block with the caller's environment and working directory.

    Setting ``stop`` (the screen does when it quits) ends the command early, as a
    timeout would. ``OSError`` means the shell could not be started: nothing ran.
    """
    shell = shell_for(block)
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
            exit_code: int | None = _wait(process, timeout, stop)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            exit_code = None
        duration = time.monotonic() - start
        output = excerpt(sink)
    return CommandOutcome(started_at, exit_code, round(duration, 3), output)


def _wait(process: subprocess.Popen, timeout: float, stop: threading.Event | None) -> int:
    """The exit code; ``TimeoutExpired`` at the timeout or as soon as ``stop`` is set."""
    if stop is None:
        return process.wait(timeout)
    deadline = time.monotonic() + timeout
    while not stop.is_set():
        try:
            return process.wait(min(STOP_POLL_S, max(deadline - time.monotonic(), 0)))
        except subprocess.TimeoutExpired:
            if time.monotonic() >= deadline:
                raise
    raise subprocess.TimeoutExpired(process.args, timeout)


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
