"""Each incident's facts for the report across incidents, cached beside the events so
``warroom report`` over 10,000 incidents is one query, not 10,000 folds.

Kept like the summaries (``store/summaries.py``): the projection
(``core/report_facts.py``) is saved with the ``seq`` of the incident's newest row and is
fresh while that row is still the newest; ``Replica._invalidate`` drops it with the
other caches when a rejection or a move changes rows behind it. A cache: if it cannot
be saved (a busy or read-only home), the report is still right, only not faster next
time.
"""

from collections.abc import Iterator

from warroom.core.events import EVENT_LIST
from warroom.core.ids import RISK_PREFIX
from warroom.core.report_facts import FACT_KINDS, TIMELINE_KINDS, IncidentFacts, incident_facts
from warroom.store.local import FOLD_VERSION, LocalStore
from warroom.store.sqlite_files import translated_errors
from warroom.store.summaries import save_cache

CACHE_VERSION = FOLD_VERSION * 1000 + 1
"""Changes with the fold and with the projection, so stale facts are refolded."""


def report_facts(store: LocalStore) -> Iterator[IncidentFacts]:
    """The facts of every incident of the home (risks aside); stale ones are refolded
    and saved first, then each is read as it is asked for, so a report holds the
    stored text and one projection at a time, not 10,000 projections."""
    with translated_errors(store.path):
        rows = store.conn.execute(
            "SELECT i.id, (SELECT MAX(seq) FROM events WHERE incident_id = i.id) AS newest,"
            " c.through_seq, c.facts FROM incidents i"
            " LEFT JOIN report_cache c ON c.incident_id = i.id AND c.version = ?"
            f" WHERE i.id NOT LIKE '{RISK_PREFIX}%'",
            (CACHE_VERSION,),
        ).fetchall()
        saved, refreshed = [], []
        for incident_id, newest, through, cached in rows:
            if cached is not None and through == newest:
                saved.append(cached)
            elif newest is not None:  # None: every entry was refused by the server
                facts = _project(store, incident_id).model_dump_json()
                saved.append(facts)
                refreshed.append((incident_id, CACHE_VERSION, newest, facts))
    if refreshed and not store.read_only:
        save_cache(store, "report_cache", "facts", refreshed)
    return (IncidentFacts.model_validate_json(text) for text in saved)


def _project(store: LocalStore, incident_id: str) -> IncidentFacts:
    conn = store.conn
    kinds = ",".join("?" * len(FACT_KINDS))
    bodies = [
        body
        for (body,) in conn.execute(
            f"SELECT body FROM events WHERE incident_id = ? AND kind IN ({kinds}) ORDER BY seq",
            (incident_id, *FACT_KINDS),
        )
    ]
    counted = ",".join("?" * len(TIMELINE_KINDS))
    counts = dict(
        conn.execute(
            f"SELECT kind, COUNT(*) FROM events WHERE incident_id = ? AND kind IN ({counted})"
            " GROUP BY kind",
            (incident_id, *TIMELINE_KINDS),
        ).fetchall()
    )
    events = EVENT_LIST.validate_json("[" + ",".join(bodies) + "]")
    return incident_facts(store.state(incident_id), events, counts)
