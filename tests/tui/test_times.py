"""Times on screen say their zone (once, in the timeline's title), and the details of a
backdated entry say both when it happened and when it was recorded."""

import time
from datetime import timedelta

from tests.tui.conftest import NOW, main_screen, make_app, opened, room_for, until
from warroom.tui.screens.detail import EntryDetail
from warroom.tui.widgets.timeline import Timeline


def incident(home) -> str:
    room = room_for(home)
    try:
        iid = room.declare("Search down", severity="SEV2", incident_type="outage", at=NOW)
        room.log(iid.incident_id, "failover started", kind="action", at=NOW - timedelta(minutes=5))
        return iid.incident_id
    finally:
        room.store.close()


async def test_the_timeline_says_which_zone_its_times_are_in(home, monkeypatch):
    incident(home)
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        async with make_app(home).run_test(size=(160, 45)) as pilot:
            await opened(pilot)
            timeline = main_screen(pilot).query_one(Timeline)
            assert "times EST" in str(timeline.border_title)
            await until(pilot, lambda: timeline.selected is not None)
            assert timeline.line(timeline.selected).plain.startswith("05:00:00")  # 10:00 UTC
    finally:
        monkeypatch.setenv("TZ", "UTC")  # the zone the other tests expect
        time.tzset()


async def test_a_backdated_entry_shows_when_it_happened_and_when_it_was_recorded(home):
    incident(home)
    app = make_app(home)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        timeline = main_screen(pilot).query_one(Timeline)
        await until(pilot, lambda: timeline.row_count == 2 and timeline.selected is not None)
        await pilot.press("escape", "1", "g")  # the failover: backdated before the declaration
        assert timeline.selected.text == "failover started"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EntryDetail))
        shown = app.screen.query_one("Static").render().plain
        assert "happened 2026-11-24 09:55:00 UTC · recorded 20" in shown
        assert "(backdated " in shown
