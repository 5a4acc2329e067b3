"""The real ``warroom`` command in real terminals: inside tmux, and in a pseudo-terminal
that goes away as a dropped SSH session does."""

import fcntl
import os
import shutil
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from tests.tui.conftest import room_for

WARROOM = str(Path(sys.executable).parent / "warroom")
TMUX = shutil.which("tmux")


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def declare(home: Path, title: str) -> str:
    room = room_for(home)
    try:
        return room.declare(title, severity="SEV2", incident_type="outage").incident_id
    finally:
        room.store.close()


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)")
def test_typed_entry_reaches_the_screen_and_the_store(home):
    incident = declare(home, "Disk full on db-3")
    socket, session = f"warroom-test-{os.urandom(6).hex()}", "warroom"
    tmux = [TMUX, "-L", socket]
    command = f"exec env WARROOM_HOME={home} WARROOM_USER=tess TERM=xterm-256color {WARROOM}"
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command], check=True
    )
    try:

        def screen() -> str:
            return subprocess.run(
                [*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True
            ).stdout

        wait_for(lambda: "Disk full on db-3" in screen(), 15, "the incident on screen")
        # no "i" first: the entry bar has the keyboard from the start
        subprocess.run(
            [*tmux, "send-keys", "-t", session, "-l", "o: typed through tmux"], check=True
        )
        subprocess.run([*tmux, "send-keys", "-t", session, "Enter"], check=True)

        def in_timeline() -> bool:
            return any(
                "OBS" in line and "typed through tmux" in line for line in screen().splitlines()
            )

        wait_for(in_timeline, 10, "the entry in the timeline")
        room = room_for(home)
        try:
            events = room.store.events(incident)
        finally:
            room.store.close()
        entry = events[-1]
        assert (entry.kind, entry.payload.text, entry.actor) == (
            "observation",
            "typed through tmux",
            "tess",
        )
        # Still in the entry bar (Enter keeps focus): a leading colon runs a command.
        subprocess.run([*tmux, "send-keys", "-t", session, "-l", ":quit"], check=True)
        subprocess.run([*tmux, "send-keys", "-t", session, "Enter"], check=True)
        wait_for(
            lambda: (
                subprocess.run(
                    [*tmux, "has-session", "-t", session], capture_output=True
                ).returncode
                != 0
            ),
            10,
            "exit on q",
        )
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


class Terminal:
    """``warroom`` on a pseudo-terminal whose other end this test holds (and can drop)."""

    def __init__(self, home: Path, *, controlling: bool) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = dict(os.environ, WARROOM_HOME=str(home), TERM="xterm-256color")

        def become_session_leader() -> None:
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.process = subprocess.Popen(
            [WARROOM],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            close_fds=True,
            preexec_fn=become_session_leader if controlling else None,
        )
        os.close(slave)
        self.output = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output += chunk

    def hang_up(self) -> None:
        os.close(self.master)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.mark.parametrize("controlling", [True, False], ids=["sighup", "watchdog"])
def test_exits_when_the_terminal_goes_away(home, controlling):
    """With the tty as controlling terminal the kernel sends SIGHUP; without it (as under
    some multiplexers and nohup) only the watchdog notices the terminal is gone."""
    declare(home, "Link flapping on edge-2")
    terminal = Terminal(home, controlling=controlling)
    try:
        wait_for(lambda: b"Link flapping" in terminal.output, 15, "the first frame")
        terminal.hang_up()
        wait_for(lambda: terminal.process.poll() is not None, 5, "the app to exit")
    finally:
        terminal.close()
    assert terminal.process.returncode == 0  # a clean exit, not a crash or our kill


def test_without_a_terminal_it_says_so_instead_of_hanging(home):
    result = subprocess.run(
        [WARROOM],
        capture_output=True,
        text=True,
        timeout=30,
        env=dict(os.environ, WARROOM_HOME=str(home)),
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert "needs a terminal" in result.stderr and "--help" in result.stderr
