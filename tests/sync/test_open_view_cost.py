"""What the intake's view of open incidents (``warroom.server.open_view``) decodes when it
first reads a feed: the records that can matter to it, not the whole history.

A real SQLite storage holds closed incidents with long logs, an open one, and records
made to look like the kinds that bring an incident into view; the view is caught up
from position 0 as after a restart, counting the records it decodes.
"""

import asyncio
import json
from pathlib import Path

import pytest

from warroom.core.events import Event
from warroom.core.ids import new_event_id
from warroom.core.timeparse import utcnow
from warroom.server import open_view
from warroom.server.open_view import OpenIncidentsView
from warroom.server.sqlite import SQLiteStorage


def _event(incident_id: str, n: int, payload: dict) -> Event:
    return Event(
        id=new_event_id(),
        incident_id=incident_id,
        actor="filler",
        occurred_at=utcnow(),
        recorded_at=utcnow(),
        device_id="dev-filler",
        device_seq=n,
        payload=payload,
    )


def _log(incident_id: str, start: int, notes: int, *, closed: bool) -> list[Event]:
    declaration = {
        "kind": "declaration",
        "title": "checkout slow",
        "incident_type": "degradation",
        "severity": "SEV2",
        "services": ["checkout"],
    }
    payloads = [declaration] + [{"kind": "note", "text": f"note {n}"} for n in range(notes)]
    if closed:
        payloads.append({"kind": "status_changed", "status": "closed"})
    return [_event(incident_id, start + n, p) for n, p in enumerate(payloads)]


class _CountingJSON:
    """``json`` as the view uses it, counting the records it decodes."""

    def __init__(self) -> None:
        self.decoded = 0

    def loads(self, text: str):
        self.decoded += 1
        return json.loads(text)


async def _caught_up(tmp_path: Path, events: list[Event]) -> OpenIncidentsView:
    """A view caught up from position 0, as after a restart, on a real SQLite storage
    holding ``events``."""
    storage = SQLiteStorage(tmp_path / "data")
    await storage.start()
    try:
        await storage.append(events, lambda state, event, log_of: None, "filler")
        view = OpenIncidentsView(storage)
        await view.catch_up()
        return view
    finally:
        await storage.close()


@pytest.mark.parametrize("closed_id", ["inc-closed1", 'inc-"quoted"é'])
def test_the_first_catch_up_decodes_only_what_can_matter(tmp_path: Path, monkeypatch, closed_id):
    counting = _CountingJSON()
    monkeypatch.setattr(open_view, "json", counting)
    plain_id = closed_id == "inc-closed1"
    events = _log(closed_id, 1, 300, closed=True)
    events += _log("inc-closed2", 400, 300, closed=True)
    events += _log("inc-open1", 800, 20, closed=False)
    events += _log("inc-again", 900, 5, closed=True)  # closed, then reopened
    events.append(_event("inc-again", 950, {"kind": "reopened", "reason": "it is back"}))
    # a note's text never looks like a closing (its quotes are escaped in JSON); an
    # alert's labels can: decoded, found to close nothing, and the incident stays open
    # until its real closing
    events.insert(305, _event("inc-closed2", 9000, {"kind": "note", "text": '"closed"'}))
    look_alike = {"kind": "alert_received", "source": "am", "summary": "x"}
    look_alike["labels"] = {"status": "closed"}
    events.insert(306, _event("inc-closed2", 9001, look_alike))

    view = asyncio.run(_caught_up(tmp_path, events))
    assert sorted(view.states) == ["inc-again", "inc-open1"]
    assert view.states["inc-open1"].event_count == 21
    assert view.states["inc-again"].event_count == 8
    # the feed is scanned as text: decoded are the three closings, the reopening and the
    # alert; then the open incidents' logs (21 and 8 records) are folded; none of the 600
    # notes of the closed ones (but every record of an incident whose id is escaped in
    # JSON: read off the record's head only when plain)
    expected = 3 + 1 + 1 + 21 + 8 + (0 if plain_id else 301)
    assert counting.decoded == expected


def test_an_open_incident_is_folded_a_page_at_a_time(tmp_path: Path, monkeypatch):
    """A restarted server folds an open incident's log page by page: the state is the
    fold of the whole log, and no more than a page of events is ever held at once (a
    1M-event incident held as models at once took 2 GB)."""
    monkeypatch.setattr(open_view, "PAGE", 7)
    events = _log("inc-long", 1, 30, closed=False)
    folded_at_once: list[int] = []
    whole_fold = open_view.fold

    def fold_counting(batch, state=None):
        batch = list(batch)
        folded_at_once.append(len(batch))
        return whole_fold(batch, state)

    monkeypatch.setattr(open_view, "fold", fold_counting)

    view = asyncio.run(_caught_up(tmp_path, events))
    assert max(folded_at_once) <= 7
    expected = whole_fold(events)
    assert view.states["inc-long"].model_dump() == expected.model_dump()
    assert view.states["inc-long"].event_count == 31
