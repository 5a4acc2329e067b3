"""Property-based fuzzing of the HTTP API: no 5xx, and the record stays consistent."""

import json
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sync.conftest import server_log
from tests.sync.test_faults import _event

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
KINDS = [
    "note",
    "declaration",
    "severity_changed",
    "role_assigned",
    "status_update",
    "handoff",
    "x",
]
INCIDENTS = ["inc-fuzz01", "inc-fuzz02", "inc-fuzz03"]


def _mutated(data, event: dict) -> dict:
    """A valid event with one field replaced, removed or added."""
    event = json.loads(json.dumps(event))
    target = data.draw(st.sampled_from(["top", "payload"]))
    where = event if target == "top" else event["payload"]
    key = data.draw(st.sampled_from([*where.keys(), "extra"]))
    action = data.draw(st.sampled_from(["replace", "delete"]))
    if action == "delete":
        where.pop(key, None)
    else:
        where[key] = data.draw(JSON)
    return event


def test_the_api_never_fails_with_a_server_error(server):
    writer, reader = server.token("fuzz", "responder"), server.token("eye", "viewer")
    http = httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {writer}"}, timeout=10
    )
    counter = iter(range(1, 10**6))
    for incident in INCIDENTS:
        declaration = json.loads(_event(incident, "fuzz", next(counter), "declaration"))
        answer = http.post("/v1/push", json={"events": [declaration]})
        assert answer.json()["results"][0]["status"] == "applied", answer.text
    seen: set[int] = set()

    @settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def exercise(data):
        choice = data.draw(
            st.sampled_from(["push-json", "push-mutated", "push-valid", "bytes", "get"])
        )
        if choice == "get":
            path = data.draw(
                st.sampled_from(["/v1/events", "/v1/poll", "/v1/info", "/v1/tokens"])
                | st.text(max_size=12).map(lambda t: f"/v1/incidents/{quote(t, safe='')}/events")
            )
            params = data.draw(
                st.dictionaries(
                    st.sampled_from(["after", "limit", "timeout", "x"]),
                    st.text(max_size=8) | st.integers(-5, 10**12).map(str),
                    max_size=3,
                )
            )
            if path == "/v1/poll":
                params["timeout"] = "0"
            answer = http.get(path, params=params)
        elif choice == "bytes":
            answer = http.post("/v1/push", content=data.draw(st.binary(max_size=200)))
        else:
            incident = data.draw(st.sampled_from(INCIDENTS))
            kind = data.draw(st.sampled_from(KINDS))
            event = json.loads(_event(incident, "fuzz", next(counter)))
            event["payload"] = {"kind": kind, "text": data.draw(st.text(min_size=1, max_size=30))}
            if kind == "threshold_crossed":
                event["payload"] |= {
                    "metric": "p99",
                    "value": data.draw(st.floats()),
                    "threshold": 1,
                }
            if choice == "push-mutated":
                event = _mutated(data, event)
            body = {"events": [event]} if choice != "push-json" else data.draw(JSON)
            content = json.dumps(body)  # NaN and Infinity included: not JSON, still not a 5xx
            answer = http.post("/v1/push", content=content)
        seen.add(answer.status_code)
        assert answer.status_code < 500, (answer.status_code, answer.text)

    exercise()
    assert {200, 422} <= seen
    for incident in INCIDENTS:  # nothing the fuzzer sent corrupted any chain
        records, verified = server_log(server.url, reader, incident)
        assert verified.verified_events == len(records) >= 1
    assert http.get("/v1/info").status_code == 200
