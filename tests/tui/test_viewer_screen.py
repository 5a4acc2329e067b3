"""A home logged in with a viewer's token opens its screen read-only, as ``--read-only``
does, and says why; what was typed on the boot screen is shown as not recorded, never
dropped without a word. A responder's home opens as always."""

import dataclasses
import threading

from tests.tui.conftest import NOW, main_screen, opened, until
from tests.tui.test_terminal import declare
from warroom.config import Paths, Settings
from warroom.core.policy import default_policy
from warroom.store.local import LocalStore
from warroom.store.replica import Replica
from warroom.tui.app import WarroomApp
from warroom.tui.screen_config import configure
from warroom.tui.screens.main import WarRoomScreen
from warroom.tui.widgets.entry_bar import EntryBar

SERVER = "http://127.0.0.1:9"


def _logged_in(home, role: str) -> None:
    with LocalStore(home / "warroom.db") as store:
        Replica(store).bind(SERVER, "a-public-key", role)


def _configured(home):
    config = configure(Paths(home), Settings(), default_policy(), "vic")
    return dataclasses.replace(config, clock=lambda: NOW)


async def test_a_viewers_screen_is_read_only_and_says_why(home):
    declare(home, "Queue backlog on billing")
    _logged_in(home, "viewer")
    gate = threading.Event()

    def load():
        assert gate.wait(10)
        return _configured(home)

    app = WarroomApp(load)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"o: typed while it opened")
        gate.set()
        await until(pilot, lambda: isinstance(app.screen, WarRoomScreen) and app.screen.state)
        assert app.read_only and not app.screen.query_one(EntryBar).display
        said = [n.message for n in app._notifications]
        assert any("not recorded" in m and "o: typed while it opened" in m for m in said), said
        assert any(f"logged in to {SERVER} with a viewer token" in m for m in said), said
        await pilot.press("x", "s", "enter", "escape")  # stray keys change nothing
        with LocalStore(home / "warroom.db") as store:
            assert [e.kind for e in store.events(app.screen.state.id)] == ["declaration"]


async def test_a_responders_screen_writes(home):
    declare(home, "Queue backlog on billing")
    _logged_in(home, "responder")
    config = _configured(home)
    assert not config.read_only and config.read_only_reason is None
    async with WarroomApp(config).run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        assert main_screen(pilot).query_one(EntryBar).display and not pilot.app.read_only
