"""``warroom ack``: someone has the incident in hand, so the ladder stops paging for it."""

import typer

from warroom.cli.params import At, Incident, Json, report, runtime_of, when


def ack(ctx: typer.Context, incident: Incident, at: At = None, as_json: Json = False) -> None:
    """Acknowledge an incident: records the acknowledged milestone, which stops the
    escalation ladder's unacknowledged steps (MTTA counts to it)."""
    report(runtime_of(ctx).room.acknowledge(incident, at=when(at)), as_json)


def register(app: typer.Typer) -> None:
    app.command()(ack)
