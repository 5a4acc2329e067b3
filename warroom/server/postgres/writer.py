"""The writer of one replica: group commit into PostgreSQL, shared with other replicas.

Each replica has one writer thread (the SQLite writer's queue, grouping and retry loop,
reused), and every group is one transaction:

1. lock the head row of every incident the group touches (``incident_heads … FOR
   UPDATE``, in incident order, so two replicas never deadlock on them): appends to one
   incident are serialised across all replicas, appends to different incidents are not;
2. judge each push in its own savepoint, as SQLite does: retries (looked up after the
   locks, so a retry sent to another replica meanwhile is seen), size, the access rule
   against the incident's fold, device owner and counters, rejections;
3. only then take the global feed position: ``UPDATE feed_head SET pos = pos + n``. The
   row lock is held until commit, so positions are dense and in commit order — no event
   committed later can sort at or before a cursor already handed out (the bigserial trap
   of reference/sync-protocols.md §3.2). The lock is held only for the inserts and the
   commit, and a committing transaction is visible before the next one gets its
   positions (PostgreSQL releases row locks after it marks the commit visible);
4. insert the events, move the heads, ``pg_notify`` the other replicas, commit.

The fold of each incident is cached with the sequence number it reached; when another
replica appended since, the missing events are read and folded forward. A deadlock (two
replicas racing on one device's counters in opposite orders) retries the group.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from psycopg import errors as pg_errors

from warroom.core.chain import Head, canonical_bytes, link
from warroom.core.events import EVENT_LIST, MAX_EVENT_BYTES, Event
from warroom.core.fold import apply, fold
from warroom.core.state import IncidentState
from warroom.core.timeparse import utcnow
from warroom.server.keys import ServerKey
from warroom.server.sqlite.writer import Writer as GroupWriter
from warroom.server.sqlite.writer import _Job, _resolve
from warroom.server.storage import (
    AppendResult,
    EventTooLarge,
    FeedItem,
    device_clash,
    device_taken,
)

NOTIFY_CHANNEL = "warroom_feed"
"""Committed groups are announced here as ``replica-id:last-position`` (a hint only)."""
GROUP_RETRIES = 3
"""A group that deadlocked is tried this many times before its pushes get a 503."""


@dataclass
class _Pending:
    """An applied event waiting for its global position (taken just before commit)."""

    event: Event
    seq: int
    digest: str
    body: str
    checkpoint: str
    token_id: str


class Writer(GroupWriter):
    """Appends on a thread of its own; ``publish`` gets the items of every commit."""

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
        to hold a transaction open at the moment the bigserial trap would bite)."""

    def _open(self) -> psycopg.Connection:  # type: ignore[override]
        self._folds.clear()
        return psycopg.connect(self.url, autocommit=True, connect_timeout=10)

    def _commit_group(self, conn: psycopg.Connection, group: list[_Job]) -> None:  # type: ignore[override]
        for attempt in range(GROUP_RETRIES):
            try:
                outcomes, items = self._transaction(conn, group)
                break
            except (pg_errors.DeadlockDetected, pg_errors.SerializationFailure):
                self._folds.clear()
                if attempt == GROUP_RETRIES - 1:
                    raise
        self.health.ok()
        _resolve(outcomes)
        if items:
            self._publish(tuple(items))

    def _transaction(
        self, conn: psycopg.Connection, group: list[_Job]
    ) -> tuple[list[tuple[_Job, list[AppendResult] | BaseException]], list[FeedItem]]:
        outcomes: list[tuple[_Job, list[AppendResult] | BaseException]] = []
        pending: list[_Pending] = []
        try:
            with conn.transaction():
                heads = self._lock_heads(conn, group)
                known = self._outcomes_so_far(conn, group)
                for job in group:
                    job_heads, job_known, job_pending = dict(heads), dict(known), []
                    try:
                        with conn.transaction():
                            results = self._apply_job(
                                conn, job, job_heads, job_known, job_pending, pending
                            )
                    except (pg_errors.DeadlockDetected, pg_errors.SerializationFailure):
                        raise
                    except Exception as exc:  # one bad push must not sink the group
                        for incident_id in {e.incident_id for e in job.events}:
                            self._folds.pop(incident_id, None)
                        outcomes.append((job, exc))
                        continue
                    heads, known = job_heads, job_known
                    pending.extend(job_pending)
                    outcomes.append((job, results))
                items = self._insert(conn, pending, heads)
        except BaseException:
            self._folds.clear()
            raise
        return outcomes, items

    def _lock_heads(self, conn: psycopg.Connection, group: list[_Job]) -> dict[str, Head]:
        """Lock (creating if new) the head row of every incident in the group."""
        incidents = sorted({event.incident_id for job in group for event in job.events})
        conn.execute(
            "INSERT INTO incident_heads SELECT i, 0, h FROM unnest(%s::text[], %s::text[])"
            " AS new(i, h) ON CONFLICT DO NOTHING",
            (incidents, [Head.start(i).hash for i in incidents]),
        )
        rows = conn.execute(
            "SELECT incident_id, seq, hash FROM incident_heads WHERE incident_id = ANY(%s)"
            " ORDER BY incident_id FOR UPDATE",
            (incidents,),
        ).fetchall()
        return {row[0]: Head(seq=row[1], hash=row[2]) for row in rows}

    @staticmethod
    def _outcomes_so_far(conn: psycopg.Connection, group: list[_Job]) -> dict[str, AppendResult]:
        """The original outcome of every event of the group the database already has."""
        ids = [event.id for job in group for event in job.events]
        known = {
            row[0]: AppendResult(row[0], "applied", True, row[1], row[2], row[3])
            for row in conn.execute(
                "SELECT event_id, incident_id, seq, hash FROM events WHERE event_id = ANY(%s)",
                (ids,),
            )
        }
        for row in conn.execute(
            "SELECT event_id, incident_id, reason FROM rejections WHERE event_id = ANY(%s)",
            (ids,),
        ):
            known[row[0]] = AppendResult(row[0], "rejected", True, row[1], reason=row[2])
        return known

    def _state(
        self, conn: psycopg.Connection, incident_id: str, seq: int, pending: list[_Pending]
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

    def _apply_job(
        self,
        conn: psycopg.Connection,
        job: _Job,
        heads: dict[str, Head],
        known: dict[str, AppendResult],
        job_pending: list[_Pending],
        group_pending: list[_Pending],
    ) -> list[AppendResult]:
        results: list[AppendResult] = []
        now = utcnow()
        for index, event in enumerate(job.events):
            original = known.get(event.id)
            if original is not None:
                results.append(original)
                continue
            body = canonical_bytes(event)
            if len(body) > MAX_EVENT_BYTES:
                raise EventTooLarge(index, event.id, len(body))
            incident_id = event.incident_id
            head = heads[incident_id]
            pending = group_pending + job_pending
            state = self._state(conn, incident_id, head.seq, pending)
            reason = job.admit(
                state, event, lambda other, seen=pending: self._other_log(conn, other, heads, seen)
            )
            reason = reason or self._claim_device(conn, event)
            if reason:
                conn.execute(
                    "INSERT INTO rejections VALUES (%s, %s, %s, %s, %s, %s)",
                    (event.id, incident_id, reason, body.decode(), job.token_id, now),
                )
                known[event.id] = AppendResult(
                    event.id, "rejected", True, incident_id, reason=reason
                )
                results.append(
                    AppendResult(event.id, "rejected", False, incident_id, reason=reason)
                )
                continue
            seq = head.seq + 1
            digest = link(head.hash, seq, body)
            checkpoint = self._maybe_checkpoint(event, seq, digest)
            heads[incident_id] = Head(seq=seq, hash=digest)
            if state is None:
                state = fold([event])
            else:
                apply(state, event)
            self._folds[incident_id] = (seq, state)
            job_pending.append(
                _Pending(event, seq, digest, body.decode(), checkpoint, job.token_id)
            )
            known[event.id] = AppendResult(event.id, "applied", True, incident_id, seq, digest)
            results.append(AppendResult(event.id, "applied", False, incident_id, seq, digest))
        return results

    def _other_log(
        self,
        conn: psycopg.Connection,
        incident_id: str,
        heads: dict[str, Head],
        pending: list[_Pending],
    ) -> IncidentState | None:
        """Another incident's fold for a rule that names it: at the head this group holds
        when it is one of the group's, else at the committed head (read, not locked: what
        a link checks, an incident or an action item being there, only ever appears)."""
        head = heads.get(incident_id)
        if head is None:
            row = conn.execute(
                "SELECT seq FROM incident_heads WHERE incident_id = %s", (incident_id,)
            ).fetchone()
            return self._state(conn, incident_id, row[0], []) if row else None
        return self._state(conn, incident_id, head.seq, pending)

    def _claim_device(self, conn: psycopg.Connection, event: Event) -> str | None:
        """As the SQLite writer's: the device for its actor, then its counter."""
        (owner,) = conn.execute(
            "WITH claimed AS (INSERT INTO devices VALUES (%s, %s) ON CONFLICT DO NOTHING"
            " RETURNING owner) SELECT owner FROM claimed"
            " UNION ALL SELECT owner FROM devices WHERE device_id = %s LIMIT 1",
            (event.device_id, event.actor, event.device_id),
        ).fetchone()
        if owner != event.actor:
            return device_taken(event.device_id, owner, event.actor)
        claimed = conn.execute(
            "INSERT INTO device_counters VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            (event.device_id, event.device_seq, event.id),
        ).rowcount
        if claimed:
            return None
        holder, highest = conn.execute(
            "SELECT event_id, (SELECT MAX(device_seq) FROM device_counters WHERE device_id = %s)"
            " FROM device_counters WHERE device_id = %s AND device_seq = %s",
            (event.device_id, event.device_id, event.device_seq),
        ).fetchone()
        return device_clash(event.device_id, event.device_seq, holder, highest)

    def _insert(
        self, conn: psycopg.Connection, pending: list[_Pending], heads: dict[str, Head]
    ) -> list[FeedItem]:
        """Take the group's global positions (see the module docstring), insert its
        events and move the heads; the feed items to publish after commit."""
        if not pending:
            return []
        if self.before_positions is not None:
            self.before_positions()
        (last,) = conn.execute(
            "UPDATE feed_head SET pos = pos + %s WHERE id = 1 RETURNING pos", (len(pending),)
        ).fetchone()
        now = utcnow()
        rows, items = [], []
        for position, p in enumerate(pending, start=last - len(pending) + 1):
            incident_id = p.event.incident_id
            record = (
                f'{{"cursor":"{position}","incident_id":{json.dumps(incident_id)},'
                f'"server_seq":{p.seq},"hash":"{p.digest}","event":{p.body},'
                f'"checkpoint":{p.checkpoint}}}'
            )
            rows.append(
                (position, incident_id, p.seq, p.event.id, p.digest, p.token_id, now, record)
            )
            items.append(FeedItem(position=position, cursor=str(position), record=record))
        with conn.cursor() as cursor:
            cursor.executemany("INSERT INTO events VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows)
            touched = {p.event.incident_id for p in pending}
            cursor.executemany(
                "UPDATE incident_heads SET seq = %s, hash = %s WHERE incident_id = %s",
                [(heads[i].seq, heads[i].hash, i) for i in sorted(touched)],
            )
        conn.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, f"{self.replica_id}:{last}"))
        return items
