"""The screen syncs in the background: the strip's indicator, pending marks, refusals."""

from datetime import timedelta
from pathlib import Path

import pytest

from tests.sync.conftest import Client, lenient_room
from tests.tui.conftest import (
    NOW,
    main_screen,
    make_app,
    opened,
    shown_rows,
    until,
    write,
)
from warroom.store.local import LocalStore
from warroom.tui.widgets.timeline import Timeline


@pytest.fixture
def home(_isolated_home: Path) -> Path:
    return _isolated_home


def _slot(pilot) -> str:
    return str(main_screen(pilot).query_one("#strip-sync").render())


def _row(timeline: Timeline, text: str):
    return next((r for r in shown_rows(timeline) if r and r.text == text), None)


async def test_the_screen_syncs_and_shows_how_it_is_going(home, server, tmp_path):
    token = server.token("eli")
    room = lenient_room(LocalStore(home / "warroom.db"), "eli")
    incident = room.declare(
        "Search down", severity="SEV2", incident_type="outage", at=NOW - timedelta(hours=1)
    ).incident_id
    room.assign(incident, "scribe", "eli")
    room.assign(incident, "commander", "olga")  # from now on the server refuses eli's severity
    app = make_app(home, server=server.url, token=token)
    olga = Client(tmp_path, "olga", server.url, server.token("olga"))
    try:
        async with app.run_test(size=(140, 40), notifications=True) as pilot:
            await opened(pilot)
            await until(pilot, lambda: "sync ok" in _slot(pilot), timeout=10)
            timeline = main_screen(pilot).query_one(Timeline)
            olga.sync_once()  # olga gets the incident eli declared, and writes to it
            olga.room.log(incident, "olga checks the shards")
            olga.sync_once()
            await until(pilot, lambda: _row(timeline, "olga checks the shards"), timeout=10)

            server.stop()  # the link drops: entries are still recorded, marked pending
            # no "i" first: the entry bar has the keyboard from the start
            await write(pilot, "n: written while offline")
            await pilot.press("enter")
            await until(pilot, lambda: "offline since" in _slot(pilot), timeout=15)
            await until(pilot, lambda: "1 pending" in _slot(pilot), timeout=5)
            row = _row(timeline, "written while offline")
            await until(pilot, lambda: row.id in timeline.data.unsent, timeout=5)
            assert "◌" in timeline.line(row).plain

            server.start()  # back: it goes out and the mark goes
            await until(pilot, lambda: "sync ok" in _slot(pilot), timeout=20)
            await until(pilot, lambda: not timeline.data.unsent, timeout=5)
            assert "◌" not in timeline.line(row).plain

            room.set_severity(incident, "SEV1")  # eli is not the commander: refused
            await until(pilot, lambda: "1 rejected" in _slot(pilot), timeout=10)
            await until(
                pilot, lambda: any("REJECTED" in (n.title or "") for n in app._notifications)
            )
            notice = next(n for n in app._notifications if "REJECTED" in (n.title or ""))
            assert "commander or deputy" in notice.message
            await until(pilot, lambda: main_screen(pilot).state.severity == "SEV2")
    finally:
        room.store.close()
        olga.close()


async def test_a_refused_entry_stays_in_the_timeline_across_restarts(home, server):
    room = lenient_room(LocalStore(home / "warroom.db"), "eli")
    incident = room.declare(
        "Search down", severity="SEV2", incident_type="outage", at=NOW - timedelta(hours=1)
    ).incident_id
    room.assign(incident, "scribe", "eli")
    room.assign(incident, "commander", "olga")
    before = room.log(incident, "eli looks at the shards")
    refused = room.set_severity(incident, "SEV1", "eli thinks it is worse")  # not eli's call
    after = room.log(incident, "eli restarts a shard")
    room.store.close()

    def refused_row(timeline: Timeline):
        return next((r for r in shown_rows(timeline) if r and r.id == refused.id), None)

    def order(timeline: Timeline) -> list[str]:
        return [
            r.id for r in shown_rows(timeline) if r and r.id in (before.id, refused.id, after.id)
        ]

    app = make_app(home, server=server.url, token=server.token("eli"))
    async with app.run_test(size=(160, 40)) as pilot:
        await opened(pilot)
        await until(pilot, lambda: "1 rejected" in _slot(pilot), timeout=15)
        timeline = main_screen(pilot).query_one(Timeline)
        # Until the reload the entry is still shown as sent: wait for the refusal itself.
        await until(pilot, lambda: getattr(refused_row(timeline), "rejected", None), timeout=5)
        row = refused_row(timeline)
        assert "commander or deputy" in row.rejected
        line = timeline.line(row).plain
        assert "✗ REJECTED" in line and "commander or deputy" in line and "◌" not in line
        assert order(timeline) == [before.id, refused.id, after.id]
        assert main_screen(pilot).state.severity == "SEV2"

    app = make_app(home)  # reopened, no server configured: the refusal is in the database
    async with app.run_test(size=(160, 40)) as pilot:
        await opened(pilot)
        timeline = main_screen(pilot).query_one(Timeline)
        await until(pilot, lambda: len(order(timeline)) == 3)
        assert order(timeline) == [before.id, refused.id, after.id]
        assert "commander or deputy" in timeline.line(refused_row(timeline)).plain
