"""The delivery queue: what the record owes the outside world, each sent once.

There is no queue table. Each ``tick`` works the queue out of the record — ready
notices and pages (``core.delivery.subjects``) without a receipt, their backoff
served — so every process holding the same record names the same deliveries under the
same ids. For each one it then

1. claims the delivery (``Claims``: a row with a lease in the server's storage), so one
   process sends it even when several share a database;
2. checks the record again (another process may have recorded it meanwhile);
3. sends it with its delivery id (the receiver dedupes on it);
4. records the receipt — ``notice_delivered`` with the channel's answer, or
   ``notice_failed`` with the error and the next try — under an event id derived from
   the delivery, so a receipt recorded twice is one receipt on the record.

A process killed between 3 and 4 leaves no receipt: once its lease runs out the
delivery is owed again and is sent again under the same id, and the receiver drops the
repeat. After a success the lease is kept until it runs out, so a process whose view of
the record lags cannot send it again.

``tick(now)`` is the whole job, so whoever runs it — ``warroom serve`` (under a leader
lease with several replicas), a solo session, ``warroom deliver`` — decides how often.
"""

import hashlib
import secrets
import socket
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from warroom.core import events as ev
from warroom.core.clocks import update_clocks
from warroom.core.delivery import (
    Owed,
    Subject,
    Target,
    gives_up,
    owed,
    retry_delay,
    subjects,
)
from warroom.core.policy import Policy
from warroom.core.state import IncidentState
from warroom.core.timeparse import utcnow
from warroom.notify.channels import ChannelBook, DeliveryError, Message, send, target_of
from warroom.notify.subscriptions import Subscription

LEASE_S = 60.0
"""How long a claim holds: longer than any send (``SEND_TIMEOUT_S``) takes."""
BACKOFF_S = 2.0
"""The wait after a first failure; it doubles after each further one."""
DISPATCHER_ACTOR = "warroom"


class Record(Protocol):
    """The record as the dispatcher reads and writes it."""

    def refresh(self) -> None:
        """Catch up with what has been written since the last call."""

    def pending(self) -> Iterable[tuple[IncidentState, list[Subject]]]:
        """Each incident that may owe a delivery, folded up to date, with its pages."""

    def state(self, incident_id: str) -> IncidentState: ...

    def write(self, incident_id: str, receipts: list["Receipt"]) -> None:
        """Append an incident's receipts, each under its ``event_id`` (a repeated id
        changes nothing)."""


class Claims(Protocol):
    """``EventStorage.claim_deliveries`` / ``release_deliveries``, or the solo file's."""

    def claim_deliveries(
        self, delivery_ids: list[str], holder: str, lease_s: float
    ) -> set[str]: ...

    def release_deliveries(self, delivery_ids: list[str], holder: str) -> None: ...


@dataclass(frozen=True)
class Receipt:
    payload: ev.NoticeDelivered | ev.NoticeFailed
    event_id: str
    at: datetime


def receipt_id(delivery_id: str, outcome: str, attempt: int) -> str:
    """The event id of a receipt: the same wherever and however often it is written."""
    digest = hashlib.sha256(f"{delivery_id}\n{outcome}\n{attempt}".encode()).digest()
    number = int.from_bytes(digest[:16], "big")
    number = (number & ~(0xF << 76)) | (0x8 << 76)  # version 8: made from the name
    number = (number & ~(0x3 << 62)) | (0x2 << 62)  # the RFC 4122 variant
    return str(uuid.UUID(int=number))


def holder_name() -> str:
    """A claim holder unique to this process."""
    return f"{socket.gethostname()}-{secrets.token_hex(4)}"


class Dispatcher:
    """Delivers what the record owes, once each; see the module docstring."""

    def __init__(
        self,
        record: Record,
        claims: Claims,
        books: Callable[[], tuple[ChannelBook, list[Subscription]]],
        policy: Policy,
        *,
        holder: str | None = None,
        lease_s: float = LEASE_S,
        backoff_s: float = BACKOFF_S,
        workers: int = 16,
        sender: Callable[[str, Message], str] = send,
    ) -> None:
        self.record, self.claims, self.books, self.policy = record, claims, books, policy
        self.book, self.subscriptions = books()
        self.holder = holder or holder_name()
        self.lease_s, self.backoff_s = lease_s, backoff_s
        self.sender = sender
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deliver")
        self._urls: dict[str, str] = {}

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    # -- where a subject goes -------------------------------------------------------------

    def targets(self, subject: Subject) -> list[Target]:
        """Each place ``subject`` goes, once per URL: the audience's (or page target's)
        channels, then its subscribers, then a person paged by name."""
        named: list[tuple[str, str]] = []
        if subject.kind == "notice" and subject.audience:
            named += self.book.for_audience(subject.audience)
            for sub in self.subscriptions:
                if sub.covers(subject.incident_id, subject.audience):
                    if sub.person and sub.person in self.book.people:
                        named.append((f"person:{sub.person}", self.book.people[sub.person].url))
                    elif sub.channel:
                        key = "sub:" + hashlib.sha256(sub.channel.encode()).hexdigest()[:12]
                        named.append((key, sub.channel))
        elif subject.kind == "page" and subject.target:
            named += self.book.for_page(subject.target)
            if subject.target in self.book.people:
                named.append((f"person:{subject.target}", self.book.people[subject.target].url))
        targets, seen = [], set()
        for key, url in named:
            if url in seen:
                continue
            seen.add(url)
            self._urls[key] = url
            targets.append(target_of(key, url))
        return targets

    # -- the job --------------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> int:
        """Send every delivery due at ``now``; how many were attempted."""
        now = now or utcnow()
        self.book, self.subscriptions = self.books()
        self.record.refresh()
        due = [
            (state, delivery)
            for state, pages in self.record.pending()
            for delivery in owed(state, subjects(state, self.policy, pages), self.targets, now)
        ]
        won = self.claims.claim_deliveries(
            [d.delivery_id for _, d in due], self.holder, self.lease_s
        )
        if not won:
            return 0
        self.record.refresh()  # another process may have delivered one since
        fresh, stale = [], []
        for state, delivery in due:
            if delivery.delivery_id not in won:
                continue
            current = self.record.state(state.id)
            done = current.deliveries.get(delivery.delivery_id)
            if done is not None and (done.delivered or done.failures >= delivery.attempt):
                stale.append(delivery.delivery_id)
            else:
                fresh.append((current, delivery))
        self.claims.release_deliveries(stale, self.holder)
        futures = [
            (state, delivery, self._pool.submit(self._send, state, delivery))
            for state, delivery in fresh
        ]
        by_incident: dict[str, list[Receipt]] = {}
        failed = []
        for state, delivery, future in futures:
            receipt = self._receipt(state, delivery, future.result(), utcnow())
            by_incident.setdefault(state.id, []).append(receipt)
            if isinstance(receipt.payload, ev.NoticeFailed):
                failed.append(delivery.delivery_id)
        for incident_id, receipts in by_incident.items():
            self.record.write(incident_id, receipts)
        self.claims.release_deliveries(failed, self.holder)  # a retry may be claimed anywhere
        return len(futures)

    def _send(self, state: IncidentState, delivery: Owed) -> str | DeliveryError:
        subject = delivery.subject
        header = f"[{state.id} {state.severity}] {state.title}"
        title = f"{subject.action.upper()} {header}" if subject.kind == "page" else header
        message = Message(delivery.delivery_id, subject, title, subject.text)
        try:
            return self.sender(self._urls[delivery.target.key], message)
        except DeliveryError as exc:
            return exc
        except Exception as exc:  # a channel library's own failure: a failed attempt
            return DeliveryError(f"{type(exc).__name__}: {exc}")

    def _receipt(
        self, state: IncidentState, delivery: Owed, outcome: str | DeliveryError, at: datetime
    ) -> Receipt:
        subject = delivery.subject
        common = {
            "delivery_id": delivery.delivery_id,
            "subject_id": subject.subject_id,
            "channel": delivery.target.label,
            "audience": subject.audience,
            "attempt": delivery.attempt,
            "version": subject.version,
        }
        if isinstance(outcome, DeliveryError):
            error = str(outcome).replace(self._urls[delivery.target.key], delivery.target.label)
            retry_at = None
            if not gives_up(state, delivery):
                retry_at = at + retry_delay(delivery.attempt, self.backoff_s)
            payload = ev.NoticeFailed(**common, error=error or "failed", retry_at=retry_at)
            event_id = receipt_id(delivery.delivery_id, "failed", delivery.attempt)
            return Receipt(payload, event_id, at)
        due_at, late_s = self._timeliness(state, subject, at)
        payload = ev.NoticeDelivered(**common, answer=outcome, due_at=due_at, late_s=late_s)
        return Receipt(payload, receipt_id(delivery.delivery_id, "delivered", 0), at)

    def _timeliness(
        self, state: IncidentState, subject: Subject, at: datetime
    ) -> tuple[datetime | None, float | None]:
        """When the audience's update was due by the cadence, and how late this one is."""
        if subject.audience is None:
            return None, None
        for clock in update_clocks(self.policy, state, at):
            if clock.audience == subject.audience:
                return clock.due_at, round((at - clock.due_at).total_seconds(), 3)
        return None, None
