"""``/status/`` on a real ``warroom serve``: delivered external notices only, no token,
escaped — read by headless Chromium as a phone would."""

import shutil
import subprocess

import httpx
import pytest

from tests.notify.conftest import book_of, hook_url
from tests.notify.test_served_delivery import _receipts
from tests.sync.conftest import Client, Server, wait_until

HOSTILE = 'Checkout is down <script>document.title="pwned"</script> & <b>bold</b>'
INTERNAL = "Internal only: the db primary is corrupt, do not tell customers"


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def published(tmp_path, hook):
    """A server that delivered one external notice (hostile text) and one internal one."""
    book_of(tmp_path / "server-home", {"hook": hook_url(hook)}, '"internal", "external"')
    server = Server(tmp_path / "server-data", options=("--deliver-every", "0.1")).start()
    client = Client(tmp_path, "eli", server.url, server.token("eli"))
    incident = client.room.declare("Secret title", severity="SEV1", incident_type="outage")
    incident_id = incident.incident_id
    external = client.room.draft_notice(incident_id, "external", HOSTILE).payload.draft_id
    client.room.approve_notice(incident_id, external)
    client.room.draft_notice(incident_id, "internal", INTERNAL)
    unapproved = "Never approved: must not show"
    client.room.draft_notice(incident_id, "external", unapproved)
    client.sync_once()
    wait_until(lambda: len(_receipts(server, client.token, incident_id)) == 2)
    yield server, incident_id
    client.close()
    server.stop()


def test_the_status_page_shows_delivered_external_notices_only(published):
    server, incident_id = published
    index = httpx.get(f"{server.url}/status/")  # no token
    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
    assert f'href="/status/{incident_id}"' in index.text
    page = httpx.get(f"{server.url}/status/{incident_id}")
    assert page.status_code == 200
    assert "&lt;script&gt;" in page.text and "<script>" not in page.text
    assert "&amp; &lt;b&gt;bold&lt;/b&gt;" in page.text
    for secret in (INTERNAL, "Secret title", "Never approved"):
        assert secret not in index.text and secret not in page.text
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none'
    assert httpx.get(f"{server.url}/status/inc-nothere").status_code == 404


@pytest.mark.skipif(_chromium() is None, reason="headless Chromium is not installed")
def test_headless_chromium_reads_the_notice_as_text_on_a_phone_screen(published, tmp_path):
    server, incident_id = published
    dom = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--window-size=390,844",
            "--virtual-time-budget=2000",
            "--dump-dom",
            f"{server.url}/status/{incident_id}",
        ],
        capture_output=True,
        text=True,
        timeout=90,
    ).stdout
    assert f"<title>Status of {incident_id}</title>" in dom  # the script did not run
    assert "&lt;script&gt;document.title" in dom  # it is text on the page
    assert "<b>" not in dom and INTERNAL not in dom
