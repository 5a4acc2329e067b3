"""The boot screen: the first frame is drawn before the configuration is loaded, takes
typing at once, and hands what was typed to the war-room screen; a configuration that
cannot load ends the app with the reason, never a hang or a traceback."""

import os
import threading

from textual.widgets import Input

from tests.tui.conftest import NOW, room_for, until
from tests.tui.test_terminal import Terminal, declare, wait_for
from warroom.config import Paths
from warroom.core.errors import InvalidInput
from warroom.core.policy import default_policy
from warroom.tui.app import TuiConfig, WarroomApp
from warroom.tui.entry_words import PLACEHOLDER
from warroom.tui.screens.boot import BootScreen
from warroom.tui.screens.help import HelpScreen
from warroom.tui.screens.main import WarRoomScreen


def gated_loader(home, gate: threading.Event):
    """A loader that waits for the test to let it finish."""

    def load() -> TuiConfig:
        assert gate.wait(10), "the test never opened the gate"
        return TuiConfig(paths=Paths(home), policy=default_policy(), actor="eli", clock=lambda: NOW)

    return load


async def test_typing_on_the_boot_screen_carries_over(home):
    declare(home, "Queue backlog on billing")
    gate = threading.Event()
    app = WarroomApp(gated_loader(home, gate))
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, BootScreen)
        assert app.screen.focused is app.screen.query_one(Input)
        await pilot.press(*"o: half typed")
        await pilot.press("enter")  # nothing to record into yet: the text stays
        assert app.screen.draft == "o: half typed"
        assert "still opening" in str(app.screen.query_one("#entry-hint").render())
        gate.set()
        await until(pilot, lambda: isinstance(app.screen, WarRoomScreen) and app.screen.state)
        entry = app.screen.query_one("#entry-input", Input)
        assert app.screen.focused is entry
        assert (entry.value, entry.cursor_position) == ("o: half typed", len("o: half typed"))
        assert app.screen.state.title == "Queue backlog on billing"


async def test_help_opened_during_boot_gives_way_to_the_war_room(home):
    declare(home, "Queue backlog on billing")
    gate = threading.Event()
    app = WarroomApp(gated_loader(home, gate))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"o: half")
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        gate.set()
        await until(pilot, lambda: isinstance(app.screen, WarRoomScreen) and app.screen.state)
        assert not any(isinstance(s, BootScreen | HelpScreen) for s in app.screen_stack)
        assert app.screen.query_one("#entry-input", Input).value == "o: half"


async def test_a_failing_loader_ends_the_app_with_its_error(home):
    def load() -> TuiConfig:
        raise InvalidInput("policy.toml:3: severities: must not be empty")

    app = WarroomApp(load)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.boot_error is not None)
    assert isinstance(app.boot_error, InvalidInput)
    assert app.return_code == 1


def test_a_broken_policy_is_reported_after_the_screen_closes(home):
    """The real bare command: the policy loads behind the first frame, and its error is
    one `warroom: error:` line once the terminal is restored."""
    declare(home, "Stale cache on edge")
    (home / "policy.toml").write_text("[[severities]]\nid = 'SEV1'\nrank = 'high'\n")
    terminal = Terminal(home, controlling=False)
    try:
        wait_for(lambda: terminal.process.poll() is not None, 15, "the app to exit")
        wait_for(lambda: b"warroom: error:" in terminal.output, 5, "the error line")
    finally:
        terminal.close()
    assert terminal.process.returncode != 0
    tail = bytes(terminal.output).split(b"warroom: error:", 1)[1].decode(errors="replace")
    assert "policy.toml:3" in tail and "Traceback" not in tail


def test_keys_typed_before_the_first_frame_reach_the_entry_bar(home):
    """The real command on a pseudo-terminal, typed into at once: a scribe who starts
    typing as the command starts loses nothing, pasted text included (a boot screen made
    the app's first screen dropped every key read before its first frame)."""
    incident = declare(home, "Queue backlog on billing")
    terminal = Terminal(home, controlling=False)
    try:
        os.write(terminal.master, b"o: typed before the first frame")
        wait_for(lambda: b"Queue backlog" in terminal.output, 15, "the incident on screen")
        os.write(terminal.master, b"\r")
        wait_for(lambda: _texts(home, incident), 15, "the entry in the store")
    finally:
        terminal.close()
    assert _texts(home, incident) == ["typed before the first frame"]


def test_the_first_frame_holds_the_entry_bar(home):
    """The boot screen's first frame is whole: the entry bar is in it, not painted a
    frame later (Textual drops the screen's first refresh under its start-up batch, and
    with it the entry bar's dirty region), so the status line is written once before the
    bar's placeholder is."""
    declare(home, "Queue backlog on billing")
    terminal = Terminal(home, controlling=False)
    try:
        bar = PLACEHOLDER[1:].encode()  # its first letter is styled apart, as the cursor
        wait_for(lambda: bar in terminal.output, 15, "the entry bar")
        before_bar = bytes(terminal.output).split(bar)[0]
    finally:
        terminal.close()
    assert before_bar.count(b"opening the war room") == 1


def _texts(home, incident: str) -> list[str]:
    """The observations recorded in the incident so far."""
    room = room_for(home)
    try:
        return [e.payload.text for e in room.store.events(incident) if e.kind == "observation"]
    finally:
        room.store.close()
