"""A failure nothing foresaw while the screen reads the store is told, not swallowed:
before, the reader's thread ended without a word and the strip said "opening the store…"
for good."""

from tests.tui.conftest import main_screen, make_app, room_for, until
from tests.tui.test_flows import events_of
from warroom.tui import store_reader


async def test_a_reader_that_fails_says_so_and_the_screen_still_quits(home, monkeypatch):
    room = room_for(home)
    incident = room.declare("Disk full on db-3", severity="SEV2", incident_type="outage")
    room.store.close()

    def broken(self, incident_id):
        raise RuntimeError("the fold's module was half imported")

    monkeypatch.setattr(store_reader._Reader, "_open_incident", broken)
    app = make_app(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: main_screen(pilot) is not None)
        strip = main_screen(pilot).query_one("#strip-main")
        await until(pilot, lambda: "could not read the incident" in str(strip.render()))
        said = str(strip.render())
        assert "RuntimeError: the fold's module was half imported" in said, said
        await pilot.press("ctrl+q")
        await until(pilot, lambda: not app.is_running)
    assert len(events_of(home, incident.incident_id)) == 1  # nothing was lost or added
