"""``warroom status``: an incident's folded state as a person reads it (roles, checklist,
runbooks, update clocks, escalations, metrics) or as JSON, and setting its status.

Reading the state is apart from the commands that write entries (``incidents``): it
changes with what the summary shows, they with what can be recorded.
"""

from typing import Annotated

import typer

from warroom.cli.output import emit_json, say
from warroom.cli.params import Incident, Json, report, runtime_of
from warroom.cli.runtime import Runtime
from warroom.core.clocks import update_clocks
from warroom.core.ladder import escalation_ladder, step_line
from warroom.core.metrics import incident_metrics
from warroom.core.runbook import walk_steps
from warroom.core.state import IncidentState
from warroom.core.timeparse import format_duration, utcnow
from warroom.store.replica import Replica


def status(
    ctx: typer.Context,
    incident: Incident,
    new_status: Annotated[
        str | None,
        typer.Argument(help="Set the status (investigating ... closed) instead of showing it."),
    ] = None,
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why (when setting).")] = "",
    as_json: Json = False,
) -> None:
    """Show the folded state of an incident, or set its status."""
    runtime = runtime_of(ctx)
    if new_status is not None:
        report(runtime.room.set_status(incident, new_status, reason), as_json)
        return
    state = runtime.room.state(incident)
    accepted = state.id not in Replica(runtime.store).unaccepted_incidents()
    now = utcnow()
    clocks = update_clocks(runtime.policy, state, now)
    ladder = escalation_ladder(runtime.policy, state, now)
    metrics = incident_metrics(state)
    if as_json:
        emit_json(
            {
                "state": state.model_dump(mode="json"),
                "accepted": accepted,
                "commander": state.commander,
                "metrics": {k: (v.total_seconds() if v else None) for k, v in metrics},
                "update_clocks": [c.model_dump(mode="json") for c in clocks],
                "escalations": [s.model_dump(mode="json") for s in ladder],
            }
        )
        return
    if not accepted:
        say(_NOT_ACCEPTED.format(id=state.id))
    _print_state(runtime, state, now, clocks, ladder, metrics)


_NOT_ACCEPTED = (
    "NOT ACCEPTED by the server: {id} lives only here; `warroom rejected {id}` says why,"
    " `warroom rejected {id} --resubmit` sends it again"
)


def _print_state(runtime: Runtime, state: IncidentState, now, clocks, ladder, metrics) -> None:
    declared = state.milestones.get("declared")
    age = format_duration(now - declared) if declared else "unknown"
    drill = "  [DRILL]" if state.drill else ""
    say(f"{state.id}  {state.severity}  {state.status}  phase {state.phase}{drill}")
    say(f"  {state.title}")
    affected = ", ".join(state.services) or "none"
    say(f"  type {state.incident_type}; services {affected}; declared {age} ago")
    say("Roles:")
    major = runtime.policy.is_major(state.severity)
    for role in runtime.policy.roles:
        holders = state.holders(role.id)
        if holders:
            names = ", ".join(
                f"{t.person}{' (shadow)' * t.shadow} {format_duration(t.time_in_role(now))}"
                for t in holders
            )
            say(f"  {role.id:<15} {names}")
        elif role.required_when_major and major:
            say(f"  {role.id:<15} VACANT (required on a major incident)")
    for pending in state.pending_handoffs():
        giver = pending.from_person or "nobody"
        say(f"  {pending.role} {giver} -> {pending.to_person} (awaiting acceptance)")
    say("Checklist:")
    for phase_spec in runtime.policy.phases:
        done = sum(state.is_checked(phase_spec.id, i.id) for i in phase_spec.items)
        marker = ">" if phase_spec.id == state.phase else " "
        say(f" {marker}{phase_spec.id} {done}/{len(phase_spec.items)}")
        if phase_spec.id == state.phase:
            for item in phase_spec.items:
                box = "x" if state.is_checked(phase_spec.id, item.id) else " "
                say(f"    [{box}] {item.id}: {item.text}")
    if state.runbooks:
        say("Runbooks:")
    for pinned in state.runbooks.values():
        statuses = [pinned.progress_of(s.id).status for s in walk_steps(pinned.steps)]
        busy = ("started", "claimed", "failed", "skipped")
        more = ", ".join(f"{statuses.count(s)} {s}" for s in busy if s in statuses)
        counts = f"{statuses.count('done')}/{len(statuses)} done" + (f", {more}" if more else "")
        say(f"  {pinned.runbook_id} @{pinned.content_hash[:8]}  {counts}")
    if clocks:
        say("Next updates:")
        for clock in clocks:
            left = clock.remaining(now)
            when = (
                f"OVERDUE by {format_duration(-left)}"
                if clock.overdue
                else f"in {format_duration(left)}"
            )
            say(f"  {clock.audience:<10} {when}")
    if ladder:
        say("Escalations:")
        for step in ladder:
            say(f"  {step_line(step, now)}")
    say("Metrics: " + "  ".join(f"{k.upper()} {format_duration(v)}" for k, v in metrics))


def register(app: typer.Typer) -> None:
    app.command()(status)
