"""The postmortem's "notices that went out", from real deliveries: a notice drafted,
approved and delivered to a real receiver on 127.0.0.1 is listed with its delivery time
and its channel (secrets redacted); one no channel could deliver is listed as failed."""

import time
from pathlib import Path

from tests.notify.conftest import SECRET, book_of, hook_url
from warroom.notify.wiring import solo_dispatcher
from warroom.postmortem.library import find_template
from warroom.store.postmortem_feed import postmortem_of

TEXT = "Payments in the EU are failing; next update in 30 minutes"


def _deliver_all(home: Path, room, incident: str) -> None:
    """Tick the dispatcher until every delivery has a receipt or gave up."""
    dispatcher = solo_dispatcher(home, room, backoff_s=0.001)
    try:
        deadline = time.monotonic() + 10  # the backoff runs on the clock: bound by time, not ticks
        while time.monotonic() < deadline:
            dispatcher.tick()
            records = room.state(incident).deliveries.values()
            if records and all(d.delivered or d.gave_up for d in records):
                return
        raise AssertionError("deliveries never settled")
    finally:
        dispatcher.close()


def test_the_draft_lists_delivered_and_failed_notices_with_their_channels(
    room, hook, chat, _isolated_home: Path
):
    book_of(_isolated_home, {"ops": hook_url(hook), "status": hook_url(chat)}, '"external"')
    chat.statuses = [500] * 20
    incident = room.declare("Checkout 502s", severity="SEV2", incident_type="outage").incident_id
    drafted = room.draft_notice(incident, "external", TEXT)
    room.approve_notice(incident, drafted.payload.draft_id)
    _deliver_all(_isolated_home, room, incident)

    state = room.state(incident)
    delivered = next(d for d in state.deliveries.values() if d.delivered)
    failed = next(d for d in state.deliveries.values() if d.gave_up)
    assert hook.arrivals and hook.arrivals[0].json()["text"] == TEXT

    data = postmortem_of(room.store, incident, room.policy)
    text = "".join(find_template(room.policy, _isolated_home, None).render(data))
    section = text.split("### Notices that went out")[1].split("## Key metrics")[0]
    at = delivered.delivered_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert f"- {at}, to external via {delivered.channel} (eli): {TEXT}" in section, section
    assert f"via {failed.channel}" in section and "not delivered" in section, section
    assert "HTTP 500" in section and "gave up after 5 attempts" in section, section
    assert SECRET not in text and SECRET[:8] not in text
