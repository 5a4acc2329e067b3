"""The writer of one replica: group commit into PostgreSQL, shared with other replicas.

Each replica has one writer thread (the SQLite writer's queue, grouping and retry loop,
reused). A group whose incidents' heads and devices' owners it has cached — what it
committed itself, the usual case once an incident is under way — is judged on them and
written in one statement, its own transaction, one round trip (*the cached path*):
``group_sql.WRITE`` locks the heads and refuses the whole write if any moved meanwhile
(another replica appended) or an event, device or counter was taken; the group's caches
of those incidents are then dropped and it is judged again on the locked path. Any other
group, and a cached one that failed, takes *the locked path*, one transaction in two
round trips (psycopg's pipeline mode sends a batch of statements and reads their
answers once):

1. *read*: ``BEGIN``; lock the head row of every incident the group touches
   (``incident_heads … FOR UPDATE``, in incident order, so two replicas never deadlock
   on them): appends to one incident are serialised across all replicas, appends to
   different incidents are not; then, after the locks, what the database already holds
   of the group: retries (so a retry sent to another replica meanwhile is seen), the
   device counters the group's events name, and the owners of devices not yet known.
   A new incident's head row is created and locked in one extra round trip.
2. *judge*, in Python, each push on its own (an exception refuses that push alone and
   throws away what it had done): size, the access rule against the incident's fold,
   device owner and counters, rejections.
3. *write*: ``WRITE`` (its heads are this transaction's already), then ``COMMIT``.

Either way the write inserts the rejections, the new devices and counters (plain
inserts: another replica claiming the same one meanwhile makes the statement fail and
the group is judged again against what that replica committed); only then takes the
global feed positions, ``UPDATE feed_head SET pos = pos + n``, inserts the events with
them (their records are completed there), moves the heads and ``pg_notify``-s the other
replicas. The feed row lock is held until commit, so positions are dense and in commit
order — no event committed later can sort at or before a cursor already handed out (the
bigserial trap of reference/sync-protocols.md §3.2). The lock is held only for the
write, and a committing transaction is visible before the next one gets its positions
(PostgreSQL releases row locks after it marks the commit visible).

The fold of each incident is cached with the sequence number it reached; when another
replica appended since, the missing events are read and folded forward. Device owners
never change, so committed ones are cached too. A deadlock or such a race retries the
group. The statements (``group_sql``) are prepared on first use: their text never varies.
"""

import contextlib
import json
from collections.abc import Callable

import psycopg
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus

from warroom.core.chain import Head, canonical_bytes, link
from warroom.core.events import EVENT_LIST, MAX_EVENT_BYTES, Event
from warroom.core.fold import apply, fold
from warroom.core.state import IncidentState
from warroom.server.keys import ServerKey
from warroom.server.postgres import arrays
from warroom.server.postgres.arrays import Bigints, Texts
from warroom.server.postgres.group import Group, Pending, write_params
from warroom.server.postgres.group_sql import (
    HIGHEST,
    LOCK_HEADS,
    LOOK_UP,
    NEW_HEADS,
    WRITE,
)
from warroom.server.postgres.schema import by_key
from warroom.server.sqlite.writer import Writer as GroupWriter
from warroom.server.sqlite.writer import _Job, _resolve
from warroom.server.storage import (
    AppendResult,
    EventTooLarge,
    FeedItem,
    device_clash,
    device_taken,
)

GROUP_RETRIES = 3
"""A group that deadlocked (or raced another replica for a device) is tried this many
times before its pushes get a 503."""
_RETRIED = (pg_errors.DeadlockDetected, pg_errors.SerializationFailure, pg_errors.UniqueViolation)
_Outcome = tuple[_Job, list[AppendResult] | BaseException]


class Writer(GroupWriter):
    """Appends on a thread of its own; ``publish`` gets the items of every commit, on the
    event loop, in the wake-up that settles the group's futures (one per group, not two)."""

    def __init__(
        self,
        url: str,
        key: ServerKey,
        key_id: str,
        checkpoint_every: int,
        publish: Callable[[tuple[FeedItem, ...]], None],
        replica_id: str,
    ) -> None:
        super().__init__(url, key, key_id, checkpoint_every, publish)  # type: ignore[arg-type]
        self.url = url
        self.replica_id = replica_id
        self._folds: dict[str, tuple[int, IncidentState]] = {}
        self.before_positions: Callable[[], None] | None = None
        """Called inside the transaction just before positions are taken (tests use it
        to hold a transaction open at the moment the bigserial trap would bite); while it
        is set, every group takes the locked path, the one with a moment to hold open."""

    def _open(self) -> psycopg.Connection:  # type: ignore[override]
        self._folds.clear()
        self._heads.clear()
        self._owners.clear()
        conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10, **by_key(self.url))
        conn.prepare_threshold = 0  # every statement is run again and again: prepare at once
        arrays.register(conn)
        return conn

    def _commit_group(self, conn: psycopg.Connection, group: list[_Job]) -> None:  # type: ignore[override]
        for attempt in range(GROUP_RETRIES):
            try:
                outcomes, items = self._transaction(conn, group)
                break
            except _RETRIED:
                if attempt == GROUP_RETRIES - 1:
                    raise
        self.health.ok()
        published = tuple(items)
        _resolve(outcomes, (lambda: self._publish(published)) if published else None)

    def _transaction(
        self, conn: psycopg.Connection, group: list[_Job]
    ) -> tuple[list[_Outcome], list[FeedItem]]:
        """The group on its cached heads in one statement when it can (see the module
        docstring), else under the locks; a guess found stale costs that one statement."""
        events = [event for job in group for event in job.events]
        incidents = {event.incident_id for event in events}
        known = all(event.device_id in self._owners for event in events)
        try:
            if known and incidents <= self._heads.keys() and self.before_positions is None:
                heads = {incident_id: self._heads[incident_id] for incident_id in incidents}
                owners = {event.device_id: self._owners[event.device_id] for event in events}
                read = Group(heads=heads, known={}, counters={}, owners=owners)
                try:
                    outcomes, state = self._judge(conn, group, read)
                    positions = self._write(conn, heads, state)
                except _RETRIED:  # moved or taken meanwhile: its caches go, it is read
                    for incident_id in incidents:
                        self._folds.pop(incident_id, None)
                        self._heads.pop(incident_id, None)
                else:
                    return self._committed(outcomes, state, positions)
            with conn.pipeline():  # BEGIN and COMMIT by hand: COMMIT goes with the write
                conn.execute("BEGIN")
                read = self._read(conn, group)
                outcomes, state = self._judge(conn, group, read)
                positions = self._write(conn, read.heads, state)
                conn.execute("COMMIT")
        except BaseException:
            self._folds.clear()
            self._heads.clear()
            self._owners.clear()
            if conn.info.transaction_status != TransactionStatus.IDLE:
                with contextlib.suppress(psycopg.Error):  # a broken connection is dropped
                    conn.execute("ROLLBACK")
            raise
        return self._committed(outcomes, state, positions)

    def _judge(
        self, conn: psycopg.Connection, group: list[_Job], state: Group
    ) -> tuple[list[_Outcome], Group]:
        """Each push judged on its own against what came before it (see the module
        docstring): its outcome, and what the group will write."""
        outcomes: list[_Outcome] = []
        for job in group:
            attempt = state.fork()
            try:
                results = self._apply_job(conn, job, attempt)
            except Exception as exc:  # one bad push must not sink the group
                for incident_id in {e.incident_id for e in job.events}:
                    self._folds.pop(incident_id, None)
                outcomes.append((job, exc))
                continue
            state = attempt
            outcomes.append((job, results))
        return outcomes, state

    def _committed(
        self, outcomes: list[_Outcome], state: Group, positions: psycopg.Cursor | None
    ) -> tuple[list[_Outcome], list[FeedItem]]:
        """Once the group committed, what it made known is cached."""
        self._owners.update(state.owners)  # those read and those claimed: committed now
        self._heads.update(state.heads)
        return outcomes, self._items(positions, state.pending)

    def _read(self, conn: psycopg.Connection, group: list[_Job]) -> Group:
        """Round trip 1 (see the module docstring): the locks, then what is known."""
        events = [event for job in group for event in job.events]
        incidents = sorted({event.incident_id for event in events})
        devices = {event.device_id for event in events}
        unknown = sorted(devices - self._owners.keys())
        heads = conn.execute(LOCK_HEADS, (Texts(incidents),))
        held = self._look_up(conn, events, unknown)
        locked = {row[0]: Head(seq=row[1], hash=row[2]) for row in heads.fetchall()}
        if missing := [i for i in incidents if i not in locked]:
            # a new incident: its row is created (or waited for, if another replica is
            # creating it) and locked, and only then is what the group holds looked up
            starts = [Head.start(i).hash for i in missing]
            conn.execute(NEW_HEADS, (Texts(missing), Bigints([0] * len(missing)), Texts(starts)))
            more = conn.execute(LOCK_HEADS, (Texts(missing),))
            held = self._look_up(conn, events, unknown)
            locked.update((row[0], Head(seq=row[1], hash=row[2])) for row in more.fetchall())
        # the owners of this group's devices only: each push copies the group's state
        owners = {device: self._owners[device] for device in devices & self._owners.keys()}
        group = Group(heads=locked, known={}, counters={}, owners=owners)
        for kind, key, text, number, other in held.fetchall():
            if kind == "applied":
                group.known[key] = AppendResult(key, "applied", True, text, number, other)
            elif kind == "rejected":
                group.known[key] = AppendResult(key, "rejected", True, text, reason=other)
            elif kind == "counter":
                group.counters[(key, number)] = text
            else:
                group.owners[key] = text
        return group

    @staticmethod
    def _look_up(
        conn: psycopg.Connection, events: list[Event], unknown: list[str]
    ) -> psycopg.Cursor:
        """Queue the look-up of what the database holds of ``events`` (after the locks
        queued before it): retries, device counters, owners of ``unknown`` devices."""
        return conn.execute(
            LOOK_UP,
            {
                "ids": Texts([event.id for event in events]),
                "devices": Texts([event.device_id for event in events]),
                "device_seqs": Bigints([event.device_seq for event in events]),
                "unknown": Texts(unknown),
            },
        )

    def _state(
        self, conn: psycopg.Connection, incident_id: str, seq: int, pending: list[Pending]
    ) -> IncidentState | None:
        """The incident's fold at ``seq``, folded forward from the cache: from the
        database for what other replicas (or this one) committed, then from this
        group's events still waiting for their positions."""
        if seq == 0:
            return None
        cached_seq, state = self._folds.get(incident_id, (0, None))
        if cached_seq < seq:
            rows = conn.execute(
                "SELECT record FROM events WHERE incident_id = %s AND seq > %s ORDER BY seq",
                (incident_id, cached_seq),
            ).fetchall()
            events = EVENT_LIST.validate_python([json.loads(r[0])["event"] for r in rows])
            events += [p.event for p in pending if p.event.incident_id == incident_id]
            if state is None:
                state = fold(events)
            else:
                for event in events:
                    apply(state, event)
            self._folds[incident_id] = (seq, state)
        return state

    def _apply_job(self, conn: psycopg.Connection, job: _Job, group: Group) -> list[AppendResult]:
        results: list[AppendResult] = []
        for index, event in enumerate(job.events):
            original = group.known.get(event.id)
            if original is not None:
                results.append(original)
                continue
            body = canonical_bytes(event)
            if len(body) > MAX_EVENT_BYTES:
                raise EventTooLarge(index, event.id, len(body))
            incident_id = event.incident_id
            head = group.heads[incident_id]
            state = self._state(conn, incident_id, head.seq, group.pending)
            reason = job.admit(
                state, event, lambda other: self._other_log(conn, other, group)
            ) or self._claim_device(conn, event, group)
            if reason:
                group.rejections.append(
                    (event.id, incident_id, reason, body.decode(), job.token_id)
                )
                group.known[event.id] = AppendResult(
                    event.id, "rejected", True, incident_id, reason=reason
                )
                results.append(
                    AppendResult(event.id, "rejected", False, incident_id, reason=reason)
                )
                continue
            seq = head.seq + 1
            digest = link(head.hash, seq, body)
            checkpoint = self._maybe_checkpoint(event, seq, digest)
            group.heads[incident_id] = Head(seq=seq, hash=digest)
            if state is None:
                state = fold([event])
            else:
                apply(state, event)
            self._folds[incident_id] = (seq, state)
            rest = (
                f'"incident_id":{json.dumps(incident_id)},"server_seq":{seq},'
                f'"hash":"{digest}","event":{body.decode()},"checkpoint":{checkpoint}}}'
            )
            group.pending.append(Pending(event, seq, digest, rest, job.token_id))
            group.known[event.id] = AppendResult(
                event.id, "applied", True, incident_id, seq, digest
            )
            results.append(AppendResult(event.id, "applied", False, incident_id, seq, digest))
        return results

    def _other_log(
        self, conn: psycopg.Connection, incident_id: str, group: Group
    ) -> IncidentState | None:
        """Another incident's fold for a rule that names it: at the head this group holds
        when it is one of the group's, else at the committed head (read, not locked: what
        a link checks, an incident or an action item being there, only ever appears)."""
        head = group.heads.get(incident_id)
        if head is None:
            row = conn.execute(
                "SELECT seq FROM incident_heads WHERE incident_id = %s", (incident_id,)
            ).fetchone()
            return self._state(conn, incident_id, row[0], []) if row else None
        return self._state(conn, incident_id, head.seq, group.pending)

    def _claim_device(self, conn: psycopg.Connection, event: Event, group: Group) -> str | None:
        """As the SQLite writer's: the device for its actor (if new), then its counter;
        judged against what ``_read`` found, written by ``_write``."""
        owner = group.owners.get(event.device_id)
        if owner is None:
            owner = group.owners[event.device_id] = event.actor
            group.new_devices[event.device_id] = owner
        if owner != event.actor:
            return device_taken(event.device_id, owner, event.actor)
        pair = (event.device_id, event.device_seq)
        holder = group.counters.get(pair)
        if holder is None:
            group.counters[pair] = event.id
            group.new_counters.append((event.device_id, event.device_seq, event.id))
            return None
        (highest,) = conn.execute(HIGHEST, (event.device_id,)).fetchone()
        mine = (seq for device, seq, _ in group.new_counters if device == event.device_id)
        return device_clash(event.device_id, event.device_seq, holder, max([highest, *mine]))

    def _write(
        self, conn: psycopg.Connection, expected: dict[str, Head], group: Group
    ) -> psycopg.Cursor | None:
        """The group's write, one ``WRITE`` statement judged against the ``expected``
        heads (see the module docstring); the cursor that will hold the last position
        taken, to be read once the statement (and, under the locks, the commit) has gone
        out; None when there is nothing to write."""
        pending = group.pending
        if not (pending or group.rejections or group.new_devices or group.new_counters):
            return None
        if self.before_positions is not None:
            self.before_positions()
        return conn.execute(WRITE, write_params(expected, group, self.replica_id))

    @staticmethod
    def _items(positions: psycopg.Cursor | None, pending: list[Pending]) -> list[FeedItem]:
        """The committed group's feed items, as ``WRITE`` stored their records."""
        last = positions.fetchone()[0] if positions is not None else None
        if last is None:
            return []
        return [
            FeedItem(position=n, cursor=str(n), record=f'{{"cursor":"{n}",{p.rest}')
            for n, p in enumerate(pending, start=last - len(pending) + 1)
        ]
