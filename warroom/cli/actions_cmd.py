"""``warroom actions``: follow-up actions across every incident the home knows, and the
changes to one (done, reassign, redate, status, set); ``warroom outcome`` says what
became of a hypothesis."""

import csv
import sys
from typing import Annotated

import typer

from warroom.cli.output import emit_json, say
from warroom.cli.params import At, Incident, Json, Reason, report, runtime_of, when
from warroom.core import events as ev
from warroom.core.errors import InvalidInput
from warroom.core.followups import parse_due
from warroom.core.sanitize import visible
from warroom.core.timeparse import utcnow
from warroom.store.followups import ActionRow, action_rows

app = typer.Typer(
    help="Follow-up actions (TODOs) across every incident: list, add, done, reassign, redate.",
    no_args_is_help=True,
)

Item = Annotated[str, typer.Argument(help="Action item id (a unique prefix is enough).")]
Csv = Annotated[bool, typer.Option("--csv", help="Print CSV for spreadsheets.")]
Priority = Annotated[str | None, typer.Option("--priority", "-p", help="high, medium or low.")]
Type = Annotated[
    str | None,
    typer.Option("--type", "-t", help="detective, preventive, corrective or mitigating."),
]
Ticket = Annotated[str | None, typer.Option("--ticket", help="Link to the ticket tracking it.")]
Due = Annotated[str | None, typer.Option("--due", help="+3d, 2w, in 10 days, 2026-12-15.")]
Owner = Annotated[str | None, typer.Option("--owner", "-o", help="Who owns it.")]
COLUMNS = (
    "incident", "item", "text", "owner", "due", "priority", "type", "status", "reason",
    "ticket", "overdue", "incident_status",
)  # fmt: skip


def _choice(value: str | None, choices: tuple[str, ...], what: str) -> str | None:
    """``value`` as the record spells it (``in-progress`` → ``in_progress``)."""
    if value is None:
        return None
    wanted = value.strip().lower().replace("-", "_").replace(" ", "_").replace("'", "")
    if wanted not in choices:
        shown = ", ".join(c.replace("_", "-") for c in choices)
        raise InvalidInput(f"unknown {what} {value!r}; choose one of {shown}")
    return wanted


def _due(text: str | None):
    return parse_due(text, utcnow()) if text else None


def _row(row: ActionRow) -> dict:
    item = row.item
    return {
        "incident": row.incident.incident_id,
        "item": item.event_id,
        "text": item.text,
        "owner": item.owner,
        "due": item.due.isoformat() if item.due else None,
        "priority": item.priority,
        "type": item.action_type,
        "status": item.status,
        "reason": item.reason,
        "ticket": item.ticket,
        "overdue": row.overdue,
        "incident_status": row.incident.status,
    }


@app.command("list")
def list_actions(
    ctx: typer.Context,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this owner's.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only the overdue ones.")] = False,
    incident: Annotated[
        str | None, typer.Option("--incident", "-i", help="Only this incident's.")
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", "-a", help="Include done and won't-do items.")
    ] = False,
    as_json: Json = False,
    as_csv: Csv = False,
) -> None:
    """List action items across every incident here: overdue first, then by due date."""
    store = runtime_of(ctx).store
    only = store.resolve_incident(incident) if incident else None
    rows = action_rows(
        store, utcnow(), owner=owner, overdue_only=overdue, incident_id=only,
        include_closed=show_all,
    )  # fmt: skip
    if as_json:
        emit_json([_row(r) for r in rows])
    elif as_csv:
        write_csv(COLUMNS, [_row(r) for r in rows])
    elif not rows:
        say("No action items match." if (owner or overdue or incident) else "No open action items.")
    else:
        say("\n".join(_line(row) for row in rows))


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (``=HYPERLINK(…)``, ``=cmd|…``)."""


def csv_cell(value: object) -> object:
    """A value as a spreadsheet may safely read it: a list as ``a; b``, text that would
    start a formula quoted with a leading ``'`` (OWASP's advice, which spreadsheets show
    as text), control characters made visible so ``cat`` cannot drive a terminal either.
    Newlines stay: the CSV quotes them."""
    if isinstance(value, list | tuple):
        value = "; ".join(str(part) for part in value)
    if not isinstance(value, str):
        return value
    value = visible(value, single_line=False)
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def write_csv(columns: tuple[str, ...], rows: list[dict]) -> None:
    """Rows as CSV on stdout, a header first (the register uses it too)."""
    writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({name: csv_cell(value) for name, value in row.items()} for row in rows)


def _line(row: ActionRow) -> str:
    item = row.item
    flag = "OVERDUE " if row.overdue else ""
    due = f"due {item.due:%Y-%m-%d}" if item.due else "no due date"
    details = [item.owner or "no owner", due, item.priority or "-", item.status.replace("_", " ")]
    if item.action_type:
        details.append(item.action_type)
    return visible(  # one row per item, whatever its text holds (a newline shows as ⏎)
        f"{flag}{row.incident.incident_id} {row.short_id}  {item.text}"
        f"  ({', '.join(details)})" + (f"  {item.ticket}" if item.ticket else "")
    )


@app.command("add")
def add(
    ctx: typer.Context,
    incident: Incident,
    text: Annotated[str, typer.Argument(help="What should be done.")],
    owner: Owner = None,
    due: Due = None,
    priority: Priority = None,
    action_type: Type = None,
    ticket: Ticket = None,
    at: At = None,
    as_json: Json = False,
) -> None:
    """Raise a follow-up action on an incident (a TODO), closed ones included."""
    event = runtime_of(ctx).room.add_action_item(
        incident,
        text,
        owner=owner,
        due=_due(due),
        priority=_choice(priority, ev.Priority.__args__, "priority"),
        action_type=_choice(action_type, ev.ActionType.__args__, "type"),
        ticket=ticket,
        at=when(at),
    )
    report(event, as_json)


def _update(ctx: typer.Context, incident: str, item: str, as_json: bool, **changes) -> None:
    report(runtime_of(ctx).room.update_action_item(incident, item, **changes), as_json)


@app.command("done")
def done(ctx: typer.Context, incident: Incident, item: Item, as_json: Json = False) -> None:
    """Mark an action item done."""
    _update(ctx, incident, item, as_json, status="done")


@app.command("reassign")
def reassign(
    ctx: typer.Context,
    incident: Incident,
    item: Item,
    person: Annotated[str, typer.Argument(help="The new owner.")],
    as_json: Json = False,
) -> None:
    """Give an action item to someone else."""
    _update(ctx, incident, item, as_json, owner=person)


@app.command("redate")
def redate(
    ctx: typer.Context,
    incident: Incident,
    item: Item,
    due: Annotated[str, typer.Argument(help="+3d, 2w, in 10 days, 2026-12-15.")],
    as_json: Json = False,
) -> None:
    """Move an action item's due date."""
    _update(ctx, incident, item, as_json, due=_due(due))


@app.command("status")
def status(
    ctx: typer.Context,
    incident: Incident,
    item: Item,
    new_status: Annotated[
        str, typer.Argument(metavar="STATUS", help="open, in-progress, done or wont-do.")
    ],
    reason: Reason = "",
    as_json: Json = False,
) -> None:
    """Set an action item's status; won't do needs --reason."""
    wanted = _choice(new_status, ev.ACTION_STATUSES, "status")
    _update(ctx, incident, item, as_json, status=wanted, reason=reason)


@app.command("set")
def set_fields(
    ctx: typer.Context,
    incident: Incident,
    item: Item,
    priority: Priority = None,
    action_type: Type = None,
    ticket: Ticket = None,
    as_json: Json = False,
) -> None:
    """Change an action item's priority, type or ticket link."""
    if priority is None and action_type is None and ticket is None:
        raise InvalidInput("say what to change: --priority, --type or --ticket")
    _update(
        ctx, incident, item, as_json,
        priority=_choice(priority, ev.Priority.__args__, "priority"),
        action_type=_choice(action_type, ev.ActionType.__args__, "type"),
        ticket=ticket,
    )  # fmt: skip


def outcome(
    ctx: typer.Context,
    incident: Incident,
    hypothesis: Annotated[str, typer.Argument(help="Hypothesis entry id (a unique prefix).")],
    verdict: Annotated[str, typer.Argument(metavar="OUTCOME", help="confirmed or ruled-out.")],
    reason: Reason = "",
    at: At = None,
    as_json: Json = False,
) -> None:
    """Record whether a hypothesis was confirmed or ruled out (closed incidents too)."""
    event = runtime_of(ctx).room.hypothesis_outcome(
        incident, hypothesis, verdict, reason, at=when(at)
    )
    report(event, as_json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="actions")
    root.command()(outcome)
