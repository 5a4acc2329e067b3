"""The server applies the follow-up rules as the local write path does: a "won't do"
that a laxer home let its scribe record is refused by the server, leaves the fold and
the follow-ups listing (the cache is dropped with the row), and the rest goes through."""

from tests.sync.conftest import Client
from warroom.actions import WarRoom
from warroom.core.policy import parse_policy
from warroom.core.timeparse import utcnow
from warroom.store.followups import action_rows

LAX = '[access]\nroles = ["commander", "deputy", "scribe"]\n'
"""A home policy that lets a scribe drop anyone's follow-up; the server's does not."""


def test_a_wont_do_the_server_refuses_leaves_the_listing(clients):
    alice: Client = clients("alice")
    sam: Client = clients("sam")
    incident = alice.room.declare("Queue lag", severity="SEV3", incident_type="outage")
    iid = incident.incident_id
    alice.room.assign(iid, "scribe", "sam")
    item = alice.room.add_action_item(iid, "Alert on consumer lag", owner="bo")
    assert alice.sync_once().rejected == []
    sam.sync_once()

    lax = WarRoom(sam.store, parse_policy(LAX, "lax.toml"), "sam")
    lax.update_action_item(iid, item.id, status="wont_do", reason="not worth it")
    kept = lax.update_action_item(iid, item.id, priority="high")
    [row] = action_rows(sam.store, utcnow(), include_closed=True)
    assert row.item.status == "wont_do"  # as the home's own policy allowed it

    report = sam.sync_once()

    assert [r.reason for r in report.rejected] == [
        "marking an action item won't do needs its owner (bo), whoever raised it (alice) or"
        f" the commander or deputy of {iid}; sam is none of them"
    ]
    [row] = action_rows(sam.store, utcnow(), include_closed=True)
    assert (row.item.status, row.item.priority) == ("open", "high")
    assert row.item.history == [kept.id]
    alice.sync_once()
    [seen] = action_rows(alice.store, utcnow())
    assert (seen.item.status, seen.item.priority) == ("open", "high")
