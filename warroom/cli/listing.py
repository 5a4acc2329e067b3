"""What ``warroom list`` prints: one line per incident, or JSON for scripts.

Listing is what scripts and people run most, over the whole history, so this imports
only what it needs — the store, the saved summaries and the printer — not typer, the
write path, the event model or pydantic: ``warroom list`` and ``warroom list --json``
come here straight from the console script (``warroom.cli.entry``), and
``warroom.cli.list_cmd`` gives the same listing its place in the full command line
(issue 11: <= 0.5 s at 10,000 incidents; ``tests/cli/test_lazy_commands.py`` keeps the
heavy modules out of it).
"""

from warroom.cli.output import emit_json, say
from warroom.core.summary import IncidentSummary
from warroom.store.local import LocalStore
from warroom.store.summaries import summary_records


def show_incidents(store: LocalStore, as_json: bool) -> None:
    """Print every incident here, most recently active first."""
    records = summary_records(store)
    unaccepted = _unaccepted(store)
    if as_json:
        for record in records:
            record["accepted"] = record["id"] not in unaccepted
        emit_json(records)
        return
    if not records:
        say('No incidents yet. Declare one with: warroom declare "what is broken" --severity SEV2')
    for s in (IncidentSummary(**record) for record in records):
        mark = f"  [NOT ACCEPTED by the server: warroom rejected {s.id}]" * (s.id in unaccepted)
        say(f"{s.id}  {s.severity:<5} {s.status:<13} {s.phase:<12} {s.title}{mark}")


def _unaccepted(store: LocalStore) -> set[str]:
    """Incidents the server refused outright. Only a home with refused entries can have
    one: elsewhere the sync module (its chain checks load pydantic, ~0.1 s) stays out."""
    if store.conn.execute("SELECT 1 FROM rejected LIMIT 1").fetchone() is None:
        return set()
    from warroom.store.replica import Replica

    return Replica(store).unaccepted_incidents()
