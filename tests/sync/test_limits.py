"""Size bounds: one event, one request body, one page — extra fields included.

Unknown payload fields are kept for forward compatibility, so the text limit does not
bound them; the canonical size of a whole event does, and pages stop at about 1 MiB.
"""

import json

import httpx

from tests.sync.conftest import Server, server_log
from tests.sync.test_faults import _event

INC = "inc-big001"
MAX_EVENT_BYTES = 64 * 1024  # warroom.core.events.MAX_EVENT_BYTES, spelled out
PAGE_BYTES = 1024 * 1024  # warroom.server.storage.PAGE_BYTES


def _with_extra(body: str, size: int) -> str:
    data = json.loads(body)
    data["payload"]["from_the_future"] = "x" * size
    return json.dumps(data)


def _push(http: httpx.Client, *bodies: str) -> httpx.Response:
    content = '{"events":[' + ",".join(bodies) + "]}"
    return http.post("/v1/push", content=content, headers={"Content-Type": "application/json"})


def _http(server: Server, name: str = "dora") -> httpx.Client:
    token = server.token(name)
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})


def test_an_event_over_the_limit_is_refused_by_name_with_its_push(server: Server):
    declared = _event(INC, "dora", 1, "declaration")
    big = _with_extra(_event(INC, "dora", 2), MAX_EVENT_BYTES)
    with _http(server) as http:
        answer = _push(http, declared, big)
        assert answer.status_code == 422
        detail = answer.json()["detail"]
        assert detail.startswith("events.1: entry ") and json.loads(big)["id"] in detail
        assert "over the limit of 65,536 bytes" in detail
        assert http.get("/v1/events").json()["items"] == []  # nothing of that push

        fits = _with_extra(_event(INC, "dora", 3), MAX_EVENT_BYTES - 2_000)
        results = _push(http, declared, fits).json()["results"]
        assert [r["status"] for r in results] == ["applied", "applied"]


def test_a_body_over_4_mib_is_refused_before_it_is_parsed(server: Server):
    with _http(server) as http:
        declared = _event(INC, "dora", 1, "declaration")
        many = [_with_extra(_event(INC, "dora", n), 60_000) for n in range(2, 80)]  # 4.7 MB
        answer = _push(http, declared, *many)
        assert answer.status_code == 413 and "too large" in answer.json()["detail"]
        assert _push(http, declared, *many[:60]).status_code == 200  # 3.6 MB is fine


def test_pages_stop_at_about_a_mebibyte_and_continue_by_cursor(server: Server, clients):
    entries = [_with_extra(_event(INC, "dora", n), 60_000) for n in range(2, 42)]  # 2.4 MB
    with _http(server) as http:
        _push(http, _event(INC, "dora", 1, "declaration"), *entries)
        sizes, after, seen = [], None, []
        while True:
            answer = http.get("/v1/events", params={"limit": 5000, "after": after or ""})
            sizes.append(len(answer.content))
            page = answer.json()
            seen += [item["event"]["id"] for item in page["items"]]
            after = page["cursor"]
            if page["up_to_date"]:
                break
        assert len(sizes) >= 3 and max(sizes) < PAGE_BYTES + 70_000, sizes
        assert len(seen) == len(set(seen)) == 41

        log = http.get(f"/v1/incidents/{INC}/events", params={"limit": 5000}).json()
        assert not log["up_to_date"] and 10 < len(log["records"]) < 20
    records, verified = server_log(server.url, server.token("vi", "viewer"), INC)  # pages on
    assert len(records) == verified.verified_events == 41

    follower = clients("fay", "viewer")  # the sync client follows the pages to the end
    follower.sync_once()
    assert len(follower.store.events(INC)) == 41
