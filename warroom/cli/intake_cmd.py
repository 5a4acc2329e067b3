"""``warroom intake``: apply an alert payload to the local home, as a server would.

For a single machine without a server: the same rules as ``warroom rules test``, carried
out through the one write path as the intake actor. Prints what was done with each
alert; a malformed payload is exit 2 with the JSON path, and nothing is written. A home
that follows a server refuses, writing nothing: the server refuses any entry a client
pushes in the intake's name, and takes alerts at its own intake routes.
"""

from dataclasses import asdict
from typing import Annotated

import typer

from warroom.actions import WarRoom
from warroom.cli.output import emit_json, say
from warroom.cli.params import Json, runtime_of
from warroom.cli.rules_cmd import read_payload
from warroom.cli.runtime import Runtime
from warroom.config import server_urls
from warroom.core.alerts import Format, parse_alerts_text
from warroom.core.errors import InvalidInput
from warroom.intake.apply import apply_alerts, intake_actor, runbook_catalogue
from warroom.store.sqlite_files import login_of

app = typer.Typer(help="Apply an alert payload to the local home.", no_args_is_help=True)

Payload = Annotated[str, typer.Argument(help="A JSON payload file, or - for standard input.")]


def _apply(ctx: typer.Context, source: str, fmt: Format, as_json: bool) -> None:
    alerts = parse_alerts_text(read_payload(source), fmt)
    runtime = runtime_of(ctx)
    _require_solo_home(runtime, fmt)
    room = WarRoom(runtime.store, runtime.policy, intake_actor(alerts), automation=True)
    applied = apply_alerts(room, alerts, runbooks=runbook_catalogue(runtime.runbooks))
    if as_json:
        emit_json({"alerts": [asdict(a) for a in applied]})
        return
    for one in applied:
        say(f"{one.fingerprint} ({one.status}): {one.summary}")
        for line in one.done:
            say("  " + line)


def _require_solo_home(runtime: Runtime, fmt: Format) -> None:
    """Refuse (``InvalidInput``) to apply alerts in a home that follows a server, as
    configured or as ``warroom login`` recorded it: what the intake wrote here would be
    refused at the next sync, every entry of it, so the alerts belong at the server."""
    server = runtime.settings.server or login_of(runtime.store.conn)[0]
    if server:
        urls = server_urls(server)
        raise InvalidInput(
            f"this home syncs with {', '.join(urls)}, which takes alerts itself: send the"
            f" payload to {urls[0]}/v1/intake/{fmt} with an intake token (`warroom"
            " token create NAME --role intake` on the server); entries the intake wrote"
            " here would be refused at the next sync. `warroom rules test` shows what the"
            " rules would do with it"
        )


@app.command("alertmanager")
def alertmanager(ctx: typer.Context, payload: Payload, as_json: Json = False) -> None:
    """An Alertmanager (or Grafana) webhook payload."""
    _apply(ctx, payload, "alertmanager", as_json)


@app.command("generic")
def generic(ctx: typer.Context, payload: Payload, as_json: Json = False) -> None:
    """The generic JSON form (summary, severity, source, dedup_key, labels, links, status)."""
    _apply(ctx, payload, "generic", as_json)
