"""What is owed to the outside world, and what the record says went out.

Pure. A notice ready to go (``core.notices.ready_notices``: approved where the policy
asks, byte for byte) or a page (an ``escalation`` on the record) is a ``Subject``; each
subject goes to each of its channels once, under a delivery id derived from the two
(``delivery_id``; a notice's digest is part of it, so a revised and re-approved text is
a new delivery), so every
process that works out the queue from the same record names the same deliveries — the
claim (in the server's storage) and the receiver's dedupe both key on it. The receipts
(``notice_delivered`` / ``notice_failed`` / ``delivery_retry``) fold into
``IncidentState.deliveries``; a delivered notice resets its audience's cadence clock
(delivered, not drafted).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from warroom.core import events as ev
from warroom.core.delivery_state import MAX_ATTEMPTS, DeliveryRecord
from warroom.core.notices import ready_notices
from warroom.core.state import IncidentState, StatusUpdateMark

if TYPE_CHECKING:  # the fold imports this module; the policy's ~20 models are not needed to fold
    from warroom.core.policy import Policy

SubjectKind = Literal["notice", "page"]


@dataclass(frozen=True)
class Subject:
    """Something to send: a notice to an audience, or a page to a ladder target."""

    incident_id: str
    subject_id: str
    kind: SubjectKind
    text: str
    audience: str | None = None
    target: str | None = None
    version: str = ""
    """A notice's text digest: part of its delivery ids."""
    action: str = "page"
    """A page's ``escalation.action`` (``page`` or ``notify``)."""


@dataclass(frozen=True)
class Target:
    """One place a subject goes: ``key`` names it stably (a channel's name, or a hash of
    a subscriber's URL), ``label`` is what the record shows (the URL redacted)."""

    key: str
    label: str


@dataclass(frozen=True)
class Owed:
    """One delivery due now: its id, what goes, where, and the attempt's number."""

    delivery_id: str
    subject: Subject
    target: Target
    attempt: int


RECEIPT_KINDS = frozenset({"notice_delivered", "notice_failed"})
"""Proof that something went out, or did not: only a dispatcher writes these."""
SUBJECT_KINDS = frozenset({"escalation", "notice_drafted", "notice_approved"})
"""Kinds after which an incident may owe a delivery: a record need only watch those."""


def page_of(event: ev.Event) -> Subject | None:
    """The page an ``escalation`` asks to send to its target, if the event is one."""
    payload = event.payload
    if not isinstance(payload, ev.Escalation):
        return None
    text = f"{payload.action.capitalize()} {payload.target}"
    text += f": {payload.reason}" if payload.reason else ""
    return Subject(
        event.incident_id, event.id, "page", text, target=payload.target, action=payload.action
    )


def subjects(state: IncidentState, policy: Policy, pages: Iterable[Subject]) -> list[Subject]:
    """Everything ``state`` has to send: its ready notices, then its pages."""
    notices = [
        Subject(state.id, n.draft_id, "notice", n.text, audience=n.audience, version=n.digest)
        for n in ready_notices(state, policy)
    ]
    return [*notices, *pages]


def delivery_id(subject: Subject, target_key: str) -> str:
    """The one id of sending ``subject`` to ``target_key``, the same in every process."""
    name = f"{subject.subject_id}\n{subject.version}\n{target_key}"
    return hashlib.sha256(name.encode()).hexdigest()[:32]


def retry_delay(failures: int, base_s: float) -> timedelta:
    """Exponential backoff after the ``failures``-th failure, capped at ten minutes."""
    return timedelta(seconds=min(base_s * 2 ** max(failures - 1, 0), 600.0))


def owed(
    state: IncidentState,
    subjects: Iterable[Subject],
    targets: Callable[[Subject], list[Target]],
    now: datetime,
) -> list[Owed]:
    """The deliveries of ``state``'s subjects due at ``now``: not delivered, not given up,
    not waiting out a backoff, and not about a retracted entry. A closed incident owes
    nothing: its record takes no receipt (reopen it to send what is left)."""
    if state.closed:
        return []
    due = []
    for subject in subjects:
        fix = state.fixes.get(subject.subject_id)
        if fix is not None and fix.retracted:
            continue
        for target in targets(subject):
            the_id = delivery_id(subject, target.key)
            record = state.deliveries.get(the_id)
            if record is not None and (
                record.delivered or record.gave_up or (record.retry_at and record.retry_at > now)
            ):
                continue
            attempt = (record.failures if record else 0) + 1
            due.append(Owed(the_id, subject, target, attempt))
    return due


def gives_up(state: IncidentState, delivery: Owed) -> bool:
    """Whether a failure of this attempt uses up the delivery's attempts."""
    record = state.deliveries.get(delivery.delivery_id)
    budget_from = record.budget_from if record else 0
    return delivery.attempt - budget_from >= MAX_ATTEMPTS


def undelivered(state: IncidentState) -> list[DeliveryRecord]:
    """Deliveries that failed and have no receipt yet, the most recent failure first."""
    waiting = [record for record in state.deliveries.values() if record.undelivered]
    return sorted(waiting, key=lambda record: -record.failures)


def _record(state: IncidentState, receipt: ev.NoticeDelivered | ev.NoticeFailed) -> DeliveryRecord:
    record = state.deliveries.get(receipt.delivery_id)
    if record is None:
        record = state.deliveries[receipt.delivery_id] = DeliveryRecord(
            delivery_id=receipt.delivery_id,
            subject_id=receipt.subject_id,
            channel=receipt.channel,
            audience=receipt.audience,
        )
    return record


def fold_delivered(state: IncidentState, event: ev.Event) -> None:
    """The first receipt stands; a delivered notice resets its audience's cadence."""
    p: ev.NoticeDelivered = event.payload
    record = _record(state, p)
    if record.delivered:
        return
    record.delivered_at, record.answer, record.late_s = event.occurred_at, p.answer, p.late_s
    record.retry_at, record.gave_up = None, False
    if p.audience is None:
        return
    state.status_updates[event.id] = StatusUpdateMark(audience=p.audience, at=event.occurred_at)
    previous = state.last_update.get(p.audience)
    if previous is None or event.occurred_at > previous:
        state.last_update[p.audience] = event.occurred_at


def fold_failed(state: IncidentState, event: ev.Event) -> None:
    p: ev.NoticeFailed = event.payload
    record = _record(state, p)
    if record.delivered:
        return
    record.failures += 1
    record.last_error, record.retry_at, record.gave_up = p.error, p.retry_at, p.retry_at is None


def fold_retry(state: IncidentState, event: ev.Event) -> None:
    """A retry by hand: due now, with a fresh allowance of attempts."""
    record = state.deliveries.get(event.payload.delivery_id)
    if record is None or record.delivered:
        return
    record.budget_from, record.gave_up, record.retry_at = record.failures, False, event.occurred_at
