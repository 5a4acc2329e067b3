"""Shared parts of the intake tests: a server whose home has a runbook alerts link to,
payloads, and reading back what the server recorded."""

import json
import shutil
from pathlib import Path

import httpx

from tests.sync.conftest import Server, server_log

RUNBOOK_URL = "https://runbooks.example.org/runbooks/kubernetes/KubePodCrashLooping"
PROJECT = Path(__file__).resolve().parents[2]


def intake_server(data: Path) -> Server:
    """A ``warroom serve`` whose home holds ``KubePodCrashLooping.md``, spelt as the
    public runbook repositories spell it (the alert's ``runbook_url`` names it)."""
    runbooks = data.parent / "server-home" / "runbooks"
    runbooks.mkdir(parents=True)
    shutil.copy(
        PROJECT / "runbooks" / "kube-pod-crash-looping.md", runbooks / "KubePodCrashLooping.md"
    )
    return Server(data).start()


def webhook(*alerts: dict, group: str = '{}:{alertname="CheckoutLatencyHigh"}') -> dict:
    """An Alertmanager v4 notification of ``alerts``."""
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    return {
        "version": "4",
        "groupKey": group,
        "status": status,
        "receiver": "warroom",
        "alerts": list(alerts),
    }


def latency_alert(instance: str = "checkout-7f9c:8080", status: str = "firing", **labels) -> dict:
    return {
        "status": status,
        "labels": {
            "alertname": "CheckoutLatencyHigh",
            "service": "checkout",
            "instance": instance,
            **labels,
        },
        "annotations": {
            "summary": "Checkout p99 latency above 2 s",
            "p99_latency_ms": "2450",
            "runbook_url": RUNBOOK_URL,
        },
        "startsAt": "2026-11-24T09:30:00.123456789Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-24T09:45:00Z",
        "generatorURL": "",
        "fingerprint": f"fp-{instance}",
    }


def post(server: Server, token: str, path: str, body: dict | str) -> httpx.Response:
    content = body if isinstance(body, str) else json.dumps(body)
    return httpx.post(
        f"{server.url}/v1/intake/{path}",
        content=content,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=30,
    )


def incident_log(server: Server, reader: str, incident_id: str) -> list[dict]:
    """The events of an incident as the server holds them, chain verified."""
    records, _ = server_log(server.url, reader, incident_id)  # raises on a broken chain
    return [record["event"] for record in records]


def kinds(events: list[dict]) -> list[str]:
    return [event["payload"]["kind"] for event in events]


def feed_size(server: Server, reader: str) -> int:
    page = httpx.get(
        f"{server.url}/v1/events",
        params={"limit": 5000},
        headers={"Authorization": f"Bearer {reader}"},
        timeout=30,
    ).json()
    return len(page["items"])
