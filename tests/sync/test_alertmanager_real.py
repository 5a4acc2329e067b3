"""A real Prometheus Alertmanager posting to a real ``warroom serve``.

Alertmanager runs on 127.0.0.1 (free ports, clustering off) with a webhook receiver
pointing at the server's intake and ``http_config.authorization`` carrying an intake
token, as a team would configure it. ``amtool alert add`` fires an alert: a declared
incident carries it, the rule's reason and the runbook its ``runbook_url`` names;
Alertmanager's repeated notifications change nothing; ``amtool alert add --end=…``
resolves it and the resolution is recorded. Skipped only when the binaries are missing
(``.ci/run`` installs the ``prometheus-alertmanager`` package).
"""

import re
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.sync.conftest import free_port, wait_until
from tests.sync.intake_helpers import RUNBOOK_URL, incident_log, intake_server, kinds

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
AMTOOL = shutil.which("amtool")

pytestmark = pytest.mark.skipif(
    not (ALERTMANAGER and AMTOOL),
    reason="Prometheus Alertmanager is not installed (apt-get install prometheus-alertmanager)",
)

CONFIG = """\
route:
  receiver: warroom
  group_by: [alertname, service]
  group_wait: 200ms
  group_interval: 1s
  repeat_interval: 1s
receivers:
  - name: warroom
    webhook_configs:
      - url: {url}/v1/intake/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""
LABELS = ["alertname=CheckoutLatencyHigh", "service=checkout", "severity=critical"]
ANNOTATIONS = [
    "--annotation=summary=Checkout p99 latency above 2 s",
    "--annotation=p99_latency_ms=2450",
    f"--annotation=runbook_url={RUNBOOK_URL}",
]


@pytest.fixture
def warroom(tmp_path):
    server = intake_server(tmp_path / "server-data")
    yield server
    server.stop()


@pytest.fixture
def alertmanager(tmp_path, warroom):
    config = tmp_path / "alertmanager.yml"
    config.write_text(CONFIG.format(url=warroom.url, token=warroom.token("alertmanager", "intake")))
    url = f"http://127.0.0.1:{free_port()}"
    proc = subprocess.Popen(
        [
            ALERTMANAGER,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address={url.removeprefix('http://')}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until(lambda: _ready(url), timeout=20)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _ready(url: str) -> bool:
    try:
        return httpx.get(url + "/-/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _amtool(url: str, *args: str) -> None:
    subprocess.run(
        [AMTOOL, f"--alertmanager.url={url}", "alert", "add", *LABELS, *ANNOTATIONS, *args],
        check=True,
        timeout=20,
        capture_output=True,
    )


def _webhook_notifications(url: str) -> int:
    """How many notifications Alertmanager says its webhook delivered."""
    metrics = httpx.get(url + "/metrics", timeout=5).text
    found = re.search(
        r'^alertmanager_notifications_total\{integration="webhook"\} (\d+)', metrics, re.M
    )
    return int(found.group(1)) if found else 0


def _incidents(server, reader: str) -> list[str]:
    page = httpx.get(
        server.url + "/v1/events", headers={"Authorization": f"Bearer {reader}"}, timeout=10
    ).json()
    return sorted({item["incident_id"] for item in page["items"]})


def test_alertmanager_declares_repeats_nothing_and_resolves(warroom, alertmanager):
    reader = warroom.token("vic", "viewer")
    _amtool(alertmanager)
    wait_until(lambda: _incidents(warroom, reader), timeout=20)
    (incident,) = _incidents(warroom, reader)
    wait_until(lambda: "runbook_attached" in kinds(incident_log(warroom, reader, incident)), 10)
    events = incident_log(warroom, reader, incident)
    assert kinds(events) == [
        "declaration",
        "alert_received",
        "note",
        "escalation",
        "runbook_attached",
    ]
    alert = events[1]["payload"]
    assert alert["source"] == "alertmanager" and alert["status"] == "firing"
    assert alert["labels"]["service"] == "checkout" and alert["fingerprint"]
    assert "rule latency-p99 fired: p99_latency_ms 2450 > 2000" in events[2]["payload"]["text"]
    assert events[4]["payload"]["runbook_id"] == "KubePodCrashLooping"

    sent = _webhook_notifications(alertmanager)
    _amtool(alertmanager)  # the same alert again; Alertmanager also repeats every second
    wait_until(lambda: _webhook_notifications(alertmanager) >= sent + 2, timeout=20)
    assert len(incident_log(warroom, reader, incident)) == len(events)

    ended = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _amtool(alertmanager, f"--end={ended}")
    wait_until(
        lambda: incident_log(warroom, reader, incident)[-1]["payload"].get("status") == "resolved",
        20,
    )
    final = incident_log(warroom, reader, incident)
    assert kinds(final) == [*kinds(events), "alert_received"]
    assert final[-1]["payload"]["fingerprint"] == alert["fingerprint"]
    time.sleep(2)  # further notifications of the resolved alert change nothing either
    assert len(incident_log(warroom, reader, incident)) == len(final)
    assert _incidents(warroom, reader) == [incident]
