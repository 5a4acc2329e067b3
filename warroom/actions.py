"""The single write path: every change a user makes goes through here.

Each method checks the intent against the policy and the incident's current state,
turns it into one event, appends it to the local store, and returns it. The CLI and
the TUI call these methods and nothing else to change state, so both enforce the same
rules and produce the same records.
"""

from collections.abc import Callable, Sequence
from datetime import datetime

from pydantic import BaseModel, ValidationError

from warroom.core import events as ev
from warroom.core.access import check_append
from warroom.core.errors import BackdateNeedsConfirmation, InvalidInput, NotFound
from warroom.core.ids import new_draft_id, new_event_id, new_incident_id
from warroom.core.notices import no_such_notice
from warroom.core.policy import Policy
from warroom.core.repin import pin_changes
from warroom.core.runbook import CodeBlock, Runbook, RunbookStep
from warroom.core.state import AttachedRunbook, IncidentState
from warroom.core.timeparse import utcnow
from warroom.core.validity import backdate_problem
from warroom.core.wording import entry_message
from warroom.followup_actions import FollowUpActions
from warroom.runbooks.runner import CommandOutcome
from warroom.store.local import LocalStore


class WarRoom(FollowUpActions):
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

    # -- single-valued fields ------------------------------------------------------------

    def set_severity(
        self,
        incident_ref: str,
        severity: str,
        reason: str = "",
        *,
        at: datetime | None = None,
        rule: str = "",
        event_id: str | None = None,
    ) -> ev.Event:
        """Change the severity; ``rule`` names the policy rule of an automatic raise."""
        state = self._current(incident_ref)
        name = self.policy.severity(severity).name
        if name == state.severity:
            raise InvalidInput(f"{state.id} is already {name}")
        payload = self._payload(ev.SeverityChanged, severity=name, reason=reason, rule=rule)
        return self._append(state, payload, at, event_id=event_id)

    def set_status(
        self, incident_ref: str, status: str, reason: str = "", *, at: datetime | None = None
    ) -> ev.Event:
        state = self._current(incident_ref)
        name = self.policy.status(status)
        if name == state.status:
            raise InvalidInput(f"{state.id} is already {name}")
        return self._append(state, self._payload(ev.StatusChanged, status=name, reason=reason), at)

    def reopen(
        self,
        incident_ref: str,
        reason: str,
        *,
        status: str = "investigating",
        at: datetime | None = None,
    ) -> ev.Event:
        """Open a closed incident again, saying why; a closed one takes nothing else."""
        state = self._current(incident_ref)
        payload = self._payload(ev.Reopened, status=self.policy.status(status), reason=reason)
        return self._append(state, payload, at)

    def set_phase(self, incident_ref: str, phase: str, *, at: datetime | None = None) -> ev.Event:
        state = self._current(incident_ref)
        name = self.policy.phase(phase).id
        if name == state.phase:
            raise InvalidInput(f"{state.id} is already in {name}")
        return self._append(state, self._payload(ev.PhaseChanged, phase=name), at)

    def set_services(
        self, incident_ref: str, services: Sequence[str], *, at: datetime | None = None
    ) -> ev.Event:
        state = self._current(incident_ref)
        return self._append(state, self._payload(ev.ServicesChanged, services=tuple(services)), at)

    def set_milestone(self, incident_ref: str, milestone: str, at: datetime) -> ev.Event:
        if milestone not in ev.MILESTONES:
            raise InvalidInput(
                f"unknown milestone {milestone!r}; choose one of {', '.join(ev.MILESTONES)}"
            )
        state = self._current(incident_ref)
        return self._append(state, self._payload(ev.MilestoneSet, milestone=milestone, at=at), None)

    # -- roles ---------------------------------------------------------------------------

    def assign(
        self,
        incident_ref: str,
        role: str,
        person: str,
        *,
        shadow: bool = False,
        at: datetime | None = None,
    ) -> ev.Event:
        state = self._current(incident_ref)
        spec = self.policy.role(role)
        holders = state.holders(spec.id)
        if any(t.person == person.strip() for t in holders):
            raise InvalidInput(f"{person} already holds {spec.id} on {state.id}")
        primaries = [t for t in holders if not t.shadow]
        if primaries and not spec.multiple and not shadow:
            raise InvalidInput(
                f"{spec.id} is held by {primaries[0].person}; use `warroom handoff` to pass it on"
            )
        payload = self._payload(ev.RoleAssigned, role=spec.id, person=person, shadow=shadow)
        return self._append(state, payload, at)

    def release(
        self, incident_ref: str, role: str, person: str, *, at: datetime | None = None
    ) -> ev.Event:
        state = self._current(incident_ref)
        spec = self.policy.role(role)
        if not any(t.person == person.strip() for t in state.holders(spec.id)):
            raise InvalidInput(f"{person} does not hold {spec.id} on {state.id}")
        return self._append(state, self._payload(ev.RoleReleased, role=spec.id, person=person), at)

    def handoff(
        self, incident_ref: str, role: str, to_person: str, *, at: datetime | None = None
    ) -> ev.Event:
        """Offer a role to someone; it passes to them only when they accept it."""
        state = self._current(incident_ref)
        spec = self.policy.role(role)
        primaries = [t.person for t in state.holders(spec.id) if not t.shadow]
        if to_person.strip() in primaries:
            raise InvalidInput(f"{to_person} already holds {spec.id} on {state.id}")
        offered = state.pending_handoff(spec.id)
        if offered is not None and offered.to_person == to_person.strip():
            raise InvalidInput(
                f"{spec.id} of {state.id} is already offered to {offered.to_person},"
                " awaiting their acceptance"
            )
        payload = self._payload(
            ev.Handoff,
            role=spec.id,
            to_person=to_person,
            from_person=primaries[0] if primaries else None,
        )
        return self._append(state, payload, at)

    def accept_handoff(
        self, incident_ref: str, role: str = "commander", *, at: datetime | None = None
    ) -> ev.Event:
        state = self._current(incident_ref)
        spec = self.policy.role(role)
        offered = state.pending_handoff(spec.id)
        if offered is None or offered.to_person != self.actor:
            raise InvalidInput(f"no handoff of {spec.id} to {self.actor} is waiting on {state.id}")
        payload = self._payload(ev.HandoffAccepted, role=spec.id, person=self.actor)
        return self._append(state, payload, at)

    # -- checklist -----------------------------------------------------------------------

    def check(
        self,
        incident_ref: str,
        item: str,
        *,
        checked: bool = True,
        note: str = "",
        at: datetime | None = None,
    ) -> ev.Event:
        state = self._current(incident_ref)
        phase, spec = self.policy.checklist_item(item, state.phase)
        if state.is_checked(phase.id, spec.id) == checked:
            word = "already checked" if checked else "not checked"
            raise InvalidInput(f"{phase.id}/{spec.id} is {word}")
        payload = self._payload(
            ev.ChecklistMarked, phase=phase.id, item=spec.id, checked=checked, note=note
        )
        return self._append(state, payload, at)

    # -- runbooks ------------------------------------------------------------------------

    def attach_runbook(
        self, incident_ref: str, runbook: Runbook, *, at: datetime | None = None
    ) -> ev.Event:
        """Pin a runbook version (hash and parsed steps); a newer version re-pins it, and
        the re-pin lists what it changes in the steps' types and commands."""
        state = self._current(incident_ref)
        pinned = state.runbooks.get(runbook.id)
        if pinned is not None and pinned.content_hash == runbook.content_hash:
            raise InvalidInput(
                f"{runbook.id} is already attached to {state.id} at this version"
                f" ({runbook.content_hash[:8]})"
            )
        payload = self._payload(
            ev.RunbookAttached,
            runbook_id=runbook.id,
            title=runbook.title,
            content_hash=runbook.content_hash,
            source_path=runbook.path,
            steps=runbook.steps,
            replaces=pinned.content_hash if pinned else None,
            changes=pin_changes(pinned.steps, runbook.steps, pinned.approval_ids) if pinned else (),
        )
        return self._append(state, payload, at)

    def mark_step(
        self,
        incident_ref: str,
        step_ref: str,
        action: str,
        *,
        note: str = "",
        at: datetime | None = None,
    ) -> ev.Event:
        """Claim, start, finish, fail or skip a step of an attached runbook."""
        state = self._current(incident_ref)
        pinned, step = _find_step(state, step_ref)
        if action in ("fail", "skip") and not note.strip():
            why = "what went wrong" if action == "fail" else "why"
            raise InvalidInput(f"to {action} a step, add a note saying {why} (--note)")
        progress = pinned.progress_of(step.id)
        name = f"{pinned.runbook_id}/{step.id}"
        if action in ("claim", "start") and progress.status in ("done", "skipped"):
            raise InvalidInput(f"{name} is already {progress.status}")
        if action == "claim" and progress.owner == self.actor:
            raise InvalidInput(f"{name} is already claimed by you")
        if action != "claim" and ev.STEP_STATUS.get(action) == progress.status:
            raise InvalidInput(f"{name} is already {progress.status}")
        payload = self._payload(
            ev.RunbookStepMarked,
            runbook_id=pinned.runbook_id,
            step_id=step.id,
            action=action,
            note=note,
        )
        return self._append(state, payload, at)

    def run_step_command(
        self,
        incident_ref: str,
        step_ref: str,
        *,
        confirm: Callable[[CodeBlock], bool],
        execute: Callable[[CodeBlock, float], CommandOutcome],
        block: int = 1,
    ) -> ev.Event:
        """Run a step's pinned command if the policy allows it and ``confirm`` agrees.

        The command comes from the runbook version pinned on the incident, never from
        the file on disk or from what someone typed, and ``execute`` is given the
        policy's timeout. The outcome is recorded whether the command succeeded or not.
        """
        state = self._current(incident_ref)
        pinned, step, command = step_command(self.policy, state, step_ref, block)
        if not confirm(command):
            raise InvalidInput("not confirmed; nothing was run")
        try:
            outcome = execute(command, self.policy.runbooks.command_timeout_seconds)
        except OSError as exc:  # the shell itself could not be started: nothing ran
            raise InvalidInput(
                f"could not start the command of {step.id}: {exc.strerror or exc}"
            ) from None
        return self.record_command_run(state.id, pinned.runbook_id, step.id, command, outcome)

    def record_command_run(
        self,
        incident_ref: str,
        runbook_id: str,
        step_id: str,
        command: CodeBlock,
        outcome: CommandOutcome,
    ) -> ev.Event:
        """Record how a step's command ran, at the time it started.

        ``run_step_command`` calls this once the command has finished; the screen, which
        runs the command on a thread of its own (so entries are not held up behind it),
        calls it with the command ``step_command`` gave it and the outcome.
        """
        _require_commands(self.policy)
        payload = self._payload(
            ev.CommandRun,
            runbook_id=runbook_id,
            step_id=step_id,
            command=command.code,
            exit_code=outcome.exit_code,
            duration_s=outcome.duration_s,
            output=outcome.output,
        )
        return self._append(self._current(incident_ref), payload, outcome.started_at)

    # -- deliveries ----------------------------------------------------------------------

    def record_delivery(
        self,
        incident_ref: str,
        receipt: ev.NoticeDelivered | ev.NoticeFailed,
        *,
        event_id: str,
        at: datetime,
    ) -> ev.Event:
        """Record what one delivery attempt came to (``warroom.notify`` calls this), under
        the id the dispatcher derives from the delivery, so it is written once."""
        state = self._current(incident_ref)
        return self._append(state, receipt, at, event_id=event_id)

    def retry_delivery(self, incident_ref: str, delivery_ref: str) -> ev.Event:
        """Ask for an undelivered notice or page to be sent again now."""
        state = self._current(incident_ref)
        wanted = delivery_ref.strip().lower()
        found = [r for r in state.deliveries.values() if r.delivery_id.startswith(wanted)]
        if len(found) != 1:
            problem = "no delivery" if not found else "several deliveries"
            raise InvalidInput(
                f"{problem} in {state.id} with id starting {delivery_ref!r};"
                f" `warroom deliveries {state.id}` lists them"
            )
        record = found[0]
        if record.delivered:
            raise InvalidInput(f"delivery {record.delivery_id[:12]} already went out")
        payload = self._payload(ev.DeliveryRetry, delivery_id=record.delivery_id)
        return self._append(state, payload, None)

    # -- notices -------------------------------------------------------------------------

    def draft_notice(
        self,
        incident_ref: str,
        audience: str,
        text: str,
        *,
        draft_id: str | None = None,
        template: str = "",
        at: datetime | None = None,
    ) -> ev.Event:
        """Record a notice for ``audience`` exactly as written; ``draft_id`` revises one."""
        state = self._current(incident_ref)
        if draft_id is None:
            draft_id = new_draft_id()
            while draft_id in state.notices:
                draft_id = new_draft_id()
        elif draft_id not in state.notices:
            raise NotFound(no_such_notice(state, draft_id))
        payload = self._payload(
            ev.NoticeDrafted,
            draft_id=draft_id,
            audience=self.policy.audience(audience),
            text=text,
            template=template,
        )
        return self._append(state, payload, at)

    def approve_notice(
        self, incident_ref: str, draft_id: str, *, digest: str | None = None
    ) -> ev.Event:
        """Approve the notice's text as it is now; ``digest`` (or a prefix of it, as shown
        to the approver) pins the text they read, so a revision in between is refused."""
        state = self._current(incident_ref)
        notice = state.notices.get(draft_id)
        if notice is None:
            raise NotFound(no_such_notice(state, draft_id))
        wanted = notice.digest if digest is None else digest.strip().lower()
        if len(wanted) < 8:
            raise InvalidInput("a digest needs at least the 8 characters `update show` prints")
        if not notice.digest.startswith(wanted):
            raise InvalidInput(
                f"notice {draft_id} has changed since you read it (its text is now"
                f" {notice.digest[:8]}); read it again before approving"
            )
        payload = self._payload(ev.NoticeApproved, draft_id=draft_id, digest=notice.digest)
        return self._append(state, payload, None)

    def return_notice(self, incident_ref: str, draft_id: str, reason: str) -> ev.Event:
        """Send a notice back to its writer with the reason it cannot go out as it is."""
        state = self._current(incident_ref)
        if not reason.strip():
            raise InvalidInput("sending a notice back needs a reason the writer can act on")
        payload = self._payload(ev.NoticeReturned, draft_id=draft_id, reason=reason)
        return self._append(state, payload, None)

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
        """
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
            self.policy, state, proposed, author=self.actor, admin=False, automation=self.automation
        )
        if refusal:
            raise InvalidInput(refusal)
        problem = None if self.confirm_backdate else backdate_problem(self.policy, state, proposed)
        if problem:
            raise BackdateNeedsConfirmation(problem)
        return self.store.append_new(
            event_id=event_id,
            incident_id=incident_id,
            actor=self.actor,
            occurred_at=occurred_at,
            payload=payload,
        )


def step_command(
    policy: Policy, state: IncidentState, step_ref: str, block: int = 1
) -> tuple[AttachedRunbook, RunbookStep, CodeBlock]:
    """The ``block``-th shell command of a step as pinned on the incident — never the file
    on disk — if the policy lets warroom run commands; ``InvalidInput`` says why not."""
    _require_commands(policy)
    pinned, step = _find_step(state, step_ref)
    commands = [c for c in step.commands if c.is_shell]
    name = f"{pinned.runbook_id}/{step.id}"
    if not commands:
        raise InvalidInput(f"{name} has no shell command to run")
    if not 1 <= block <= len(commands):
        raise InvalidInput(f"{name} has {len(commands)} shell command(s), not {block}")
    command = commands[block - 1]
    if len(command.code) > ev.MAX_TEXT:
        raise InvalidInput(f"the command of {name} is too long to record; run it by hand")
    return pinned, step, command


def _require_commands(policy: Policy) -> None:
    if not policy.runbooks.allow_commands:
        raise InvalidInput(
            "running runbook commands is turned off; the policy must set"
            " [runbooks] allow_commands = true"
        )


def _find_step(state: IncidentState, ref: str) -> tuple[AttachedRunbook, RunbookStep]:
    """Resolve ``step`` (unique among the attached runbooks) or ``runbook/step``."""
    if not state.runbooks:
        raise NotFound(
            f"no runbook is attached to {state.id}; attach one with"
            f" `warroom attach {state.id} RUNBOOK`"
        )
    runbook_id, _, step_id = ref.strip().rpartition("/")
    if runbook_id and runbook_id not in state.runbooks:
        attached = ", ".join(state.runbooks)
        raise NotFound(
            f"runbook {runbook_id!r} is not attached to {state.id} (attached: {attached})"
        )
    candidates = [state.runbooks[runbook_id]] if runbook_id else list(state.runbooks.values())
    found = [(p, s) for p in candidates if (s := p.step(step_id.lower())) is not None]
    if not found:
        raise NotFound(
            f"no step {ref.strip()!r} in the runbooks attached to {state.id};"
            f" `warroom runbooks show RUNBOOK --incident {state.id}` lists their steps"
        )
    if len(found) > 1:
        names = ", ".join(f"{p.runbook_id}/{s.id}" for p, s in found)
        raise InvalidInput(f"step {step_id!r} is in several attached runbooks: name one of {names}")
    return found[0]
