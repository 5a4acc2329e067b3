"""A server-authored batch is judged by the access rules once when nothing came between
its decision and its append, and again — and refused if it must be — when something did.

Real parts: a ``SQLiteStorage`` on a file, its writer thread, and the batch's
``WarRoom``; the access check the admit would run is counted where the batch calls it.
"""

import asyncio
import json
from pathlib import Path

import pytest

from tests.factories import make_event
from warroom.core.events import Event
from warroom.core.ids import new_event_id
from warroom.core.policy import default_policy
from warroom.core.state import IncidentState
from warroom.core.timeparse import utcnow
from warroom.server import authored
from warroom.server.authored import BatchRefused, ServerAuthor
from warroom.server.sqlite import SQLiteStorage

ACTOR = "intake:alertmanager"


@pytest.fixture
def counted(monkeypatch) -> list[str]:
    """The ids of the entries the admit judged again at append time."""
    judged: list[str] = []
    check = authored.check_append

    def counting(policy, state, event, **kwargs):
        judged.append(event.id)
        return check(policy, state, event, **kwargs)

    monkeypatch.setattr(authored, "check_append", counting)
    return judged


async def _declare_and_note(storage, author, states) -> tuple[str, list[str]]:
    """A first batch (a declaration and notes) and a second one on the same incident."""
    first = author.batch(ACTOR, default_policy(), states)
    incident = first.room.declare(
        "checkout slow", severity="SEV2", incident_type="outage", take_command=False
    ).incident_id
    first.room.log(incident, "alert received")
    await first.commit(storage)
    second = author.batch(ACTOR, default_policy(), states)
    second.room.log(incident, "another alert")
    second.room.log(incident, "and its reason")
    await second.commit(storage)
    return incident, [e.id for e in first.events + second.events]


def test_a_batch_on_the_current_record_is_judged_once(tmp_path: Path, counted):
    async def run() -> int:
        storage = SQLiteStorage(tmp_path / "data")
        await storage.start()
        try:
            states: dict[str, IncidentState] = {}
            incident, ids = await _declare_and_note(storage, ServerAuthor(tmp_path), states)
            page = await storage.incident_log(incident, 0, 100)
            assert page is not None and len(page.records) == len(ids) == 4
            for record in page.records:  # built unvalidated, each is what validation makes
                data = json.loads(record)["event"]
                assert Event.model_validate(data).model_dump(mode="json") == data
            return len(counted)
        finally:
            await storage.close()

    assert asyncio.run(run()) == 0


def test_a_batch_whose_incident_moved_on_is_judged_again_and_refused(tmp_path: Path, counted):
    async def run() -> None:
        storage = SQLiteStorage(tmp_path / "data")
        await storage.start()
        try:
            states: dict[str, IncidentState] = {}
            author = ServerAuthor(tmp_path)
            incident, _ = await _declare_and_note(storage, author, states)
            late = author.batch(ACTOR, default_policy(), states)
            late.room.log(incident, "decided while the incident was open")
            closing = make_event(
                "status_changed", incident, actor="ic", event_id=new_event_id(), status="closed"
            ).model_copy(update={"occurred_at": utcnow(), "recorded_at": utcnow()})
            await storage.append([closing], lambda state, event, log_of: None, "test")
            with pytest.raises(BatchRefused, match="closed"):
                await late.commit(storage)
            assert counted == [late.events[0].id]
            page = await storage.incident_log(incident, 0, 100)
            assert page is not None and len(page.records) == 5  # four, and the closing
        finally:
            await storage.close()

    asyncio.run(run())


def test_each_entry_is_built_once_the_event_warroom_checked(tmp_path: Path, monkeypatch):
    """The batch keeps the event ``WarRoom`` validated and judged (with its device's
    counter), rather than building it a second time; the record holds it as validated."""
    built: list[str] = []
    validated, constructed = Event.__init__, Event.model_construct.__func__

    def counting_init(self, **fields) -> None:
        built.append(fields["id"])
        validated(self, **fields)

    def counting_construct(cls, *args, **fields):
        built.append(fields["id"])
        return constructed(cls, *args, **fields)

    async def run() -> None:
        storage = SQLiteStorage(tmp_path / "data")
        await storage.start()
        try:
            states: dict[str, IncidentState] = {}
            with monkeypatch.context() as patched:
                patched.setattr(Event, "__init__", counting_init)
                patched.setattr(Event, "model_construct", classmethod(counting_construct))
                incident, ids = await _declare_and_note(storage, ServerAuthor(tmp_path), states)
            assert sorted(built) == sorted(ids)  # once each, by WarRoom's check
            page = await storage.incident_log(incident, 0, 100)
            assert page is not None
            kept = [json.loads(record)["event"] for record in page.records]
            counters = [(e["id"], e["device_seq"]) for e in kept]
            assert counters == [(event_id, n) for n, event_id in enumerate(ids, 1)]
        finally:
            await storage.close()

    asyncio.run(run())
