"""An alert storm: 1,000 alerts for one service within a minute, posted by 20 senders at
once, end up in one incident — every alert on its record, one declaration, and each
rule's page (and TODO) once, not once per alert."""

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.sync.intake_helpers import incident_log, intake_server, kinds, latency_alert, webhook

SENDERS, PER_SENDER = 20, 50


def test_a_storm_of_1000_alerts_for_one_service_is_one_incident(tmp_path):
    server = intake_server(tmp_path / "server-data")
    try:
        token, reader = server.token("am", "intake"), server.token("vic", "viewer")

        def send(sender: int) -> set[str]:
            seen = set()
            with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
                for n in range(PER_SENDER):
                    body = webhook(latency_alert(f"pod-{sender}-{n}"), group=f"g-{sender}-{n}")
                    answer = http.post(server.url + "/v1/intake/alertmanager", json=body)
                    assert answer.status_code == 200, answer.text
                    seen.add(answer.json()["alerts"][0]["incident"])
            return seen

        started = time.monotonic()
        with ThreadPoolExecutor(SENDERS) as pool:
            incidents = set().union(*pool.map(send, range(SENDERS)))
        assert time.monotonic() - started < 60
        assert len(incidents) == 1
        events = incident_log(server, reader, incidents.pop())
        assert kinds(events).count("declaration") == 1
        alerts = [
            e["payload"]["fingerprint"] for e in events if e["payload"]["kind"] == "alert_received"
        ]
        assert len(alerts) == len(set(alerts)) == SENDERS * PER_SENDER
        pages = [
            (e["payload"]["rule"], e["payload"]["action"], e["payload"]["target"])
            for e in events
            if e["payload"]["kind"] == "escalation"
        ]
        assert pages and len(pages) == len(set(pages))  # each rule pages each target once
        todos = [e["payload"]["text"] for e in events if e["payload"]["kind"] == "todo"]
        assert len(todos) == len(set(todos))  # a rule's TODO is not added again while open
    finally:
        server.stop()
