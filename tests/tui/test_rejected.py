"""Entries the sync server refused stay on screen: inline in the timeline, at their time,
tagged REJECTED with the server's reason, found by ``/`` like everything else.

The refusals here go through the client's real path for a server's answer
(``Replica.settle``); ``tests/sync/test_tui_sync.py`` has one refused by a real server.
"""

from datetime import timedelta

from tests.tui.conftest import NOW, main_screen, make_app, opened, room_for, shown_rows, until
from tests.tui.test_hostile import EVIL, assert_literal, painted
from warroom.store.replica import Replica
from warroom.tui.rows import TimelineFilter
from warroom.tui.screens.detail import EntryDetail
from warroom.tui.widgets.timeline import Timeline

REASON = "changing severity needs the commander or deputy of the incident; eli is not"


def refuse(room, event, reason: str = REASON) -> None:
    """What sync does with a server's ``rejected`` answer for ``event``."""
    settled = Replica(room.store).settle([{"id": event.id, "status": "rejected", "reason": reason}])
    assert [entry.id for entry in settled.rejected] == [event.id]


def seed(home) -> tuple[str, str]:
    """An incident with a refused note between two recorded ones; (incident, refused id)."""
    room = room_for(home, "eli")
    try:
        iid = room.declare(
            "Search down", severity="SEV2", incident_type="outage", at=NOW - timedelta(hours=1)
        ).incident_id
        room.log(iid, "alpha before", at=NOW - timedelta(minutes=3))
        room.log(iid, "beta recorded", at=NOW - timedelta(minutes=1))
        refused = room.log(iid, "alpha refused", at=NOW - timedelta(minutes=2))  # backdated
        refuse(room, refused)
        return iid, refused.id
    finally:
        room.store.close()


def texts(timeline: Timeline) -> list[str]:
    return [row.text for row in shown_rows(timeline) if row is not None]


async def apply_filter(pilot, timeline: Timeline, query: str) -> None:
    await pilot.press("slash", "ctrl+u")
    if query:
        pilot.app.focused.insert_text_at_cursor(query)
    await pilot.press("enter")
    wanted = TimelineFilter.parse(query)
    await until(pilot, lambda: not timeline.data.filtering and timeline.data.query == wanted)
    await until(pilot, lambda: None not in shown_rows(timeline))


async def test_a_rejected_entry_is_shown_inline_at_its_time(home):
    iid, refused_id = seed(home)
    app = make_app(home, incident=iid)
    async with app.run_test(size=(140, 30), notifications=True) as pilot:
        await opened(pilot)
        await pilot.press("escape")  # from the entry bar, where every layout starts, to the panes
        timeline = main_screen(pilot).query_one(Timeline)
        await until(pilot, lambda: "alpha refused" in texts(timeline))
        shown = texts(timeline)
        assert shown.index("alpha before") < shown.index("alpha refused")
        assert shown.index("alpha refused") < shown.index("beta recorded")
        row = next(r for r in shown_rows(timeline) if r.id == refused_id)
        assert row.rejected == REASON and row.seq < 0
        line = timeline.line(row).plain
        assert "✗ REJECTED" in line and REASON in line and "◌" not in line
        assert main_screen(pilot).state.fixes == {}  # and it is not in the fold

        timeline.move_cursor(timeline.data.view[0].index(row.seq), 0)
        await pilot.press("enter")  # the details say why, and offer no correction
        await until(pilot, lambda: isinstance(app.screen, EntryDetail))
        detail = painted(app.screen.query_one("Static"))[0]
        assert "REJECTED by the server" in detail and "c corrects" not in detail
        assert REASON in str(app.screen.query_one("Static").render())
        await pilot.press("c")
        await until(pilot, lambda: not isinstance(app.screen, EntryDetail))
        await pilot.press("c")  # from the timeline: refused with a notice, nothing opened
        await until(
            pilot, lambda: any("not in the record" in n.message for n in app._notifications)
        )
        assert not main_screen(pilot).query_one("#command").has_class("-active")


async def test_the_filter_treats_rejected_entries_like_the_rest(home):
    iid, _ = seed(home)
    app = make_app(home, incident=iid)
    async with app.run_test(size=(140, 30)) as pilot:
        await opened(pilot)
        await pilot.press("escape")  # from the entry bar, where every layout starts, to the panes
        timeline = main_screen(pilot).query_one(Timeline)
        await until(pilot, lambda: "alpha refused" in texts(timeline))

        await apply_filter(pilot, timeline, "alpha")  # by its text
        assert texts(timeline) == ["alpha before", "alpha refused"]
        await apply_filter(pilot, timeline, "rejected")  # by its mark
        assert texts(timeline) == ["alpha refused"]
        await apply_filter(pilot, timeline, "deputy")  # by the server's reason
        assert texts(timeline) == ["alpha refused"]
        await apply_filter(pilot, timeline, "n: refused")  # by its kind
        assert texts(timeline) == ["alpha refused"]
        await apply_filter(pilot, timeline, "o:")
        assert "alpha refused" not in texts(timeline)

        await apply_filter(pilot, timeline, "alpha")  # refused while the filter is on
        room = room_for(home, "eli")
        try:
            later = room.log(iid, "alpha refused later", at=NOW - timedelta(minutes=4))
            room.log(iid, "gamma refused, not matching")
            refuse(room, later)
        finally:
            room.store.close()
        await until(pilot, lambda: "alpha refused later" in texts(timeline))
        await until(pilot, lambda: None not in shown_rows(timeline))
        assert texts(timeline) == ["alpha refused later", "alpha before", "alpha refused"]

        await apply_filter(pilot, timeline, "")  # and back to everything
        assert {"alpha refused", "alpha refused later", "gamma refused, not matching"} <= set(
            texts(timeline)
        )


async def test_a_hostile_rejected_entry_and_reason_are_shown_literally(home):
    room = room_for(home, "eli")
    try:
        iid = room.declare(
            "Search down", severity="SEV2", incident_type="outage", at=NOW - timedelta(hours=1)
        ).incident_id
        refuse(room, room.log(iid, EVIL), reason=EVIL)  # a hostile server's reason, too
    finally:
        room.store.close()
    app = make_app(home, incident=iid)
    async with app.run_test(size=(240, 20)) as pilot:
        await opened(pilot)
        await pilot.press("escape")  # from the entry bar, where every layout starts, to the panes
        timeline = main_screen(pilot).query_one(Timeline)
        await until(pilot, lambda: any(r and r.rejected for r in shown_rows(timeline)))
        await pilot.pause()
        assert_literal(timeline)
        text, _ = painted(timeline)
        assert text.count("[bold]B[/]") == 2  # the entry's text and the reason
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EntryDetail))
        await pilot.pause()
        assert_literal(app.screen.query_one("Static"))
