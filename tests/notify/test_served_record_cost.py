"""The dispatcher of ``warroom serve`` folds only the incidents that may owe a delivery:
another incident's entries — a storm's alerts — are passed over on their text, where it
decoded, validated and folded every entry of the feed again (intake's entries a second
time, beside the writers' view). An incident whose first page arrives late is folded
from its log then, so nothing before the page is missing from its state.

Real parts: a ``SQLiteStorage`` on a file, run on an event loop of its own thread, read
by the ``ServedRecord`` from another thread as the dispatcher's ``Periodic`` does.
"""

import asyncio
import threading
from pathlib import Path

from tests.factories import declaration, make_event
from warroom.core.events import Event
from warroom.core.policy import default_policy
from warroom.server.authored import ServerAuthor
from warroom.server.delivery_task import ServedRecord
from warroom.server.sqlite import SQLiteStorage


def _alert(incident_id: str, n: int) -> Event:
    return make_event(
        "alert_received",
        incident_id,
        source="alertmanager",
        summary="Checkout p99 latency above 2 s",
        fingerprint=f"fp-{n}",
        group_key="g",
    )


def test_the_dispatcher_folds_only_incidents_that_may_owe_a_delivery(tmp_path: Path, monkeypatch):
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def call(coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(30)

    storage = SQLiteStorage(tmp_path / "data")
    call(storage.start())
    try:

        def push(events: list[Event]) -> None:
            call(storage.append(events, lambda *_: None, "test"))

        storm, paged = "inc-storm01", "inc-paged01"
        push([declaration(storm), *(_alert(storm, n) for n in range(40))])
        push([declaration(paged), make_event("note", paged, text="before the page")])
        record = ServedRecord(storage, loop, default_policy(), ServerAuthor(tmp_path))
        record.refresh()
        assert list(record.pending()) == []
        validated: list[str] = []
        validate = Event.model_validate

        def counting(data, *args, **kwargs):
            validated.append(data["incident_id"])
            return validate(data, *args, **kwargs)

        monkeypatch.setattr(Event, "model_validate", counting)
        push([*(_alert(storm, n) for n in range(40, 80)), make_event("note", storm, text="x")])
        page = make_event("escalation", paged, target="checkout-oncall", reason="p99 > 2 s")
        push([page, make_event("note", paged, text="after the page")])
        record.refresh()
        assert storm not in validated, f"{validated.count(storm)} storm entries were validated"
        ((state, pages),) = record.pending()
        assert state.id == paged and [p.subject_id for p in pages] == [page.id]
        assert state.event_count == 4 and state.title == "Checkout 502s"
    finally:
        call(storage.close())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
