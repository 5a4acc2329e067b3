"""An incident's events for the postmortem draft: in order of occurrence, streamed.

The draft reads the whole log once (``warroom.core.postmortem``), but most of a long
incident is chatter it does not show, so only the kinds it may show carry their stored
JSON out of SQLite; the rest pass as a kind alone. Rows are read in one snapshot in the
timeline's cached order (``store/timeline.py``): by one scan of the log when nothing was
backdated (the log's order is then the order of occurrence), else in chunks by position.
"""

from collections.abc import Iterator
from datetime import datetime
from itertools import pairwise

from warroom.core.policy import Policy
from warroom.core.postmortem import TIMELINE_KINDS, RawEvent, postmortem_data
from warroom.store.exports import CHUNK
from warroom.store.followups import risk_register
from warroom.store.local import LocalStore
from warroom.store.sqlite_files import translated_errors
from warroom.store.timeline import event_order

_READ_KINDS = tuple(sorted(TIMELINE_KINDS | {"observation", "alert_received"}))


def occurrence_events(store: LocalStore, incident_id: str) -> Iterator[RawEvent]:
    """(kind, stored JSON or "" when the draft never shows that kind), in order of
    occurrence, then of the log (the timeline's order, as the screen shows it)."""
    conn = store.conn
    marks = ",".join("?" * len(_READ_KINDS))
    with translated_errors(store.path):
        conn.execute("BEGIN")  # one snapshot: the order and the rows read in chunks agree
        try:
            (newest,) = conn.execute(
                "SELECT MAX(seq) FROM events WHERE incident_id = ?", (incident_id,)
            ).fetchone()
            order, _ = event_order(conn, incident_id, newest or 0)  # the screen's, cached
            if all(a < b for a, b in pairwise(order)):  # nothing backdated: one scan
                yield from conn.execute(
                    f"SELECT kind, CASE WHEN kind IN ({marks}) THEN body ELSE '' END"
                    " FROM events WHERE incident_id = ? AND seq <= ? ORDER BY seq",
                    (*_READ_KINDS, incident_id, newest or 0),
                )
                return
            for start in range(0, len(order), CHUNK):
                chunk = order[start : start + CHUNK].tolist()
                seqs = ",".join("?" * len(chunk))
                rows = {
                    seq: (kind, body or "")
                    for seq, kind, body in conn.execute(
                        f"SELECT seq, kind, CASE WHEN kind IN ({marks}) THEN body END"
                        f" FROM events WHERE seq IN ({seqs})",
                        (*_READ_KINDS, *chunk),
                    )
                }
                for seq in chunk:
                    yield rows[seq]
        finally:
            conn.execute("COMMIT")


def postmortem_of(
    store: LocalStore, incident_id: str, policy: Policy, as_of: datetime | None = None
) -> dict:
    """The draft's data for one incident of this home, with the register's risks."""
    risks = [(entry.risk_id, entry.risk) for entry in risk_register(store)]
    state = store.state(incident_id)
    return postmortem_data(state, occurrence_events(store, incident_id), policy, risks, as_of)
