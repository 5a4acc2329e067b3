"""Intake decides the next batch while the one before it commits, and commits it only
once that one has landed; when the one before fails, the batch decided on it is decided
again — on the record as it is, not on entries that never landed.

Real parts: a ``SQLiteStorage`` on a file whose appends are held (or, once, refused) at
the door, so the commit in flight can be watched from outside.
"""

import asyncio
import json
from pathlib import Path

import pytest

from tests.sync.intake_helpers import latency_alert, webhook
from warroom.core.alerts import WebhookPayload, from_webhook
from warroom.core.policy import default_policy
from warroom.server.authored import BatchRefused, ServerAuthor
from warroom.server.intake import IntakeDesk
from warroom.server.sqlite import SQLiteStorage


class HeldStorage:
    """The real storage, with each append waiting for ``door`` (and the first refused
    when ``refuse_first``)."""

    def __init__(self, storage: SQLiteStorage, refuse_first: bool = False) -> None:
        self.storage, self.refuse_first = storage, refuse_first
        self.door = asyncio.Event()
        self.appends = 0

    def __getattr__(self, name: str):
        return getattr(self.storage, name)

    async def append(self, events, admit, token_id):
        self.appends += 1
        await self.door.wait()
        if self.refuse_first and self.appends == 1:
            raise BatchRefused("the incident was closed meanwhile")
        return await self.storage.append(events, admit, token_id)


def _alerts(pod: str):
    return from_webhook(WebhookPayload.model_validate(webhook(latency_alert(pod))))


async def _until(condition, seconds: float = 5.0) -> bool:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return True
        await asyncio.sleep(0.01)
    return False


async def _record(storage: SQLiteStorage) -> dict[str, list[str]]:
    """The alerts on the record, by incident."""
    page = await storage.feed(0, 10_000)
    by_incident: dict[str, list[str]] = {}
    for item in page.items:
        event = json.loads(item.record)["event"]
        if event["payload"]["kind"] == "alert_received":
            by_incident.setdefault(event["incident_id"], []).append(event["payload"]["fingerprint"])
    return by_incident


def test_the_next_batch_is_decided_while_one_commits(tmp_path: Path):
    async def run() -> None:
        real = SQLiteStorage(tmp_path / "data")
        await real.start()
        held = HeldStorage(real)
        desk = IntakeDesk(held, default_policy(), ServerAuthor(tmp_path), {})  # type: ignore[arg-type]
        try:
            first = asyncio.create_task(desk.receive(_alerts("pod-1")))
            assert await _until(lambda: held.appends == 1)
            second = asyncio.create_task(desk.receive(_alerts("pod-2")))

            def decided() -> bool:
                return any("fp-pod-2" in s.alerts for s in desk.view.states.values())

            # before: the second waited for the first's commit to be decided at all
            assert await _until(decided, 2.0), "the second batch waited for the first commit"
            assert held.appends == 1, "the second batch was committed before the first landed"
            held.door.set()
            (one,), (two,) = await asyncio.wait_for(asyncio.gather(first, second), 10)
            assert one.news == two.news == "new" and one.incident == two.incident
            assert await _record(real) == {one.incident: ["fp-pod-1", "fp-pod-2"]}
        finally:
            await real.close()

    asyncio.run(run())


def test_a_batch_decided_on_one_that_failed_is_decided_again(tmp_path: Path):
    async def run() -> None:
        real = SQLiteStorage(tmp_path / "data")
        await real.start()
        held = HeldStorage(real, refuse_first=True)
        desk = IntakeDesk(held, default_policy(), ServerAuthor(tmp_path), {})  # type: ignore[arg-type]
        try:
            first = asyncio.create_task(desk.receive(_alerts("pod-1")))
            assert await _until(lambda: held.appends == 1)
            second = asyncio.create_task(desk.receive(_alerts("pod-2")))
            await asyncio.sleep(0.2)  # the second is decided, attached to the first's incident
            held.door.set()
            with pytest.raises(BatchRefused):
                await asyncio.wait_for(first, 10)
            (two,) = await asyncio.wait_for(second, 10)
            assert two.news == "new" and any(d.startswith("declared") for d in two.done)
            assert await _record(real) == {two.incident: ["fp-pod-2"]}
            assert [list(s.alerts) for s in desk.view.states.values()] == [["fp-pod-2"]]
        finally:
            await real.close()

    asyncio.run(run())
