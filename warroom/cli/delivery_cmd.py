"""Word out: ``deliver``, ``deliveries``, ``update retry``, ``subscribe``, ``channels``.

Channel URLs are secrets: every command here prints them redacted.
"""

import time
from typing import Annotated

import typer
from pydantic import ValidationError

from warroom.cli.output import emit_json, say
from warroom.cli.params import Incident, Json, report, runtime_of
from warroom.core.delivery_state import DeliveryRecord
from warroom.core.errors import InvalidInput
from warroom.core.wording import plain_message
from warroom.notify.channels import CHANNELS_FILE, load_channels
from warroom.notify.redact import redact
from warroom.notify.subscriptions import ALL_INCIDENTS, Subscription, add_subscription

Backoff = Annotated[
    float, typer.Option(min=0.01, help="Seconds to wait after a first failed delivery (doubles).")
]
Lease = Annotated[float, typer.Option(min=0.5, help="Seconds a claim on a delivery holds.")]


def deliver(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Send what is due now, then stop.")] = False,
    every: Annotated[float, typer.Option(min=0.05, help="Seconds between rounds.")] = 1.0,
    backoff: Backoff = 2.0,
    lease: Lease = 60.0,
) -> None:
    """Deliver approved notices and pages from this home (when no server is configured;
    `warroom serve` delivers for a shared record)."""
    from warroom.notify.wiring import solo_dispatcher

    runtime = runtime_of(ctx)
    if runtime.settings.server:
        raise InvalidInput(
            f"this home follows {runtime.settings.server}: its `warroom serve` delivers"
        )
    dispatcher = solo_dispatcher(runtime.paths.data, runtime.room, lease_s=lease, backoff_s=backoff)
    try:
        while True:
            sent = dispatcher.tick()
            if once:
                say(f"{sent} deliveries attempted")
                return
            time.sleep(every)
    except KeyboardInterrupt:
        return
    finally:
        dispatcher.close()


def _row(record: DeliveryRecord) -> str:
    if record.delivered:
        status = f"delivered {record.delivered_at:%H:%M:%S} ({record.answer})"
    elif record.gave_up:
        status = f"UNDELIVERED after {record.failures} tries: {record.last_error}"
    elif record.failures:
        status = f"retrying ({record.failures} failed): {record.last_error}"
    else:
        status = "sending"
    return f"{record.delivery_id[:12]}  {record.channel}  {status}"


def deliveries(ctx: typer.Context, incident: Incident, as_json: Json = False) -> None:
    """Each delivery of the incident's notices and pages, and how it stands."""
    state = runtime_of(ctx).room.state(incident)
    records = list(state.deliveries.values())
    if as_json:
        emit_json({"incident_id": state.id, "deliveries": records})
        return
    if not records:
        say(f"Nothing has been sent for {state.id} yet.")
    for record in records:
        say(_row(record))


def retry(
    ctx: typer.Context,
    incident: Incident,
    delivery: Annotated[str, typer.Argument(help="Delivery id (a unique prefix is enough).")],
    as_json: Json = False,
) -> None:
    """Send an undelivered notice or page again now."""
    report(runtime_of(ctx).room.retry_delivery(incident, delivery), as_json)


def subscribe(
    ctx: typer.Context,
    incident: Annotated[
        str | None, typer.Argument(help="Incident id; leave out with --all.")
    ] = None,
    every_incident: Annotated[bool, typer.Option("--all", help="Every incident.")] = False,
    audience: Annotated[str, typer.Option(help="Whose notices: internal, external, ...")] = "",
    channel: Annotated[str | None, typer.Option(help="A channel URL to send them to.")] = None,
    person: Annotated[
        str | None, typer.Option(help=f"A person of {CHANNELS_FILE} to send them to.")
    ] = None,
) -> None:
    """Subscribe a channel or a person to an audience's notices; each gets a notice once."""
    runtime = runtime_of(ctx)
    if (incident is None) == (not every_incident):
        raise InvalidInput("name one incident or give --all")
    if (channel is None) == (person is None):
        raise InvalidInput("give either --channel URL or --person NAME")
    if not audience:
        raise InvalidInput("give --audience (one of " + ", ".join(runtime.policy.audiences) + ")")
    target = ALL_INCIDENTS if every_incident else runtime.store.resolve_incident(incident)
    if person is not None:
        load_channels(runtime.paths.data).person(person)
    try:
        subscription = Subscription(
            incident=target,
            audience=runtime.policy.audience(audience),
            channel=channel,
            person=person.strip() if person else None,
        )
    except ValidationError as exc:
        raise InvalidInput(plain_message(exc.errors()[0])) from None
    who = person or redact(channel)
    where = "every incident" if every_incident else target
    if add_subscription(runtime.paths.data, subscription):
        say(f"{who} gets {subscription.audience} notices of {where}")
    else:
        say(f"{who} already gets {subscription.audience} notices of {where}")


def channels(ctx: typer.Context, as_json: Json = False) -> None:
    """The channel book (URLs redacted); a broken file is reported with its line."""
    book = load_channels(runtime_of(ctx).paths.data)
    rows = {
        name: {"url": redact(spec.url), "audiences": spec.audiences, "pages": spec.pages}
        for name, spec in book.channels.items()
    }
    people = {name: redact(spec.url) for name, spec in book.people.items()}
    if as_json:
        emit_json({"channels": rows, "people": people})
        return
    for name, row in rows.items():
        to = ", ".join([*row["audiences"], *(f"page {p}" for p in row["pages"])]) or "nothing"
        say(f"{name}: {row['url']} <- {to}")
    for name, url in people.items():
        say(f"person {name}: {url}")


def register(app: typer.Typer) -> None:
    """The commands, and the notice commands with ``retry`` among them (``warroom update
    retry``)."""
    from warroom.cli import update_cmd

    for command in (deliver, deliveries, subscribe, channels):
        app.command()(command)
    update_cmd.app.command("retry")(retry)
    app.add_typer(update_cmd.app, name="update")
