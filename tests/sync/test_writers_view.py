"""Intake and the ladder of one server decide on one view of the open incidents, so the
ladder's tick does not fold again what intake wrote — all of a storm's entries at once,
on the event loop, while every request waits — and a writer catching up on the entries
it folded in ahead does not decode them again.

Real parts: the app ``create_app`` builds over a ``SQLiteStorage`` on a file, alerts
posted over its HTTP interface (in-process ASGI), and the ladder it registers ticking.
"""

import asyncio
import json
from pathlib import Path

import httpx

from tests.sync.intake_helpers import latency_alert, webhook
from warroom.core.alerts import WebhookPayload, from_webhook
from warroom.core.policy import default_policy
from warroom.core.timeparse import utcnow
from warroom.server import open_view
from warroom.server.app import create_app
from warroom.server.authored import ServerAuthor
from warroom.server.intake import IntakeDesk
from warroom.server.ladder_task import ServerLadder
from warroom.server.leader import BackgroundJobs
from warroom.server.sqlite import SQLiteStorage


def test_the_ladder_does_not_fold_what_intake_wrote(tmp_path: Path, monkeypatch):
    validated: list[str] = []
    validate = open_view.Event.model_validate

    def counting(data, *args, **kwargs):
        validated.append(data["id"])
        return validate(data, *args, **kwargs)

    async def run() -> None:
        storage = SQLiteStorage(tmp_path / "data")
        jobs = BackgroundJobs(storage)
        app = create_app(storage, author=ServerAuthor(tmp_path), ladder_every_s=5, jobs=jobs)
        (ladder,) = [job for job in jobs.jobs if isinstance(job, ServerLadder)]
        await storage.start()
        try:
            _, token = await storage.create_token("am", "intake")
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                for n in range(30):
                    body = json.dumps(webhook(latency_alert(f"pod-{n}")))
                    answer = await http.post(
                        "/v1/intake/alertmanager", content=body, headers=headers
                    )
                    assert answer.status_code == 200, answer.text
            await ladder.tick(utcnow())  # catches up on all 30 alerts' entries
            (incident,) = ladder.view.states.values()
            assert len(incident.alerts) == 30
        finally:
            await storage.close()

    monkeypatch.setattr(open_view.Event, "model_validate", counting)
    asyncio.run(run())
    assert validated == [], f"the views validated {len(validated)} entries intake made"


def test_a_writer_catching_up_on_its_own_entries_decodes_none(tmp_path: Path, monkeypatch):
    decoded: list[str] = []

    class CountingJSON:
        @staticmethod
        def loads(text: str):
            decoded.append(text)
            return json.loads(text)

    async def run() -> int:
        storage = SQLiteStorage(tmp_path / "data")
        await storage.start()
        try:
            desk = IntakeDesk(storage, default_policy(), ServerAuthor(tmp_path), {})
            payloads = [
                WebhookPayload.model_validate(webhook(latency_alert(f"pod-{n}"))) for n in range(3)
            ]
            await desk.receive(from_webhook(payloads[0]))  # the first read, then a batch
            monkeypatch.setattr(open_view, "json", CountingJSON)
            for payload in payloads[1:]:  # each catches up on the batch before it
                await desk.receive(from_webhook(payload))
            return desk.view.cursor
        finally:
            await storage.close()

    assert asyncio.run(run()) > 0
    assert decoded == [], f"{len(decoded)} of the desk's own records were decoded again"
