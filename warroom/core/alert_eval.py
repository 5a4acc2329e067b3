"""What an alert would do under the policy's rules, and why: a pure evaluation.

``evaluate`` is given the open incidents as plain ``IncidentSummary`` values (what the
store knows of them) and answers a ``Decision``: each rule that fired, the matchers and
observed values that made it fire (``p99_latency_ms 2450 > 2000``), and the actions it
plans — declare new / attach to an incident / raise to SEV2 / page / TODO / runbook.
Applying a decision (through the one write path) is the caller's, so the dry run of
``warroom rules test`` and the real intake cannot disagree.
"""

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, Field

from warroom.core.alert_match import render_template, runbook_from_url
from warroom.core.alert_rules import (
    AlertRule,
    DeclareAction,
    RunbookAction,
    TodoAction,
    Vocabulary,
)
from warroom.core.alerts import Alert
from warroom.core.state import IncidentState


@dataclass(frozen=True)
class IncidentSummary:
    """What ``evaluate`` needs to know of an open incident."""

    id: str
    severity: str
    status: str = "investigating"
    services: tuple[str, ...] = ()
    group_keys: Collection[str] = ()
    """The alert groups on its record (looked up once per alert: a set, or a state's
    live ``keys()`` view)."""
    alerts: Mapping[str, str] = field(default_factory=dict)
    """Fingerprints of the alerts on its record and the last status of each."""


def summary_of(state: IncidentState) -> IncidentSummary:
    """What ``evaluate`` needs of an incident, read off its folded state (which keeps the
    alerts on the record), so neither intake re-reads an incident's events for it.

    The alerts and groups are read-only views of the state's maps, not copies: an
    incident of a storm holds thousands, and intake summarises every open incident for
    each batch; a summary is read before its state changes again (``evaluate_all``)."""
    return IncidentSummary(
        id=state.id,
        severity=state.severity,
        status=state.status,
        services=tuple(state.services),
        group_keys=state.alert_groups.keys(),
        alerts=MappingProxyType(state.alerts),
    )


AlertNews = Literal["new", "repeat", "resolution"]


def classify(alert: Alert, known: Mapping[str, str]) -> AlertNews:
    """What an alert means to a record holding ``known`` fingerprints → last status:
    ``repeat`` changes nothing (same fingerprint, same status); ``resolution`` ends an
    alert the record has firing; anything else is ``new`` (a first sight, or a refiring
    of a resolved alert)."""
    last = known.get(alert.fingerprint)
    if last == alert.status:
        return "repeat"
    if last == "firing" and alert.status == "resolved":
        return "resolution"
    return "new"


class PlannedAction(BaseModel):
    kind: Literal[
        "declare", "attach", "raise_severity", "page", "notify", "todo", "runbook", "resolve"
    ]
    text: str
    """What would happen, for a person."""
    incident: str = ""
    """The incident it applies to; empty for one the decision declares."""
    details: dict[str, Any] = Field(default_factory=dict)


class FiredRule(BaseModel):
    rule: str
    why: list[str]
    """The matchers that matched and each threshold as observed: ``p99_latency_ms 2450 > 2000``."""
    actions: list[PlannedAction]


class Decision(BaseModel):
    """What an alert would do, and why, in order."""

    fingerprint: str
    status: str
    summary: str
    news: AlertNews
    fired: list[FiredRule] = Field(default_factory=list)
    actions: list[PlannedAction] = Field(default_factory=list)
    """Actions outside any rule: recording a resolution, nothing for a repeat."""
    not_fired: list[str] = Field(default_factory=list)
    """For each rule tried that did not fire: ``rule: why not``."""
    incident: str = ""
    """The open incident the alert lands on; empty when new or none."""
    declares: bool = False


def _services(alert: Alert, label: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in alert.labels.get(label, "").split(",") if s.strip())


def _holder(alert: Alert, incidents: Iterable[IncidentSummary]) -> IncidentSummary | None:
    return next((i for i in incidents if alert.fingerprint in i.alerts), None)


def _test(rule: AlertRule, alert: Alert) -> tuple[bool, list[str]]:
    """Whether the rule fires on the alert, and the reasons (or the first failure)."""
    why = []
    for matcher in rule.match:
        if not matcher.matches(alert.labels):
            observed = alert.labels.get(matcher.name)
            seen = "absent" if observed is None else repr(observed)
            return False, [f"{matcher.text} does not match ({matcher.name} is {seen})"]
        why.append(f"{matcher.text} matched")
    for threshold in rule.thresholds:
        holds, reason = threshold.check(alert)
        if not holds:
            return False, [reason]
        why.append(reason)
    return True, why or ["matches every alert"]


def evaluate(
    policy: Vocabulary,
    alert: Alert,
    incidents: Sequence[IncidentSummary] = (),
    runbook_ids: Collection[str] | None = None,
) -> Decision:
    """What ``alert`` would do under ``policy``'s rules, given the open ``incidents``.

    A repeat changes nothing and a resolution is recorded where the alert is held; rules
    fire only on an alert firing anew. ``runbook_ids``, when given, resolves a runbook
    named by the alert to the library's spelling (case-insensitively).
    """
    holder = _holder(alert, incidents)
    news = classify(alert, holder.alerts if holder else {})
    decision = Decision(
        fingerprint=alert.fingerprint,
        status=alert.status,
        summary=alert.summary,
        news=news,
        incident=holder.id if holder else "",
    )
    if news == "repeat":
        return decision
    if alert.status == "resolved":
        if holder is not None:
            decision.actions.append(
                PlannedAction(
                    kind="resolve", text=f"record the resolution on {holder.id}", incident=holder.id
                )
            )
        return decision
    run = _Run(policy, alert, incidents, runbook_ids, decision, holder)
    for rule in policy.rules:
        fires, why = _test(rule, alert)
        if not fires:
            decision.not_fired.append(f"{rule.id}: {why[0]}")
            continue
        decision.fired.append(FiredRule(rule=rule.id, why=why, actions=run.actions_of(rule)))
        if not rule.continue_:
            break
    return decision


class _Run:
    """The state one evaluation carries from rule to rule: the incident it lands on."""

    def __init__(
        self,
        policy: Vocabulary,
        alert: Alert,
        incidents: Sequence[IncidentSummary],
        runbook_ids: Collection[str] | None,
        decision: Decision,
        holder: IncidentSummary | None,
    ) -> None:
        self.policy, self.alert, self.incidents = policy, alert, incidents
        self.runbook_ids, self.decision = runbook_ids, decision
        self.severity = holder.severity if holder else ""
        self.has_incident = holder is not None

    def actions_of(self, rule: AlertRule) -> list[PlannedAction]:
        planned = []
        if rule.declare is not None and not self.has_incident:
            planned.append(self._declare(rule.declare))
        if rule.raise_severity is not None:
            planned.append(self._raise(rule.raise_severity))
        if rule.page is not None:
            planned.append(self._plain("page", f"page {rule.page}", {"target": rule.page}))
        if rule.notify is not None:
            notify = {"audience": rule.notify}
            planned.append(self._plain("notify", f"notify {rule.notify}", notify))
        if rule.todo is not None:
            planned.append(self._todo(rule.todo))
        if rule.runbook is not None:
            planned.append(self._runbook(rule.runbook))
        return planned

    def _where(self) -> str:
        return self.decision.incident or "the new incident"

    def _plain(self, kind: str, text: str, details: dict[str, Any]) -> PlannedAction:
        where = f" for {self._where()}" if self.has_incident else ""
        return PlannedAction(
            kind=kind, text=text + where, incident=self.decision.incident, details=details
        )

    def _declare(self, declare: DeclareAction) -> PlannedAction:
        services = _services(self.alert, declare.services_label)
        self.has_incident = True
        if declare.attach_to_open:
            for incident in self.incidents:
                same_group = self.alert.group_key and self.alert.group_key in incident.group_keys
                shared = set(services) & set(incident.services)
                if same_group or shared:
                    why = "the same alert group" if same_group else f"service {sorted(shared)[0]}"
                    self.decision.incident, self.severity = incident.id, incident.severity
                    return PlannedAction(
                        kind="attach",
                        text=f"attach to {incident.id} (open, holds {why})",
                        incident=incident.id,
                    )
        severity = self.policy.severity(declare.severity).name
        kind = self.policy.incident_type(declare.type)
        title = render_template(declare.title, self.alert) or self.alert.summary
        self.severity, self.decision.declares = severity, True
        shown = f" (services: {', '.join(services)})" if services else ""
        return PlannedAction(
            kind="declare",
            text=f"declare a new {severity} {kind} incident {title!r}{shown}",
            details={"severity": severity, "type": kind, "title": title, "services": services},
        )

    def _raise(self, wanted: str) -> PlannedAction:
        target = self.policy.severity(wanted).name
        if not self.has_incident:
            text = f"no incident to raise to {target}"
            return PlannedAction(kind="raise_severity", text=text, details={"severity": target})
        if self.severity and self.policy.severity_rank(target) >= self.policy.severity_rank(
            self.severity
        ):
            text = f"keep {self.severity} (already at or above {target}; rules only raise)"
            return self._plain("raise_severity", text, {"severity": self.severity})
        text = f"raise {self._where()} to {target} from {self.severity}"
        self.severity = target
        return PlannedAction(
            kind="raise_severity",
            text=text,
            incident=self.decision.incident,
            details={"severity": target},
        )

    def _todo(self, todo: TodoAction) -> PlannedAction:
        text = render_template(todo.text, self.alert)
        owner = f" (owner: {todo.owner})" if todo.owner else ""
        box = f" within {todo.minutes} min" if todo.minutes else ""
        return self._plain(
            "todo",
            f"add TODO {text!r}{owner}{box}",
            {"text": text, "owner": todo.owner, "minutes": todo.minutes},
        )

    def _runbook(self, runbook: RunbookAction) -> PlannedAction:
        if runbook.id:
            wanted, origin = runbook.id, "named by the rule"
        else:
            url = self.alert.annotations.get(runbook.from_annotation, "")
            if not url:
                return self._plain(
                    "runbook", f"no runbook: the alert has no {runbook.from_annotation}", {}
                )
            wanted, origin = runbook_from_url(url), f"from {runbook.from_annotation} {url}"
        if self.runbook_ids is not None:
            found = next((r for r in self.runbook_ids if r.lower() == wanted.lower()), None)
            if found is None:
                missing = f"no runbook {wanted!r} in the library ({origin})"
                return self._plain("runbook", missing, {})
            wanted = found
        return self._plain("runbook", f"attach runbook {wanted} ({origin})", {"runbook": wanted})


def evaluate_all(
    policy: Vocabulary,
    alerts: Sequence[Alert],
    incidents: Sequence[IncidentSummary] = (),
    runbook_ids: Collection[str] | None = None,
) -> list[Decision]:
    """Decisions for a batch, in order, each seeing what the ones before it did — a
    notification of 1,000 alerts for one service declares one incident, not 1,000.
    A declared incident is stood in for by ``new-1``, ``new-2``, … until it has an id."""
    known = [replace(i, alerts=_BatchAlerts(i.alerts)) for i in incidents]
    decisions: list[Decision] = []
    for alert in alerts:
        decision = evaluate(policy, alert, known, runbook_ids)
        decisions.append(decision)
        planned = [a for r in decision.fired for a in r.actions]
        raised = [a.details["severity"] for a in planned if a.kind == "raise_severity"]
        if decision.declares:
            declared = next(a for a in planned if a.kind == "declare").details
            known.append(
                IncidentSummary(
                    id=f"new-{sum(d.declares for d in decisions)}",
                    severity=(raised or [declared["severity"]])[-1],
                    services=tuple(declared["services"]),
                    group_keys=(alert.group_key,) if alert.group_key else (),
                    alerts=_BatchAlerts({}, {alert.fingerprint: alert.status}),
                )
            )
        elif decision.incident and decision.news != "repeat":
            known = [_with(i, alert, raised) if i.id == decision.incident else i for i in known]
    return decisions


def _with(incident: IncidentSummary, alert: Alert, raised: list[str]) -> IncidentSummary:
    """The incident as it will be once the alert is on it (and any raise applied)."""
    incident.alerts.added[alert.fingerprint] = alert.status  # type: ignore[attr-defined]
    return replace(incident, severity=(raised or [incident.severity])[-1]) if raised else incident


class _BatchAlerts(Mapping[str, str]):
    """An incident's alerts as ``evaluate_all`` sees them: those on its record and those
    the batch added so far. Adding one is O(1); a copy of the map per alert (as a fresh
    summary each would take) made a storm's batch quadratic in the incident's alerts."""

    def __init__(self, recorded: Mapping[str, str], added: dict[str, str] | None = None) -> None:
        self.recorded, self.added = recorded, added if added is not None else {}

    def __getitem__(self, fingerprint: str) -> str:
        if fingerprint in self.added:
            return self.added[fingerprint]
        return self.recorded[fingerprint]

    def __contains__(self, fingerprint: object) -> bool:
        return fingerprint in self.added or fingerprint in self.recorded

    def __iter__(self) -> Iterator[str]:
        yield from self.added
        yield from (f for f in self.recorded if f not in self.added)

    def __len__(self) -> int:
        return len(self.recorded) + sum(f not in self.recorded for f in self.added)
