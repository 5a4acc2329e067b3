"""``warroom list``: one line per incident, in a module of its own.

Listing is what scripts and people run most, over the whole history, so it imports only
what it needs: the store and the saved summaries, not the write path, the event model
or the exports the other incident commands carry (issue 11: <= 0.5 s at 10,000
incidents; ``tests/cli/test_lazy_commands.py`` keeps the heavy modules out of it).
"""

import typer

from warroom.cli.output import emit_json, say
from warroom.cli.params import Json, runtime_of
from warroom.store.replica import Replica
from warroom.store.summaries import incident_summaries


def list_incidents(
    ctx: typer.Context,
    as_json: Json = False,
) -> None:
    """List incidents here, most recently active first."""
    store = runtime_of(ctx).store
    summaries = incident_summaries(store)
    unaccepted = Replica(store).unaccepted_incidents()
    if as_json:
        emit_json(
            [
                {
                    "id": s.id,
                    "title": s.title,
                    "severity": s.severity,
                    "status": s.status,
                    "phase": s.phase,
                    "commander": s.commander,
                    "drill": s.drill,
                    "declared_at": s.declared_at,
                    "events": s.events,
                    "accepted": s.id not in unaccepted,
                }
                for s in summaries
            ]
        )
        return
    if not summaries:
        say('No incidents yet. Declare one with: warroom declare "what is broken" --severity SEV2')
    for s in summaries:
        mark = f"  [NOT ACCEPTED by the server: warroom rejected {s.id}]" * (s.id in unaccepted)
        say(f"{s.id}  {s.severity:<5} {s.status:<13} {s.phase:<12} {s.title}{mark}")


def register(app: typer.Typer) -> None:
    app.command("list")(list_incidents)
