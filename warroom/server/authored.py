"""Events the server writes itself: alert intake now, the ladder's scheduler next.

A server-authored event is an ordinary event — a UUIDv7 id, an actor, a device and its
counter — appended through the same ``EventStorage.append`` with the same access rules
(``check_append``) as a push, so the record cannot tell it apart except by its actor
(``intake:alertmanager``, ``scheduler``, …) and the chain covers it like any other.

How to write some (the whole interface)::

    author = ServerAuthor(data_dir)                    # once per server
    batch = author.batch("intake:alertmanager", policy, incidents)
    batch.room.declare(...); batch.room.alert(...)     # a WarRoom: the one write path
    await batch.commit(storage)                        # one append, all or nothing

``incidents`` is what the batch's rules read: a mutable mapping of incident id → folded
``IncidentState`` (``warroom.server.open_view.OpenIncidentsView.states``). The batch
folds each event it makes into it as it goes, so a later change in the same batch is
judged on the earlier ones; whoever owns the mapping must drop what a failed commit
folded (``OpenIncidentsView`` does, see ``Batch.touched``).

Identity: one device per actor (the storage gives each device to one person, the actor
of its first entry), named from a server id kept in ``authored.json`` in the server's
data folder. Counters are reserved there in blocks before use, so a restart — even after
``kill -9`` — continues above every counter it may have used; the gap is harmless (gaps
are normal, see ``warroom.server.storage``). A replica on PostgreSQL has no data folder
of its own: it takes a fresh server id each start (``ServerAuthor(None)``), so two
replicas, or one restarted, never share a device and its counters start again at 1.

All or nothing: ``commit`` appends the batch as one push whose access check raises on
the first refusal, which rolls the whole push back in the storage (its savepoint), so a
batch is either wholly on the record or not at all (``BatchRefused``).

Judged once: ``WarRoom`` checked every entry of the batch (``check_append``) against the
states as the batch folded them. At append time the storage hands the admit the record's
state of the incident; when that state holds exactly as many entries as the batch's did
when it judged the entry, nothing else was appended to the incident in between (a log
only grows), so it is the same state and the same judgement — the check is not run a
second time. Anything appended in between (another client, the ladder) makes the counts
differ, and the entry is judged again on the record as it now is.
"""

import hashlib
import json
import os
import secrets
import threading
from collections.abc import MutableMapping
from pathlib import Path

from warroom.actions import WarRoom
from warroom.core.access import check_append
from warroom.core.errors import NotFound
from warroom.core.events import Event
from warroom.core.fold import apply, fold
from warroom.core.policy import Policy
from warroom.core.state import IncidentState
from warroom.server.storage import AppendResult, EventStorage, LogOf

IDENTITY_FILE = "authored.json"
RESERVE_BLOCK = 1000
"""Device counters reserved on disk at a time (one small write per 1,000 events)."""
AUTHORED_TOKEN = "server"
"""What the storage records as the token of a server-authored append."""

States = MutableMapping[str, IncidentState]


class BatchRefused(Exception):
    """The storage's access check refused an event of a batch: nothing of it was kept."""


class ServerAuthor:
    """The server's own device identities and counters, kept in its data folder."""

    def __init__(self, data_dir: Path | None) -> None:
        self.path = data_dir / IDENTITY_FILE if data_dir is not None else None
        self._lock = threading.Lock()
        saved = json.loads(self.path.read_text()) if self.path and self.path.exists() else {}
        self.server_id: str = saved.get("server_id") or "srv-" + secrets.token_hex(4)
        self._reserved: dict[str, int] = dict(saved.get("reserved", {}))
        self._next: dict[str, int] = {device: top + 1 for device, top in self._reserved.items()}
        if not saved:
            self._save()

    def device_for(self, actor: str) -> str:
        """The device the server writes ``actor``'s entries from (one per actor)."""
        return f"{self.server_id}-{hashlib.sha256(actor.encode()).hexdigest()[:12]}"

    def next_seq(self, device_id: str) -> int:
        """The device's next counter, reserved on disk before it is handed out."""
        with self._lock:
            seq = self._next.get(device_id, 1)
            if seq > self._reserved.get(device_id, 0):
                self._reserved[device_id] = seq + RESERVE_BLOCK - 1
                self._save()
            self._next[device_id] = seq + 1
            return seq

    def _save(self) -> None:
        """Write the identity durably: a temporary file, fsync, rename."""
        if self.path is None:
            return
        temporary = self.path.with_suffix(".tmp")
        text = json.dumps({"server_id": self.server_id, "reserved": self._reserved})
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, text.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, self.path)

    def batch(self, actor: str, policy: Policy, incidents: States) -> "Batch":
        """A batch of entries written as ``actor``, judged against ``incidents``."""
        return Batch(self, actor, policy, incidents)


class Batch:
    """Entries made through ``room`` (a ``WarRoom``), kept here until ``commit``."""

    def __init__(self, author: ServerAuthor, actor: str, policy: Policy, states: States) -> None:
        self.actor, self.policy = actor, policy
        self.events: list[Event] = []
        self.touched: set[str] = set()
        """Incidents whose states this batch folded its events into."""
        self.judged_at: dict[str, int] = {}
        """Event id → how many entries its incident held when ``room`` judged it."""
        self.store = _BatchStore(author, author.device_for(actor), states, self)
        self.room = WarRoom(self.store, policy, actor, automation=True)  # type: ignore[arg-type]

    async def commit(self, storage: EventStorage) -> list[AppendResult]:
        """Append every event of the batch in one push; ``BatchRefused`` if the access
        rules refuse one at append time (then none is kept)."""
        if not self.events:
            return []

        def admit(state: IncidentState | None, event: Event, log_of: LogOf) -> str | None:
            if (state.event_count if state else 0) == self.judged_at.get(event.id):
                return None  # judged on this very state already (module docstring)
            refusal = check_append(
                self.policy,
                state,
                event,
                author=self.actor,
                admin=False,
                automation=True,
                log_of=log_of,
            )
            if refusal:
                raise BatchRefused(refusal)
            return None

        results = await storage.append(self.events, admit, AUTHORED_TOKEN)
        refused = [r for r in results if r.status == "rejected"]
        if refused:  # a device claim the storage refused (see storage.device_clash)
            raise BatchRefused(refused[0].reason or "refused")
        return results


class _BatchStore:
    """What ``WarRoom`` needs of a store, over the batch's incident states."""

    def __init__(self, author: ServerAuthor, device_id: str, states: States, batch: Batch) -> None:
        self.author, self.device_id, self.states, self.batch = author, device_id, states, batch

    def has_incident(self, incident_id: str) -> bool:
        return incident_id in self.states

    def resolve_incident(self, ref: str) -> str:
        if ref not in self.states:
            raise NotFound(f"no open incident {ref!r}")
        return ref

    def working_state(self, incident_id: str) -> IncidentState:
        return self.states[self.resolve_incident(incident_id)]

    state = working_state

    def append_checked(self, proposed: Event) -> Event:
        """Keep the event ``WarRoom`` validated and judged, with this device's counter:
        the same event, not a second construction of it (its device is this store's)."""
        event = proposed.model_copy(update={"device_seq": self.author.next_seq(self.device_id)})
        incident_id = event.incident_id
        if incident_id in self.states:
            self.batch.judged_at[event.id] = self.states[incident_id].event_count
            apply(self.states[incident_id], event)
        else:
            self.batch.judged_at[event.id] = 0
            self.states[incident_id] = fold([event])
        self.batch.touched.add(incident_id)
        self.batch.events.append(event)
        return event
