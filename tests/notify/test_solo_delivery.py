"""Delivery from a room without a server: real receivers, the real store, the record."""

import time
from datetime import timedelta
from pathlib import Path

from tests.notify.conftest import SECRET, book_of, chat_url, hook_url, mail_url, write_book
from warroom.core.clocks import update_clocks
from warroom.core.delivery import undelivered
from warroom.core.timeparse import utcnow
from warroom.notify.wiring import solo_dispatcher
from warroom.tui.strip_delivery import undelivered_line

HOSTILE = "Checkout <script>alert(1)</script> **down** @channel \x1b[31mred\x1b[0m"


def _kinds(room, incident_id: str) -> list[str]:
    return [e.kind for e in room.store.events(incident_id)]


def _internal_clock(room, incident: str):
    clocks = update_clocks(room.policy, room.state(incident), utcnow())
    return next(c for c in clocks if c.audience == "internal")


def _declare(room, severity: str = "SEV2", **kwargs) -> str:
    return room.declare(
        "Checkout 502s", severity=severity, incident_type="outage", **kwargs
    ).incident_id


def test_a_notice_reaches_each_channel_once_with_the_exact_text(
    room, hook, chat, smtp, cli, _isolated_home: Path
):
    book_of(
        _isolated_home, {"hook": hook_url(hook), "chat": chat_url(chat), "mail": mail_url(smtp)}
    )
    incident = _declare(room)
    update = room.draft_notice(incident, "internal", "Failover under way, errors falling")
    dispatcher = solo_dispatcher(_isolated_home, room)
    try:
        assert dispatcher.tick() == 3
        assert dispatcher.tick() == 0  # every receipt is on the record: nothing is owed
    finally:
        dispatcher.close()

    (webhook,) = hook.arrivals
    assert webhook.path == f"/hooks/{SECRET}"
    assert webhook.json()["text"] == "Failover under way, errors falling"
    assert webhook.json()["incident_id"] == incident
    assert webhook.headers["Idempotency-Key"] == webhook.json()["delivery_id"]
    (posted,) = chat.arrivals
    assert posted.path == f"/hooks/{SECRET}"
    assert posted.json()["text"].endswith("\r\nFailover under way, errors falling")
    ((to, mail),) = smtp.messages
    assert to == ["ops@example.com"]
    assert b"Failover under way, errors falling" in mail

    state = room.state(incident)
    receipts = [d for d in state.deliveries.values() if d.subject_id == update.payload.draft_id]
    assert len(receipts) == 3 and all(d.delivered for d in receipts)
    assert _kinds(room, incident).count("notice_delivered") == 3
    for shown in (
        cli("export", incident, "--format", "json").out,
        cli("export", incident, "--format", "md").out,
        cli("deliveries", incident).out,
        cli("channels").out,
        cli("status", incident).out,
    ):
        assert SECRET not in shown and SECRET[:8] not in shown


def test_a_receiver_failing_three_times_leaves_three_failures_and_one_receipt(
    room, hook, _isolated_home: Path
):
    book_of(_isolated_home, {"hook": hook_url(hook)})
    hook.statuses = [500, 500, 500]
    incident = _declare(room)
    room.draft_notice(incident, "internal", "Rolling back")
    dispatcher = solo_dispatcher(_isolated_home, room, backoff_s=0.01)
    warnings = []
    try:
        deadline = time.monotonic() + 10  # backoff doubles from 0.01 s: bound by time, not ticks
        while time.monotonic() < deadline:
            dispatcher.tick()
            state = room.state(incident)
            warnings.append(undelivered_line(state))
            if any(d.delivered for d in state.deliveries.values()):
                break
    finally:
        dispatcher.close()

    kinds = _kinds(room, incident)
    assert kinds.count("notice_failed") == 3 and kinds.count("notice_delivered") == 1
    assert len(hook.arrivals) == 4 and len(set(hook.delivery_ids())) == 1
    shown = [w.plain for w in warnings if w is not None]
    assert shown and "UNDELIVERED internal" in shown[-1] and "HTTP 500" in shown[-1]
    assert SECRET not in shown[-1]
    assert warnings[-1] is None  # delivered: the strip's warning is gone
    failures = [e.payload for e in room.store.events(incident) if e.kind == "notice_failed"]
    assert [f.attempt for f in failures] == [1, 2, 3]
    assert all(f.retry_at is not None for f in failures)


def test_a_delivery_that_gave_up_is_sent_again_when_retried_by_hand(
    room, hook, _isolated_home: Path
):
    book_of(_isolated_home, {"hook": hook_url(hook)})
    hook.statuses = [503] * 5
    incident = _declare(room)
    room.draft_notice(incident, "internal", "Still investigating")
    dispatcher = solo_dispatcher(_isolated_home, room, backoff_s=0.001)
    try:
        deadline = time.monotonic() + 10  # ticks until the backoff (doubling) has run out
        while time.monotonic() < deadline and len(hook.arrivals) < 5:
            dispatcher.tick()
        for _ in range(20):  # and a few more: a sixth try would be a bug
            dispatcher.tick()
        (record,) = room.state(incident).deliveries.values()
        assert record.gave_up and record.failures == 5 and len(hook.arrivals) == 5
        assert undelivered(room.state(incident)) == [record]
        room.retry_delivery(incident, record.delivery_id[:8])
        dispatcher.tick()
    finally:
        dispatcher.close()
    (record,) = room.state(incident).deliveries.values()
    assert record.delivered and len(hook.arrivals) == 6
    assert undelivered(room.state(incident)) == []


def test_hostile_text_arrives_inert_in_chat_and_email(room, chat, smtp, hook, _isolated_home):
    book_of(
        _isolated_home, {"chat": chat_url(chat), "mail": mail_url(smtp), "hook": hook_url(hook)}
    )
    incident = _declare(room)
    room.draft_notice(incident, "internal", HOSTILE)
    dispatcher = solo_dispatcher(_isolated_home, room)
    try:
        dispatcher.tick()
    finally:
        dispatcher.close()
    chat_text = chat.arrivals[0].json()["text"]
    assert "\x1b" not in chat_text and "@channel" not in chat_text
    assert "@\u200bchannel" in chat_text and "<script>" in chat_text  # shown, not run
    ((_, mail),) = smtp.messages
    assert b"Content-Type: text/plain" in mail and b"text/html" not in mail
    assert b"\x1b" not in mail
    assert hook.arrivals[0].json()["text"] == HOSTILE  # JSON carries it exactly, encoded


def test_a_page_goes_to_the_channels_of_its_target(room, hook, chat, _isolated_home):
    write_book(
        _isolated_home,
        f"""
[channels.pager]
url = "{hook_url(hook)}"
pages = ["sre-oncall"]

[channels.chat]
url = "{chat_url(chat)}"
audiences = ["internal"]
""",
    )
    incident = _declare(room, "SEV1")
    room.escalate(incident, "sre-oncall", "SEV1 unacknowledged for 5 minutes")
    dispatcher = solo_dispatcher(_isolated_home, room)
    try:
        assert dispatcher.tick() == 1
    finally:
        dispatcher.close()
    (page,) = hook.arrivals
    assert page.json()["kind"] == "page" and page.json()["target"] == "sre-oncall"
    assert page.json()["title"].startswith(f"PAGE [{incident} SEV1]")
    assert chat.arrivals == []


def test_the_cadence_clock_resets_when_the_update_is_delivered(room, hook, _isolated_home):
    book_of(_isolated_home, {"hook": hook_url(hook)})
    now = utcnow()
    incident = _declare(room, at=now - timedelta(minutes=50))
    room.draft_notice(incident, "internal", "Drafted long ago", at=now - timedelta(minutes=45))
    hook.statuses = [500]
    dispatcher = solo_dispatcher(_isolated_home, room, backoff_s=0.001)
    try:
        dispatcher.tick()  # fails: the update has not gone out
        clock = _internal_clock(room, incident)
        assert clock.overdue
        while not any(d.delivered for d in room.state(incident).deliveries.values()):
            dispatcher.tick()
    finally:
        dispatcher.close()
    clock = _internal_clock(room, incident)
    assert not clock.overdue and clock.due_at > utcnow() + timedelta(minutes=29)
    (delivered,) = [e for e in room.store.events(incident) if e.kind == "notice_delivered"]
    assert delivered.payload.late_s > 19 * 60  # due 20 minutes after the declaration
    from warroom.core.events import payload_text

    assert "late)" in payload_text(delivered.payload)


def test_a_subscription_made_while_the_dispatcher_runs_is_used_at_its_next_round(
    room, hook, chat, _isolated_home
):
    from warroom.notify.subscriptions import Subscription, add_subscription

    book_of(_isolated_home, {"hook": hook_url(hook)})
    incident = _declare(room)
    dispatcher = solo_dispatcher(_isolated_home, room)
    try:
        dispatcher.tick()
        chat_hook = f"{chat.url}/hooks/{SECRET}"
        add_subscription(
            _isolated_home, Subscription(incident=incident, audience="internal", channel=chat_hook)
        )
        room.draft_notice(incident, "internal", "Now to both")
        assert dispatcher.tick() == 2
    finally:
        dispatcher.close()
    assert [a.json()["text"] for a in hook.arrivals] == ["Now to both"]
    assert chat.arrivals[0].json()["text"] == "Now to both"


def test_a_closed_incident_owes_nothing(room, hook, _isolated_home):
    book_of(_isolated_home, {"hook": hook_url(hook)})
    incident = _declare(room)
    room.draft_notice(incident, "internal", "Resolved")
    room.set_status(incident, "closed")
    dispatcher = solo_dispatcher(_isolated_home, room)
    try:
        assert dispatcher.tick() == 0  # its record would refuse the receipt
    finally:
        dispatcher.close()
    assert hook.arrivals == []
