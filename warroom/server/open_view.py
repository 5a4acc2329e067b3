"""The open incidents as the server's own writers read them, kept from the feed.

Alert intake (and the ladder's scheduler) decide against every open incident: which one
already holds an alert's fingerprint, its group or its service, and whether the access
rules let the server raise its severity. Reading every open incident's events for each
alert would cost the whole log per request; instead this view folds the feed once and
then only what arrived since (``catch_up``), keeping the folded ``IncidentState`` of each
open incident — which carries its alerts (``IncidentState.alerts``).

What it costs: nothing while nobody asks (it catches up only when a writer needs it);
then one JSON decode per new record, and a full validation only for records of open
incidents, declarations and reopenings. A closed incident is dropped and folded again
from its log if it is reopened.

The first catch-up (after a restart: the whole feed) does not fold history. It scans
the records as text for the incident each belongs to (``incident_of``) and decodes only
those that may close or reopen one (a quoted ``"closed"`` or ``"reopened"`` in them),
then folds each incident left open from its own log (``reload``): a string scan per
record of history, and the validation and fold of the open incidents' entries only —
where folding the feed validated every entry of every incident ever held.

Writers fold their own events in ahead of the feed (``authored.Batch``); the fold skips
an event it has seen, so the feed delivering it again changes nothing. Should another
client's event of the same incident arrive in between, that incident is folded again
from its log so the order is the server's. A batch the storage refused is forgotten with
``forget``.

One view per server process, shared by its writers (intake and the ladder): a second
view would fold every entry the first one's writer made all over again — the ladder's
every five seconds, all of a storm's entries at once on the event loop, stalling every
request meanwhile. The writers take turns (``deciding``): each catches up, decides and
commits holding it, so none decides on another's entries before they are committed.
"""

import asyncio
import json
from collections.abc import Iterable

from warroom.core.events import Event
from warroom.core.fold import apply, fold
from warroom.core.state import CLOSED, IncidentState
from warroom.server.storage import EventStorage

PAGE = 5000
WATCHED_KINDS = ("declaration", "reopened")
"""Kinds that bring an incident into view however it stood."""
MAY_CLOSE_OR_REOPEN = (f'"{CLOSED}"', '"reopened"')
"""Text a record that closes or reopens its incident holds (quoted JSON strings; in a
record that does neither it is a false alarm that costs a decode)."""
ID_KEY = '"incident_id":"'
ID_KEY_WITHIN = 64
"""Both storages write a record as ``{"cursor":"N","incident_id":"…",…``: the key is
this near its start."""
EVENT_ID_KEY = '"id":"'
"""The first key ``id`` of a record is its event's: the record's own keys and the
event's before it in canonical (sorted) order are other names, and a quote inside any
text is escaped."""


def incident_of(record: str) -> str | None:
    """The record's incident id read off its head; None when it is not plainly there
    (an escaped character in it, another layout): the caller then decodes the record."""
    start = record.find(ID_KEY, 0, ID_KEY_WITHIN)
    if start < 0:
        return None
    start += len(ID_KEY)
    end = record.find('"', start)
    incident_id = record[start:end]
    return incident_id if end > start and "\\" not in incident_id else None


def _closes(record: dict) -> bool | None:
    """True if the record closes its incident, False if it reopens it, else None."""
    payload = record["event"].get("payload", {})
    if payload.get("kind") == "reopened":
        return False
    if payload.get("kind") == "status_changed" and payload.get("status") == CLOSED:
        return True
    return None


class OpenIncidentsView:
    """Folded states of the open incidents of ``storage``, as of ``catch_up``."""

    def __init__(self, storage: EventStorage) -> None:
        self.storage = storage
        self.states: dict[str, IncidentState] = {}
        self.cursor = 0
        self._read_once = False
        self._ahead: dict[str, str] = {}
        """Event ids folded in by a writer before the feed had them → their incident."""
        self.deciding = asyncio.Lock()
        """Held by a writer from its catch-up to its commit (module docstring)."""

    def folded_ahead(self, events: Iterable[Event]) -> None:
        """A writer folded these into ``states`` before committing them."""
        self._ahead.update((event.id, event.incident_id) for event in events)

    async def catch_up(self) -> None:
        """Fold everything committed since the last call."""
        if not self._read_once:
            await self._first_read()
            self._read_once = True
        stale: set[str] = set()
        while True:
            page = await self.storage.feed(self.cursor, PAGE)
            for item in page.items:
                if not self._own(item.record):
                    self._observe(json.loads(item.record), stale)
            self.cursor = int(page.cursor) if page.items else self.cursor
            if page.up_to_date:
                break
        for incident_id in stale:
            await self.reload(incident_id)

    async def _first_read(self) -> None:
        """Which incidents are open, from a scan of the feed; each folded from its log.
        The cursor moves only once all is read, so a failed first read starts over."""
        closed: dict[str, bool] = {}
        cursor = self.cursor
        while True:
            page = await self.storage.feed(cursor, PAGE)
            for item in page.items:
                incident_id = incident_of(item.record)
                if incident_id is None or any(m in item.record for m in MAY_CLOSE_OR_REOPEN):
                    record = json.loads(item.record)
                    incident_id, closes = record["incident_id"], _closes(record)
                    if closes is not None:
                        closed[incident_id] = closes
                        continue
                closed.setdefault(incident_id, False)
            cursor = int(page.cursor) if page.items else cursor
            if page.up_to_date:
                break
        for incident_id, is_closed in closed.items():
            if not is_closed:
                await self.reload(incident_id)
        self.cursor = cursor

    def _own(self, record: str) -> bool:
        """Whether the record is an entry a writer folded in ahead (now forgotten from
        ``_ahead``): read off its text, as most records a writer catches up on are its
        own and decoding each only to find that out was a writer's dearest step."""
        if not self._ahead:
            return False
        start = record.find(EVENT_ID_KEY)
        if start < 0:
            return False
        start += len(EVENT_ID_KEY)
        return self._ahead.pop(record[start : record.find('"', start)], None) is not None

    def _observe(self, record: dict, stale: set[str]) -> None:
        data, incident_id = record["event"], record["incident_id"]
        if self._ahead.pop(data["id"], None) is not None:
            return
        if incident_id in self._ahead.values():
            stale.add(incident_id)  # another client's entry between ours: refold
            return
        state = self.states.get(incident_id)
        kind = data.get("payload", {}).get("kind")
        if state is None and kind not in WATCHED_KINDS:
            return  # closed, or never seen open: nothing intake reads
        if state is None and kind == "reopened":
            stale.add(incident_id)
            return
        event = Event.model_validate(data)
        if state is None:
            self.states[incident_id] = fold([event])
        else:
            apply(state, event)
        if self.states[incident_id].closed:
            del self.states[incident_id]

    async def reload(self, incident_id: str) -> None:
        """Fold one incident again from its log (kept only if it is open), a page at a
        time: the log's events are never all held at once, so a server restarted on an
        incident of 1M events holds its state and one page, not 1M models (2 GB)."""
        self.states.pop(incident_id, None)
        for event_id in [e for e, i in self._ahead.items() if i == incident_id]:
            del self._ahead[event_id]
        state: IncidentState | None = None
        after = 0
        while True:
            page = await self.storage.incident_log(incident_id, after, PAGE)
            if page is None:
                return
            events = [Event.model_validate(json.loads(r)["event"]) for r in page.records]
            if state is None and events:
                state = fold(events)
            elif state is not None:
                for event in events:
                    apply(state, event)
            after = page.next_after
            if page.up_to_date:
                break
        if state is not None and not state.closed:
            self.states[incident_id] = state

    async def forget(self, incident_ids: Iterable[str]) -> None:
        """A batch folded into these was not committed: fold them from the record."""
        for incident_id in set(incident_ids):
            await self.reload(incident_id)
