"""``warroom risks``: the living risk register — each risk its own append-only log,
synced, chained and verifiable like an incident's."""

from typing import Annotated

import typer

from warroom.cli.actions_cmd import write_csv
from warroom.cli.output import emit_json, say
from warroom.cli.params import Json, Reason, report, runtime_of
from warroom.core import events as ev
from warroom.core.errors import InvalidInput, NotFound
from warroom.core.followups import parse_due
from warroom.core.sanitize import visible
from warroom.core.timeparse import utcnow
from warroom.store.followups import RiskRow, register_rows

app = typer.Typer(help="The risk register: add, update, link, list, show.", no_args_is_help=True)

Risk = Annotated[str, typer.Argument(help="Risk id (risk-…, or a unique part after risk-).")]
Likelihood = Annotated[
    str | None, typer.Option("--likelihood", "-l", help="On the policy's scale.")
]
Impact = Annotated[str | None, typer.Option("--impact", help="On the policy's scale.")]
Owner = Annotated[str | None, typer.Option("--owner", "-o", help="Who owns the risk.")]
Review = Annotated[
    str | None, typer.Option("--review", help="Next review: +30d, 2026-12-15 (default: policy).")
]
COLUMNS = (
    "id", "title", "likelihood", "impact", "exposure", "owner", "review_at", "status",
    "flags", "incidents", "mitigations",
)  # fmt: skip


def _review(text: str | None):
    return parse_due(text, utcnow()) if text else None


def _row(row: RiskRow) -> dict:
    risk = row.risk
    return {
        "id": row.risk_id,
        "title": risk.title,
        "likelihood": risk.likelihood,
        "impact": risk.impact,
        "exposure": row.exposure,
        "owner": risk.owner,
        "review_at": risk.review_at.isoformat() if risk.review_at else None,
        "status": risk.status,
        "flags": row.flags,
        "incidents": [link.incident_id for link in risk.incidents],
        "mitigations": [f"{link.incident_id}/{link.action_id}" for link in risk.mitigations],
    }


@app.command("add")
def add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="The risk, in a few words.")],
    likelihood: Likelihood = None,
    impact: Impact = None,
    owner: Owner = None,
    review: Review = None,
    description: Annotated[str, typer.Option("--description", "-d", help="More detail.")] = "",
    as_json: Json = False,
) -> None:
    """Add a risk to the register and print its id."""
    scales = runtime_of(ctx).policy.risks
    if likelihood is None or impact is None:
        raise InvalidInput(
            "a risk needs --likelihood and --impact; the policy's scales are"
            f" likelihood {', '.join(scales.likelihood)} and impact {', '.join(scales.impact)}"
        )
    event = runtime_of(ctx).room.raise_risk(
        title,
        likelihood=likelihood,
        impact=impact,
        owner=owner,
        review_at=_review(review),
        description=description,
    )
    if as_json:
        emit_json({"id": event.incident_id, "event": event})
    else:
        say(event.incident_id)


@app.command("update")
def update(
    ctx: typer.Context,
    risk: Risk,
    title: Annotated[str | None, typer.Option("--title", help="A new title.")] = None,
    likelihood: Likelihood = None,
    impact: Impact = None,
    owner: Owner = None,
    review: Review = None,
    status: Annotated[
        str | None, typer.Option("--status", help=f"One of {', '.join(ev.RISK_STATUSES)}.")
    ] = None,
    reason: Reason = "",
    as_json: Json = False,
) -> None:
    """Change a risk: its title, likelihood, impact, owner, review date or status."""
    if status is not None and status.strip().lower() not in ev.RISK_STATUSES:
        raise InvalidInput(
            f"unknown risk status {status!r}; choose one of {', '.join(ev.RISK_STATUSES)}"
        )
    changes = {
        "title": title,
        "likelihood": likelihood,
        "impact": impact,
        "owner": owner,
        "review_at": _review(review),
        "status": status.strip().lower() if status else None,
    }
    if all(value is None for value in changes.values()):
        raise InvalidInput(
            "say what to change: --title, --likelihood, --impact, --owner, --review or --status"
        )
    report(runtime_of(ctx).room.update_risk(risk, reason=reason, **changes), as_json)


@app.command("link")
def link(
    ctx: typer.Context,
    risk: Risk,
    incident: Annotated[str, typer.Argument(help="Incident where it materialised.")],
    action: Annotated[
        str | None,
        typer.Option("--action", "-a", help="An action item of that incident that mitigates it."),
    ] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Take the link back.")] = False,
    as_json: Json = False,
) -> None:
    """Link a risk to an incident, or (--action) to an action item that mitigates it."""
    event = runtime_of(ctx).room.link_risk(risk, incident, action, removed=remove)
    report(event, as_json)


@app.command("list")
def list_risks(
    ctx: typer.Context,
    flagged: Annotated[bool, typer.Option("--flagged", help="Only flagged risks.")] = False,
    as_json: Json = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV for spreadsheets.")] = False,
) -> None:
    """The register, highest exposure (likelihood x impact) first."""
    runtime = runtime_of(ctx)
    rows = register_rows(runtime.store, runtime.policy.risks, utcnow())
    rows = [row for row in rows if row.flags] if flagged else rows
    if as_json:
        emit_json([_row(row) for row in rows])
    elif as_csv:
        write_csv(COLUMNS, [_row(row) for row in rows])
    elif not rows:
        say("The register is empty." if not flagged else "No risk is flagged.")
    else:
        say("\n".join(_line(row) for row in rows))


def _line(row: RiskRow) -> str:
    risk = row.risk
    flags = f"  [{', '.join(row.flags).upper()}]" if row.flags else ""
    review = f"review {risk.review_at:%Y-%m-%d}" if risk.review_at else "no review date"
    return visible(  # one row per risk, whatever its title holds (a newline shows as ⏎)
        f"{row.risk_id}  {row.exposure:>2}  {risk.likelihood} x {risk.impact}  {risk.title}"
        f"  ({risk.owner or 'no owner'}, {review}, {risk.status}){flags}"
    )


@app.command("show")
def show(ctx: typer.Context, risk: Risk, as_json: Json = False) -> None:
    """One risk: its fields, flags, and the incidents and actions linked to it."""
    runtime = runtime_of(ctx)
    wanted = risk.strip().lower()
    rows = register_rows(runtime.store, runtime.policy.risks, utcnow())
    found = [r for r in rows if r.risk_id == wanted or r.risk_id.startswith("risk-" + wanted)]
    found = found or [r for r in rows if r.risk_id.startswith(wanted)]
    if len(found) != 1:
        problem = "no risk" if not found else "several risks match"
        raise NotFound(f"{problem} {risk!r}; `warroom risks list` shows the register")
    row = found[0]
    if as_json:
        emit_json(_row(row) | {"description": row.risk.description})
        return
    r = row.risk
    review = f"review {r.review_at:%Y-%m-%d}" if r.review_at else "no review date"
    lines = [
        visible(f"{row.risk_id}: {r.title}"),
        f"  likelihood {r.likelihood}, impact {r.impact}, exposure {row.exposure}",
        visible(f"  owner {r.owner or 'nobody'}, status {r.status}, {review}"),
    ]
    if r.description:
        lines.append(f"  {r.description}")
    if row.flags:
        lines.append(f"  FLAGGED: {', '.join(row.flags)}")
    lines += [f"  materialised in {link.incident_id}" for link in r.incidents]
    lines += [f"  mitigated by {m.incident_id} {m.action_id}" for m in r.mitigations]
    say("\n".join(lines))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="risks")
