"""Is an entry's content possible? Names the policy knows, times in a sane window, and
milestones that do not contradict each other.

The event model checks shapes; these checks need the policy, the clock or the incident
so far, so they run where an entry is admitted — ``warroom.core.access.check_append``,
which the local write path and the server both call. They never run on the fold: a log
written under another policy, or before these rules, still folds.

Pure: ``now`` is passed in.
"""

import weakref
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from pydantic_core import TzInfo

from warroom.core import events as ev
from warroom.core.errors import WarroomError
from warroom.core.kinds import KindTable, kind_test
from warroom.core.policy import Policy
from warroom.core.state import CLOSED, IncidentState

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
"""Nothing on an incident record happened before this."""
FUTURE_SLACK = timedelta(days=1)
"""How far ahead of the clock an entry's times may be (clock skew, time zones)."""
DUE_HORIZON = timedelta(days=3660)
"""How far ahead a TODO may be due."""

_BEFORE: tuple[tuple[str, str], ...] = (
    ("impact_started", "detected"),
    ("impact_started", "mitigated"),
    ("impact_started", "resolved"),
    ("mitigated", "resolved"),
)
"""Milestone pairs where the first cannot come after the second."""
_WORDS = {
    "impact_started": "impact started",
    "detected": "it was detected",
    "mitigated": "it was mitigated",
    "resolved": "it was resolved",
}
_NOUNS = {
    "impact_started": "the impact start",
    "detected": "the detection",
    "mitigated": "the mitigation",
    "resolved": "the resolution",
}
_STATUS_MILESTONES = {"monitoring": ("mitigated",), "resolved": ("resolved", "mitigated")}
"""The milestones a status change sets when they are not set yet (as the fold does)."""


_NAMES = KindTable(
    {
        ev.Declaration: (("severity", "severity"), ("incident type", "incident_type")),
        ev.SeverityChanged: (("severity", "severity"),),
        ev.StatusChanged: (("status", "status"),),
        ev.Reopened: (("status", "status"),),
        ev.PhaseChanged: (("phase", "phase"),),
        ev.StatusUpdate: (("audience", "audience"),),
        ev.NoticeDrafted: (("audience", "audience"),),
        ev.RoleAssigned: (("role", "role"),),
        ev.RoleReleased: (("role", "role"),),
        ev.HandoffAccepted: (("role", "role"),),
        ev.Handoff: (("role", "role"),),
        ev.ChecklistMarked: (("phase", "phase"), ("checklist item", "item")),
    },
    (),
)
"""Per kind, each name of the policy's vocabulary it holds: (what it is, its field)."""

_CANONICAL: dict[str, Callable[[Policy, str, object], str]] = {
    "severity": lambda policy, value, _: policy.severity(value).name,
    "incident type": lambda policy, value, _: policy.incident_type(value),
    "status": lambda policy, value, _: policy.status(value),
    "phase": lambda policy, value, _: policy.phase(value).id,
    "audience": lambda policy, value, _: policy.audience(value),
    "role": lambda policy, value, _: policy.role(value).id,
    "checklist item": lambda policy, value, payload: _item_id(policy, f"{payload.phase}/{value}"),
}
"""How the policy spells a name, from the name (and, for a checklist item, its phase)."""

_ACCEPTED: dict[int, tuple[weakref.ref, set[tuple[str, str, str]]]] = {}
"""Per live policy (by identity), the names ``vocabulary_refusal`` found spelt as it has
them: a policy is immutable, so a name it accepted once it accepts always. Looking a
name up walks the policy's lists, lowering every entry (a checklist item ~8 us); the
server asks it for every event it appends, of the same few names."""


def _accepted(policy: Policy) -> set[tuple[str, str, str]]:
    key = id(policy)
    entry = _ACCEPTED.get(key)
    if entry is None or entry[0]() is not policy:  # an id outlives its object
        names: set[tuple[str, str, str]] = set()
        _ACCEPTED[key] = (weakref.ref(policy, lambda _: _ACCEPTED.pop(key, None)), names)
        return names
    return entry[1]


def vocabulary_refusal(policy: Policy, payload: object) -> str | None:
    """Why a severity, status, phase, audience, incident type, role or checklist item
    in ``payload`` is not one the policy knows (or is not spelt as the policy spells it)."""
    names = _NAMES[type(payload)]
    if not names:
        return None
    accepted = _accepted(policy)
    for field, attribute in names:
        value = getattr(payload, attribute)
        # a checklist item's spelling depends on its phase: it is part of the key
        key = (field, value, payload.phase if field == "checklist item" else "")
        if key in accepted:
            continue
        try:
            canonical = _CANONICAL[field](policy, value, payload)
        except WarroomError as exc:
            return str(exc)
        if canonical != value:
            return f"{field} {value!r} must be written {canonical!r}, as the policy has it"
        accepted.add(key)
    return None


def _item_id(policy: Policy, ref: str) -> str:
    _, item = policy.checklist_item(ref, "")
    return item.id


_FIXED = (timezone, TzInfo)
"""Zones of one fixed offset: two times in the same one compare as their instants do
(Python compares same-zone times by wall clock, which a zone with DST would not)."""

_earliest_zoned = (UTC, EARLIEST)


def _earliest_in(zone: tzinfo) -> datetime:
    """``EARLIEST`` in ``zone``, kept for the last zone asked (the validated events of a
    server share one: pydantic's UTC)."""
    global _earliest_zoned
    last = _earliest_zoned  # one read: another thread may replace it meanwhile
    if last[0] is not zone:
        last = _earliest_zoned = (zone, EARLIEST.astimezone(zone))
    return last[1]


def time_refusal(event: ev.Event, now: datetime) -> str | None:
    """Why one of the event's times is outside the window a real incident can have."""
    latest = now + FUTURE_SLACK
    occurred, recorded = event.occurred_at, event.recorded_at
    zone = occurred.tzinfo
    if recorded.tzinfo is zone and type(zone) in _FIXED and not _TIMED[type(event.payload)]:
        # the envelope's times are all most entries have, and they share one zone:
        # bounds in that zone compare without asking either side its offset
        earliest, latest_here = _earliest_in(zone), latest.astimezone(zone)
        if earliest <= occurred <= latest_here and earliest <= recorded <= latest_here:
            return None
    for field, moment, horizon in _times(event):
        upper = now + horizon if horizon else latest
        if moment < EARLIEST or moment > upper:
            limit = "a day from now" if not horizon else "ten years from now"
            return (
                f"{field} {moment.isoformat()} is outside the times an incident can have"
                f" (from {EARLIEST:%Y-%m-%d} to {limit}); check the date and the clock"
            )
    return None


_TIMED = kind_test(
    ev.MilestoneSet,
    ev.Declaration,
    ev.Todo,
    ev.ActionItemUpdated,
    ev.RiskRaised,
    ev.RiskUpdated,
)
"""The kinds with times of their own beside the envelope's (see ``_times``)."""


def _times(event: ev.Event) -> Iterator[tuple[str, datetime, timedelta | None]]:
    yield "occurred_at", event.occurred_at, None
    yield "recorded_at", event.recorded_at, None
    payload = event.payload
    match payload:
        case ev.MilestoneSet():
            yield f"milestone {payload.milestone}", payload.at, None
        case ev.Declaration():
            if payload.impact_started_at:
                yield "impact_started_at", payload.impact_started_at, None
            if payload.detected_at:
                yield "detected_at", payload.detected_at, None
        case ev.Todo(due=datetime() as due) | ev.ActionItemUpdated(due=datetime() as due):
            yield "due", due, DUE_HORIZON
        case (
            ev.RiskRaised(review_at=datetime() as review)
            | ev.RiskUpdated(review_at=datetime() as review)
        ):
            yield "review date", review, DUE_HORIZON


_SETS_MILESTONES = kind_test(ev.MilestoneSet, ev.Declaration, ev.StatusChanged)
"""The kinds ``milestones_after`` finds setting a milestone; no other sets one."""


def milestones_after(state: IncidentState | None, event: ev.Event) -> tuple[dict, set[str]]:
    """The milestones once ``event`` is folded, and which of them it sets."""
    milestones = dict(state.milestones) if state else {}
    payload = event.payload
    changed: dict[str, datetime] = {}
    match payload:
        case ev.MilestoneSet():
            changed[payload.milestone] = payload.at
        case ev.Declaration():
            changed["detected"] = payload.detected_at or event.occurred_at
            if payload.impact_started_at:
                changed["impact_started"] = payload.impact_started_at
        case ev.StatusChanged():
            for name in _STATUS_MILESTONES.get(payload.status, ()):
                if name not in milestones:
                    changed[name] = event.occurred_at
    return milestones | changed, set(changed)


def milestone_refusal(state: IncidentState | None, event: ev.Event) -> str | None:
    """Why the milestones this event sets would contradict the others (resolved before
    impact started, ...); pairs the event does not touch are left as they are."""
    if not _SETS_MILESTONES[type(event.payload)]:
        return None  # it sets none: no pair to check, and no copy of the milestones
    milestones, changed = milestones_after(state, event)
    for first, second in _BEFORE:
        if not changed & {first, second} or first not in milestones or second not in milestones:
            continue
        if milestones[second] < milestones[first]:
            return (
                f"{_WORDS[second]} at {_show(milestones[second])} would be before"
                f" {_WORDS[first]} at {_show(milestones[first])}; check the times"
            )
    return None


def closed_refusal(state: IncidentState, payload: object) -> str | None:
    """A closed incident takes only a ``reopened`` entry; only a closed one can be reopened."""
    if isinstance(payload, ev.Reopened):
        if not state.closed:
            return f"{state.id} is not closed ({state.status}); there is nothing to reopen"
        if payload.status == CLOSED:
            return f"reopening {state.id} needs a status other than {CLOSED}"
        return None
    if state.closed and not isinstance(payload, ev.AFTER_CLOSE_KINDS):
        return (
            f"{state.id} is closed; reopen it first, with a reason"
            f" (`warroom reopen {state.id} REASON`)"
        )
    return None


_RUNBOOK_WORK = kind_test(ev.RunbookStepMarked, ev.CommandRun)


def runbook_refusal(state: IncidentState, payload: object) -> str | None:
    """Why a step mark or a command run does not match what is pinned: the step must be
    in an attached runbook, and a recorded command must be one pinned with that step, so
    the record never shows a command other than the one the runbook gave."""
    if not _RUNBOOK_WORK[type(payload)]:
        return None
    pinned = state.runbooks.get(payload.runbook_id)
    step = pinned.step(payload.step_id) if pinned else None
    name = f"{payload.runbook_id}/{payload.step_id}"
    if step is None:
        return f"{name} is not a step of a runbook attached to {state.id}"
    if isinstance(payload, ev.CommandRun) and payload.command not in {
        block.code for block in step.commands
    }:
        return f"the command recorded for {name} is not one pinned with the runbook"
    return None


def backdate_problem(policy: Policy, state: IncidentState | None, event: ev.Event) -> str | None:
    """Why the event's times need a confirmation: more than the policy allows before the
    declaration (``[record] backdate_confirm_hours``)."""
    declared = state.milestones.get("declared") if state else event.occurred_at
    if declared is None:
        return None
    hours = policy.record.backdate_confirm_hours
    limit = declared - timedelta(hours=hours)
    milestones, changed = milestones_after(state, event)
    times = [("the entry", event.occurred_at)]
    times += [(_NOUNS[name], milestones[name]) for name in _NOUNS if name in changed]
    for what, moment in times:
        if moment < limit:
            before = declared - moment
            return (
                f"{what} ({_show(moment)}) is dated {_span(before)} before"
                f" {event.incident_id} was declared; the policy asks to confirm anything"
                f" more than {hours:g} h before the declaration"
            )
    return None


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} h"


def _show(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
