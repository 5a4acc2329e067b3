"""Re-attributing entries, with the user's consent, by re-issuing them.

Events are immutable and hashed, so an entry written under one name (the login name,
before ``warroom login``) cannot be edited into another's. It is re-issued instead: a
new event under the new name, with the same time it happened and the same payload plus
``reissued_from``, the original's id (an extra payload field, which every warroom keeps
verbatim). Corrections and retractions among them are pointed at the new ids. The
original is kept in ``reissued``, linked to its successor: nothing written disappears.

An entry still waiting in the outbox is replaced at its own place in the log and the
queue, so a declaration stays ahead of the entries that need it; an entry the server
already refused is re-issued at the end of the log.
"""

import json
from dataclasses import dataclass

from warroom.core.events import Event
from warroom.core.ids import new_event_id
from warroom.core.timeparse import utcnow
from warroom.store.local import LocalStore


@dataclass(frozen=True)
class Original:
    """An entry to re-issue: its id, stored JSON, author; ``seq`` when still pending."""

    id: str
    body: str
    actor: str
    seq: int | None = None


def pending_originals(store: LocalStore, except_actor: str) -> list[Original]:
    """Entries in the outbox written under any name but ``except_actor``, in queue order."""
    rows = store.conn.execute(
        "SELECT e.id, e.body, e.actor, e.seq FROM outbox o JOIN events e ON e.id = o.event_id"
        " WHERE e.actor != ? ORDER BY o.queued_seq",
        (except_actor,),
    )
    return [Original(*row) for row in rows]


def refused_originals(
    store: LocalStore, *, incident_id: str | None = None, except_actor: str | None = None
) -> list[Original]:
    """Entries the server refused (of one incident, or not written as someone), in the
    order they were refused, which is the order they were written."""
    query, args = "SELECT id, body, actor FROM rejected WHERE 1", []
    if incident_id is not None:
        query += " AND incident_id = ?"
        args.append(incident_id)
    if except_actor is not None:
        query += " AND actor != ?"
        args.append(except_actor)
    return [Original(*row) for row in store.conn.execute(query + " ORDER BY rowid", args)]


def reissue(store: LocalStore, actor: str, originals: list[Original]) -> list[Event]:
    """Re-issue ``originals`` (in order) as ``actor``'s, in one transaction; an original
    whose stored form is not an event any more stays where it is, unchanged."""
    renamed: dict[str, str] = {}
    made: list[Event] = []
    with store._transaction():
        for original in originals:
            try:
                occurred_at = Event.model_validate_json(original.body).occurred_at
            except ValueError:
                continue
            event = json.loads(original.body)
            payload = dict(event["payload"], reissued_from=original.id)
            if payload.get("target_id") in renamed:
                payload["target_id"] = renamed[payload["target_id"]]
            if original.seq is None:
                store.conn.execute("DELETE FROM rejected WHERE id = ?", (original.id,))
            else:
                store.conn.execute("DELETE FROM events WHERE seq = ?", (original.seq,))
                store.conn.execute("DELETE FROM outbox WHERE event_id = ?", (original.id,))
            new = store.write_own(
                event_id=new_event_id(),
                incident_id=event["incident_id"],
                actor=actor,
                occurred_at=occurred_at,
                payload=payload,
                seq=original.seq,
            )
            store.conn.execute(
                "INSERT OR REPLACE INTO reissued VALUES (?, ?, ?, ?, ?)",
                (original.id, new.id, new.incident_id, original.body, utcnow().isoformat()),
            )
            store.conn.execute("DELETE FROM snapshots WHERE incident_id = ?", (new.incident_id,))
            renamed[original.id] = new.id
            made.append(new)
    return made
