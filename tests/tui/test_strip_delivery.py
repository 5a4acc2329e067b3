"""A room without a server delivers from the screen: a notice whose channel fails shows
UNDELIVERED on the strip with its last error, and the warning clears once it is sent."""

from tests.notify.conftest import SECRET, book_of, hook_url
from tests.notify.receivers import HttpReceiver
from tests.tui.conftest import NOW, make_app, opened, room_for, until
from tests.tui.test_strip import strip_lines


async def test_the_strip_warns_of_an_undelivered_notice_until_it_goes_out(home):
    hook = HttpReceiver(statuses=[500]).start()
    try:
        book_of(home, {"hook": hook_url(hook)})
        room = room_for(home, "eli")
        try:
            incident = room.declare("API down", severity="SEV2", incident_type="outage", at=NOW)
            room.draft_notice(incident.incident_id, "internal", "Investigating the API")
        finally:
            room.store.close()
        app = make_app(home)
        async with app.run_test(size=(160, 40)) as pilot:
            await opened(pilot)

            def warned() -> bool:
                return any("UNDELIVERED internal" in line for line in strip_lines(pilot))

            await until(pilot, warned, timeout=15)
            (line,) = [line for line in strip_lines(pilot) if "UNDELIVERED" in line]
            assert "HTTP 500" in line and "1 try" in line and SECRET not in line
            await until(pilot, lambda: not warned(), timeout=15)  # sent on the retry
        assert [a.json()["text"] for a in hook.arrivals] == ["Investigating the API"] * 2
    finally:
        hook.stop()


async def test_a_page_is_due_on_the_strip_until_a_channel_delivered_it(home):
    from warroom.core import events as ev
    from warroom.core.ids import new_event_id

    room = room_for(home, "eli")
    try:
        incident = room.declare("API down", severity="SEV1", incident_type="outage", at=NOW)
        page = room.escalate(
            incident.incident_id,
            "next-tier",
            "not acknowledged within 5 min of declaration",
            rule="sev1-unacknowledged",
            step="sev1-unacknowledged",
        )
    finally:
        room.store.close()
    app = make_app(home)
    async with app.run_test(size=(160, 40)) as pilot:
        await opened(pilot)

        def due() -> bool:
            return any("PAGE DUE next-tier" in line for line in strip_lines(pilot))

        await until(pilot, due, timeout=10)
        room = room_for(home, "warroom:delivery")
        try:
            receipt = ev.NoticeDelivered(
                delivery_id="d" * 32, subject_id=page.id, channel="pagerduty://***/"
            )
            room.record_delivery(incident.incident_id, receipt, event_id=new_event_id(), at=NOW)
        finally:
            room.store.close()
        await until(pilot, lambda: not due(), timeout=10)  # it went out: nothing is due
