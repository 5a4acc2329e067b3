"""The real ``warroom`` in tmux, typed at as a hurried scribe would: stray keys in a
pane, a 200-line bracketed paste, and typing before the screen has finished opening.
Each test reads what was recorded back from the SQLite store."""

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.tui.conftest import demo_runbook, room_for
from tests.tui.test_flows import events_of as events
from tests.tui.test_terminal import TMUX, WARROOM, wait_for

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")

LOG = "\n".join(f"10:{n // 60:02d}:{n % 60:02d} ERROR pool exhausted #{n}" for n in range(200))


class Tmux:
    """One ``warroom`` in a tmux session of its own (its own server socket)."""

    def __init__(self, home: Path, *args: str, size: tuple[int, int] = (100, 30)) -> None:
        self.base = [TMUX, "-L", f"warroom-keys-{os.urandom(6).hex()}"]
        command = f"exec env WARROOM_HOME={home} WARROOM_USER=tess TERM=xterm-256color"
        self.run(
            "new-session", "-d", "-s", "w", "-x", str(size[0]), "-y", str(size[1]),
            f"{command} {WARROOM} {' '.join(args)}",
        )  # fmt: skip

    def run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([*self.base, *args], check=True, capture_output=True, **kwargs)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "w", text=True).stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.run("send-keys", "-t", "w", *(["-l"] if literal else []), *keys)

    def paste(self, text: str, tmp: Path) -> None:
        """A bracketed paste, as a terminal sends one (``paste-buffer -p``)."""
        path = tmp / "paste.txt"
        path.write_text(text)
        self.run("load-buffer", "-b", "p", str(path))
        self.run("paste-buffer", "-p", "-d", "-b", "p", "-t", "w")

    def wait(self, check, what: str, timeout: float = 20) -> None:
        """``wait_for``, saying what was on the screen when it timed out."""
        try:
            wait_for(check, timeout, what)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the screen:\n{self.screen()}") from None

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True)


def test_stray_keys_in_the_panes_and_a_200_line_paste(home, tmp_path):
    room = room_for(home)
    try:
        iid = room.declare("Checkout 502s", severity="SEV2", incident_type="outage").incident_id
        room.attach_runbook(iid, demo_runbook())
    finally:
        room.store.close()
    before = len(events(home, iid))
    tmux = Tmux(home, "--layout", "responder")
    footer_has = lambda word: word in tmux.screen().rstrip().splitlines()[-1]  # noqa: E731
    try:
        tmux.wait(lambda: "Checkout 502s" in tmux.screen(), "the incident on screen")
        tmux.keys("Escape")  # to the panes, then the runbook, as a responder would,
        tmux.wait(lambda: footer_has("Follow"), "the timeline's keys in the footer")
        tmux.keys("4")  # looking for the footer first: Escape and a key at once are alt+key
        tmux.wait(lambda: footer_has("Claim"), "the runbook's keys in the footer")
        tmux.keys("dns", literal=True)  # meant for the entry bar
        in_bar = lambda: any(line.strip() == "dns" for line in tmux.screen().splitlines())  # noqa: E731
        tmux.wait(in_bar, "dns in the entry bar")
        assert len(events(home, iid)) == before  # no step marked, nothing written
        tmux.keys("C-u")
        tmux.wait(lambda: not in_bar(), "the entry bar cleared")  # then paste
        tmux.paste(LOG, tmp_path)
        tmux.wait(lambda: "200 lines" in tmux.screen(), "the paste in the entry bar")
        tmux.keys("Enter")
        tmux.wait(lambda: len(events(home, iid)) > before, "the entry in the store")
        [entry] = events(home, iid)[before:]
        assert entry.kind == "note" and entry.payload.text == LOG
        assert not [e for e in events(home, iid) if e.kind == "runbook_step"]
        tmux.keys("Escape")
        tmux.wait(lambda: footer_has("Follow"), "the timeline's keys in the footer")
        tmux.keys("3")  # the checklist: a space behind a stray "d" must not check an item
        tmux.wait(lambda: footer_has("Check"), "the checklist's keys in the footer")
        tmux.keys("db is back", literal=True)
        typed = lambda: any(line.strip() == "db is back" for line in tmux.screen().splitlines())  # noqa: E731
        tmux.wait(typed, "the words in the entry bar, in order")
        assert len(events(home, iid)) == before + 1  # no item checked
    finally:
        tmux.close()


def test_text_typed_while_the_screen_opens_arrives_whole(home):
    room = room_for(home)
    try:
        iid = room.declare("Early", severity="SEV2", incident_type="outage").incident_id
    finally:
        room.store.close()
    before = len(events(home, iid))
    tmux = Tmux(home, "--layout", "commander", size=(160, 45))
    try:
        time.sleep(0.4)  # the boot screen, or the handover to the war-room screen
        for character in "early typing test":  # one key at a time, across the handover
            tmux.keys(character, literal=True)
            time.sleep(0.03)
        tmux.wait(lambda: "Early" in tmux.screen(), "the incident on screen")
        tmux.keys("Enter")
        tmux.wait(lambda: len(events(home, iid)) == before + 1, "the entry in the store")
        assert events(home, iid)[-1].payload.text == "early typing test"
    finally:
        tmux.close()
