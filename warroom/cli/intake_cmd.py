"""``warroom intake``: apply an alert payload to the local home, as a server would.

For a single machine without a server: the same rules as ``warroom rules test``, carried
out through the one write path as the intake actor. Prints what was done with each
alert; a malformed payload is exit 2 with the JSON path, and nothing is written.
"""

from dataclasses import asdict
from typing import Annotated

import typer

from warroom.actions import WarRoom
from warroom.cli.output import emit_json, say
from warroom.cli.params import Json, runtime_of
from warroom.cli.rules_cmd import read_payload
from warroom.core.alerts import Format, parse_alerts_text
from warroom.intake.apply import apply_alerts, intake_actor, runbook_catalogue

app = typer.Typer(help="Apply an alert payload to the local home.", no_args_is_help=True)

Payload = Annotated[str, typer.Argument(help="A JSON payload file, or - for standard input.")]


def _apply(ctx: typer.Context, source: str, fmt: Format, as_json: bool) -> None:
    alerts = parse_alerts_text(read_payload(source), fmt)
    runtime = runtime_of(ctx)
    room = WarRoom(runtime.store, runtime.policy, intake_actor(alerts), automation=True)
    applied = apply_alerts(room, alerts, runbooks=runbook_catalogue(runtime.runbooks))
    if as_json:
        emit_json({"alerts": [asdict(a) for a in applied]})
        return
    for one in applied:
        say(f"{one.fingerprint} ({one.status}): {one.summary}")
        for line in one.done:
            say("  " + line)


@app.command("alertmanager")
def alertmanager(ctx: typer.Context, payload: Payload, as_json: Json = False) -> None:
    """An Alertmanager (or Grafana) webhook payload."""
    _apply(ctx, payload, "alertmanager", as_json)


@app.command("generic")
def generic(ctx: typer.Context, payload: Payload, as_json: Json = False) -> None:
    """The generic JSON form (summary, severity, source, dedup_key, labels, links, status)."""
    _apply(ctx, payload, "generic", as_json)
