"""The single write path: every change a user makes goes through here.

Each method checks the intent against the policy and the incident's current state,
turns it into one event, appends it to the local store, and returns it. The CLI and
the TUI call these methods and nothing else to change state, so both enforce the same
rules and produce the same records.
"""

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ValidationError

from warroom.core import events as ev
from warroom.core.access import check_append
from warroom.core.errors import BackdateNeedsConfirmation, InvalidInput
from warroom.core.ids import new_event_id, new_incident_id
from warroom.core.policy import Policy
from warroom.core.state import IncidentState
from warroom.core.timeparse import utcnow
from warroom.core.validity import backdate_problem
from warroom.core.wording import entry_message
from warroom.followup_actions import FollowUpActions
from warroom.notice_actions import NoticeActions
from warroom.role_actions import RoleActions
from warroom.runbook_actions import RunbookActions
from warroom.status_actions import StatusActions
from warroom.store.local import LocalStore


class WarRoom(FollowUpActions, RunbookActions, NoticeActions, StatusActions, RoleActions):
    """One actor working against one local store under one policy.

    Every change takes ``at``, when it happened, for a scribe recording after the fact
    (``-5m``); the default is now. Every change is checked by the same access rules a
    server applies (``check_append``, with the local actor as the author), so a room
    without a server obeys the policy exactly as a shared one does.

    A time more than the policy allows before the declaration raises
    ``BackdateNeedsConfirmation`` unless the room was made with ``confirm_backdate``
    (``confirming_backdate()``: the CLI's ``--yes``, the screen's prompt).

    ``automation`` is for the ladder and intake only (never a person's room): their
    severity raises are judged by the policy rule they name (``warroom.core.automatic``).
    """

    def __init__(
        self,
        store: LocalStore,
        policy: Policy,
        actor: str,
        *,
        confirm_backdate: bool = False,
        automation: bool = False,
    ) -> None:
        self.store = store
        self.policy = policy
        self.actor = actor
        self.confirm_backdate = confirm_backdate
        self.automation = automation

    def confirming_backdate(self) -> "WarRoom":
        """The same room, recording far-backdated times without asking again."""
        return WarRoom(
            self.store, self.policy, self.actor, confirm_backdate=True, automation=self.automation
        )

    # -- incidents -----------------------------------------------------------------------

    def declare(
        self,
        title: str,
        *,
        severity: str,
        incident_type: str,
        services: Sequence[str] = (),
        drill: bool = False,
        impact_started_at: datetime | None = None,
        detected_at: datetime | None = None,
        at: datetime | None = None,
        take_command: bool | None = None,
    ) -> ev.Event:
        """Declare an incident; the declarer takes command as the policy says, unless
        ``take_command`` says otherwise (intake declares with command left vacant)."""
        if take_command is None:
            take_command = self.policy.access.declarer_takes_command
        incident_id = new_incident_id()
        while self.store.has_incident(incident_id):
            incident_id = new_incident_id()
        payload = self._payload(
            ev.Declaration,
            title=title,
            severity=self.policy.severity(severity).name,
            incident_type=self.policy.incident_type(incident_type),
            services=tuple(services),
            drill=drill,
            impact_started_at=impact_started_at,
            detected_at=detected_at,
            declarer_commands=take_command,
        )
        return self._append(None, payload, at, incident_id=incident_id)

    def state(self, incident_ref: str) -> IncidentState:
        return self.store.state(self.store.resolve_incident(incident_ref))

    def _current(self, incident_ref: str) -> IncidentState:
        """The incident as the rules of the next change read it: the store's working
        fold, folded forward (not copied) — for checks here only, never handed out."""
        return self.store.working_state(self.store.resolve_incident(incident_ref))

    def _known_log(self, incident_id: str) -> IncidentState | None:
        """Another log's state for the rules of an entry that names it (a risk's link),
        or ``None`` when this home does not hold it — as the server answers for its own."""
        if not self.store.has_incident(incident_id):
            return None
        return self.store.working_state(incident_id)

    # -- the timeline --------------------------------------------------------------------

    def log(
        self,
        incident_ref: str,
        text: str,
        *,
        kind: str = "note",
        at: datetime | None = None,
        audience: str | None = None,
        owner: str | None = None,
        stage: str | None = None,
        due: datetime | None = None,
    ) -> ev.Event:
        """Record a typed entry (note, observation, action, decision, hypothesis, ...);
        a TODO may have an ``owner`` and be ``due`` by a time (its time box)."""
        if kind not in ev.TEXT_KINDS:
            raise InvalidInput(
                f"unknown entry kind {kind!r}; choose one of {', '.join(ev.TEXT_KINDS)}"
            )
        fields: dict = {"text": text}
        if kind == "status_update":
            fields["audience"] = self.policy.audience(audience or "internal")
        elif audience:
            raise InvalidInput("--audience applies only to status updates")
        if owner:
            if kind != "todo":
                raise InvalidInput("--owner applies only to TODO entries")
            fields["owner"] = owner
        if due is not None:
            if kind != "todo":
                raise InvalidInput("a due time applies only to TODO entries")
            fields["due"] = due
        if stage:
            if kind != "action":
                raise InvalidInput("--stage applies only to actions")
            fields["stage"] = stage
        state = self._current(incident_ref)
        return self._append(state, self._payload(ev.KINDS[kind], **fields), at)

    def correct(
        self,
        incident_ref: str,
        target: str,
        text: str,
        *,
        retract: bool = False,
        at: datetime | None = None,
    ) -> ev.Event:
        """Point a correction or retraction at an earlier entry; nothing is edited in place."""
        state = self._current(incident_ref)
        target_id = self._find_event(state.id, target)
        if retract:
            payload = self._payload(ev.Retraction, target_id=target_id, reason=text)
        else:
            payload = self._payload(ev.Correction, target_id=target_id, text=text)
        return self._append(state, payload, at)

    def escalate(
        self,
        incident_ref: str,
        target: str,
        reason: str = "",
        *,
        at: datetime | None = None,
        action: str = "page",
        rule: str = "",
        step: str = "",
        event_id: str | None = None,
    ) -> ev.Event:
        """Record a page (or, ``action="notify"``, a notice) that must go out to ``target``;
        ``rule`` and ``step`` name the policy rule and ladder step that fired it, and
        ``event_id`` (the ladder's, derived from the step) makes a second firing a
        duplicate the store drops. A page on a drill incident is marked a drill."""
        state = self._current(incident_ref)
        payload = self._payload(
            ev.Escalation,
            target=target,
            reason=reason,
            action=action,
            rule=rule,
            step=step,
            drill=state.drill,
        )
        return self._append(state, payload, at, event_id=event_id)

    def threshold_crossed(
        self,
        incident_ref: str,
        metric: str,
        value: float,
        threshold: float,
        text: str = "",
        *,
        at: datetime | None = None,
    ) -> ev.Event:
        """Record that a signal crossed a threshold: the observed value, the limit, why."""
        state = self._current(incident_ref)
        payload = self._payload(
            ev.ThresholdCrossed, metric=metric, value=value, threshold=threshold, text=text
        )
        return self._append(state, payload, at)

    def acknowledge(self, incident_ref: str, *, at: datetime | None = None) -> ev.Event:
        """Record the acknowledged milestone: someone has the incident in hand, so the
        ladder's unacknowledged steps stop."""
        state = self._current(incident_ref)
        acknowledged = state.milestones.get("acknowledged")
        if acknowledged is not None:
            raise InvalidInput(f"{state.id} was already acknowledged at {acknowledged:%H:%M:%S}")
        payload = self._payload(ev.MilestoneSet, milestone="acknowledged", at=at or utcnow())
        return self._append(state, payload, None)

    def publish_postmortem(
        self, incident_ref: str, *, url: str | None = None, at: datetime | None = None
    ) -> ev.Event:
        """Record that the postmortem went out (``--publish``): review timeliness in
        ``warroom report`` counts from resolution to the first publication."""
        state = self._current(incident_ref)
        payload = self._payload(ev.PostmortemPublished, url=url or None)
        return self._append(state, payload, at)

    def alert(
        self,
        incident_ref: str,
        source: str,
        summary: str,
        labels: dict[str, str],
        *,
        at: datetime | None = None,
        **details: object,
    ) -> ev.Event:
        """Record an alert; ``details`` are the other ``AlertReceived`` fields
        (annotations, values, links, fingerprint, group_key, status)."""
        state = self._current(incident_ref)
        payload = self._payload(
            ev.AlertReceived, source=source, summary=summary, labels=labels, **details
        )
        return self._append(state, payload, at)

    def record_alert(self, incident_ref: str, payload: ev.AlertReceived) -> ev.Event:
        """Record an alert validated already: intake checks every alert of a payload
        before its first write, and validating each again cost a storm as much again."""
        return self._append(self._current(incident_ref), payload, None)

    # -- plumbing ------------------------------------------------------------------------

    def _find_event(self, incident_id: str, ref: str) -> str:
        matches = self.store.event_ids_starting(incident_id, ref.strip())
        if len(matches) != 1:
            problem = "no entry" if not matches else "several entries"
            raise InvalidInput(f"{problem} in {incident_id} with id starting {ref!r}")
        return matches[0]

    def _payload(self, model: type[BaseModel], **fields) -> BaseModel:
        try:
            return model(**fields)
        except ValidationError as exc:
            raise InvalidInput(entry_message(exc)) from None

    def _append(
        self,
        state: IncidentState | None,
        payload: BaseModel,
        at: datetime | None,
        *,
        incident_id: str = "",
        event_id: str | None = None,
    ) -> ev.Event:
        """Check ``payload`` as the server would, then append it: nothing refused is kept.

        ``state`` is the incident so far (``None`` for a declaration, with its new id).
        A person's entry in a home logged in with a token that may not write is refused
        here, as the server would refuse it at the next sync.
        """
        if not self.automation:
            self.store.require_writing_login()
        event_id, occurred_at = event_id or new_event_id(), at or utcnow()
        incident_id = state.id if state else incident_id
        try:
            proposed = ev.Event(
                id=event_id,
                incident_id=incident_id,
                actor=self.actor,
                occurred_at=occurred_at,
                recorded_at=utcnow(),
                device_id=self.store.device_id,
                device_seq=1,  # the store stamps the real counter when it writes
                payload=payload,
            )
        except ValidationError as exc:
            raise InvalidInput(entry_message(exc)) from None
        refusal = check_append(
            self.policy,
            state,
            proposed,
            author=self.actor,
            admin=False,
            automation=self.automation,
            log_of=self._known_log,
        )
        if refusal:
            raise InvalidInput(refusal)
        problem = None if self.confirm_backdate else backdate_problem(self.policy, state, proposed)
        if problem:
            raise BackdateNeedsConfirmation(problem)
        keep_checked = getattr(self.store, "append_checked", None)
        if keep_checked is not None:  # a store that keeps this very event (server batches)
            return keep_checked(proposed)
        return self.store.append_new(
            event_id=event_id,
            incident_id=incident_id,
            actor=self.actor,
            occurred_at=occurred_at,
            payload=payload,
        )
