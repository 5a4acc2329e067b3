"""Apply parsed alerts to a home: the evaluation of ``core.alert_eval``, carried out.

The same ``evaluate_all`` that ``warroom rules test`` prints decides here, so the dry run
and the real intake cannot disagree. Every change goes through ``WarRoom`` (the one write
path) as the intake actor (``intake:alertmanager``, ``intake:generic``, …):

- a repeat (same fingerprint, same status as on an open incident's record) changes nothing;
- a resolution is recorded, as an ``alert_received`` with status resolved, on the incident
  holding the alert;
- a new alert declares an incident (with command left vacant: a bot does not command, a
  person takes it) or lands on the open one the rules attach it to; the alert is recorded,
  then each rule that fired is recorded: each threshold it crossed as a
  ``threshold_crossed`` (the value against the limit), a note (which rule, why, what it
  does), a page or a notice as an ``escalation`` (``action`` page or notify, ``rule``), a
  TODO as a TODO (due at the end of its time box), a runbook (named by the rule, or by the alert's
  ``runbook_url``) is pinned. Severity is only ever raised, naming the rule, which
  authorises it whoever commands (``warroom.core.automatic``); should the admit still
  refuse it, the rule's wish and the refusal go on the record as a note instead.

All or nothing per payload: every entry is validated before the first write, so a
payload that cannot be recorded writes nothing; on a server the whole payload is one
append as well (``warroom.server.intake``).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import ValidationError

from warroom.actions import WarRoom
from warroom.core import events as ev
from warroom.core.alert_eval import (
    Decision,
    FiredRule,
    IncidentSummary,
    PlannedAction,
    evaluate_all,
    summary_of,
)
from warroom.core.alerts import Alert, MalformedPayload
from warroom.core.errors import InvalidInput
from warroom.core.fold import rule_escalation_key
from warroom.core.runbook import Runbook
from warroom.core.state import CLOSED
from warroom.core.timeparse import utcnow
from warroom.core.wording import entry_message
from warroom.runbooks.library import RunbookLibrary
from warroom.store.local import LocalStore
from warroom.store.summaries import incident_summaries

Runbooks = Mapping[str, Runbook]
"""The runbooks a rule may attach, by id (a library's catalogue)."""


@dataclass
class Applied:
    """What intake did with one alert, for a person and for ``--json``."""

    fingerprint: str
    status: str
    summary: str
    news: str
    incident: str = ""
    done: list[str] = field(default_factory=list)


def runbook_catalogue(library: RunbookLibrary) -> Runbooks:
    """The library's runbooks by id, as rules attach them."""
    return {entry.runbook.id: entry.runbook for entry in library.catalog.entries.values()}


def intake_actor(alerts: list[Alert]) -> str:
    """Who intake writes as: ``intake:`` and the monitoring system that sent the payload."""
    return f"intake:{alerts[0].source if alerts else 'generic'}"


def open_incidents(store: LocalStore) -> list[IncidentSummary]:
    """The open incidents with the alerts on their records, from the store's caches:
    the listing's summaries pick the open ones, and each one's folded state (a snapshot
    plus its tail) holds its alerts — no incident's events are read again for this."""
    return [
        summary_of(store.state(listed.id))
        for listed in incident_summaries(store)
        if listed.status != CLOSED
    ]


def alert_fields(alert: Alert) -> dict:
    """The ``AlertReceived`` fields of an alert, as ``WarRoom.alert`` takes them."""
    return {
        "source": alert.source,
        "summary": alert.summary,
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "values": dict(alert.values),
        "links": tuple({"title": link.title, "url": link.url} for link in alert.links),
        "fingerprint": alert.fingerprint,
        "group_key": alert.group_key,
        "status": alert.status,
    }


def _validate(alerts: list[Alert], decisions: list[Decision]) -> list[ev.AlertReceived]:
    """Every alert and every declaration the payload makes, checked before any write;
    the alerts' entries, validated once here and recorded as they are."""
    entries: list[ev.AlertReceived] = []
    try:
        for index, (alert, decision) in enumerate(zip(alerts, decisions, strict=True)):
            where = f"alerts.{index}"
            entries.append(ev.AlertReceived(**alert_fields(alert)))
            for action in _planned(decision):
                if action.kind == "declare":
                    details = action.details
                    ev.Declaration(
                        title=details["title"],
                        severity=details["severity"],
                        incident_type=details["type"],
                        services=tuple(details["services"]),
                    )
    except ValidationError as exc:
        raise MalformedPayload(f"{where}: {entry_message(exc)}") from None
    return entries


def _planned(decision: Decision) -> list:
    return [action for fired in decision.fired for action in fired.actions]


class _Carrier:
    """Carries out decisions in order; ``new-N`` stand-ins become the declared ids."""

    def __init__(self, room: WarRoom, runbooks: Runbooks) -> None:
        self.room = room
        self.runbooks = runbooks
        self.declared: dict[str, str] = {}

    def real(self, incident: str) -> str:
        return self.declared.get(incident, incident)

    def apply(self, alert: Alert, entry: ev.AlertReceived, decision: Decision) -> Applied:
        """Carry out ``decision`` on ``alert``, whose validated entry is ``entry``."""
        applied = Applied(alert.fingerprint, alert.status, alert.summary, decision.news)
        if decision.news == "repeat":
            applied.incident = decision.incident
            applied.done.append(f"a repeat of an alert on {decision.incident}: nothing changed")
            return applied
        if alert.status == "resolved":
            if not decision.incident:
                applied.done.append("resolved, but no open incident holds it: nothing recorded")
                return applied
            applied.incident = self.real(decision.incident)
            self.room.record_alert(applied.incident, entry)
            applied.done.append(f"recorded the resolution on {applied.incident}")
            return applied
        target = self._target(decision, applied)
        if not target:
            applied.done.append("no rule fires and no open incident holds it: nothing recorded")
            return applied
        self.room.record_alert(target, entry)
        applied.done.append(f"recorded the alert on {target}")
        for fired in decision.fired:
            self._carry_rule(target, alert, fired, applied)
        return applied

    def _target(self, decision: Decision, applied: Applied) -> str:
        """The incident the alert lands on, declaring it if a rule says so."""
        for action in _planned(decision):
            if action.kind == "declare":
                details = action.details
                declared = self.room.declare(
                    details["title"],
                    severity=details["severity"],
                    incident_type=details["type"],
                    services=details["services"],
                    take_command=False,
                )
                self.declared[f"new-{len(self.declared) + 1}"] = declared.incident_id
                applied.incident = declared.incident_id
                applied.done.append(f"declared {declared.incident_id}: {details['title']}")
                return applied.incident
            if action.kind == "attach":
                applied.incident = self.real(action.incident)
                applied.done.append(action.text.replace(action.incident, applied.incident))
                return applied.incident
        applied.incident = self.real(decision.incident)
        return applied.incident

    def _carry_rule(self, target: str, alert: Alert, fired: FiredRule, applied: Applied) -> None:
        plans = "; ".join(a.text for a in fired.actions if a.kind not in ("declare", "attach"))
        reason = f"rule {fired.rule} fired: {'; '.join(fired.why)}"
        self._crossings(target, alert, fired.rule)
        self.room.log(target, reason + (f" -> {plans}" if plans else ""))
        applied.done.append(f"recorded why: {reason}")
        for action in fired.actions:
            if action.kind == "raise_severity":
                self._raise(target, action.details["severity"], fired.rule, applied)
            elif action.kind in ("page", "notify"):
                who = action.details.get("target") or action.details["audience"]
                done = "paged" if action.kind == "page" else "notified"
                key = rule_escalation_key(fired.rule, action.kind, who)
                if key in self.room.state(target).rule_escalations:
                    applied.done.append(f"{who} already {done} by rule {fired.rule}")
                    continue
                self.room.escalate(target, who, reason, action=action.kind, rule=fired.rule)
                applied.done.append(f"{done} {who} (recorded as due)")
            elif action.kind == "todo":
                self._todo(target, action.details, applied)
            elif action.kind == "runbook" and action.details.get("runbook"):
                self._attach(target, action, applied)

    def _crossings(self, target: str, alert: Alert, rule_id: str) -> None:
        """A ``threshold_crossed`` per threshold of the rule: the value the alert carried
        against the limit, so the record shows the numbers that fired it."""
        rule = next(r for r in self.room.policy.rules if r.id == rule_id)
        for threshold in rule.thresholds:
            value = threshold.observed(alert)
            if value is not None:
                text = f"rule {rule_id}: {threshold.text}"
                self.room.threshold_crossed(target, threshold.name, value, threshold.limit, text)

    def _todo(self, target: str, details: dict, applied: Applied) -> None:
        """The rule's TODO, owned by its role, due at the end of its time box if it has one;
        not again while the same TODO is open (a storm adds it once)."""
        open_items = self.room.state(target).action_items.values()
        if any(item.text == details["text"] and not item.closed for item in open_items):
            applied.done.append(f"TODO {details['text']!r} is already open")
            return
        minutes = details.get("minutes") or 0
        due = utcnow() + timedelta(minutes=minutes) if minutes else None
        owner = details["owner"] or None
        self.room.log(target, details["text"], kind="todo", owner=owner, due=due)
        box = f", due in {minutes} min" if minutes else ""
        applied.done.append(f"added TODO {details['text']!r}{box}")

    def _attach(self, target: str, action: PlannedAction, applied: Applied) -> None:
        """Pin the runbook the rule names; one already pinned at this version stays."""
        runbook = self.runbooks[action.details["runbook"]]
        pinned = self.room.state(target).runbooks.get(runbook.id)
        if pinned is not None and pinned.content_hash == runbook.content_hash:
            return
        self.room.attach_runbook(target, runbook)
        applied.done.append(f"attached runbook {runbook.id}")

    def _raise(self, target: str, severity: str, rule: str, applied: Applied) -> None:
        """Raise, never lower; a refusal by the access rules is put on the record."""
        policy, current = self.room.policy, self.room.state(target).severity
        if policy.severity_rank(severity) >= policy.severity_rank(current):
            return
        try:
            self.room.set_severity(target, severity, f"alert rule {rule}", rule=rule)
        except InvalidInput as refusal:
            self.room.log(target, f"rule {rule} asks to raise {target} to {severity}: {refusal}")
            applied.done.append(f"could not raise to {severity}: {refusal}")
            return
        applied.done.append(f"raised {target} to {severity}")


def apply_alerts(
    room: WarRoom,
    alerts: list[Alert],
    incidents: Sequence[IncidentSummary] | None = None,
    runbooks: Runbooks | None = None,
) -> list[Applied]:
    """Apply a payload's alerts through ``room``; what was done with each, in order.

    ``room`` writes as the intake actor (see ``intake_actor``) — to a home, or to a
    server's batch (``warroom.server.authored``). ``incidents`` are the open incidents
    (by default those of ``room``'s home); ``runbooks`` those a rule may attach."""
    catalogue = runbooks or {}
    known = open_incidents(room.store) if incidents is None else incidents
    decisions = evaluate_all(room.policy, alerts, known, runbook_ids=list(catalogue))
    entries = _validate(alerts, decisions)
    carrier = _Carrier(room, catalogue)
    return [carrier.apply(*each) for each in zip(alerts, entries, decisions, strict=True)]
