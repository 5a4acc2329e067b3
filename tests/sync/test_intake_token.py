"""The ``intake`` token role, on a real ``warroom serve``: it may post alerts and nothing
else, so every existing route refuses it (403), while other roles are unaffected."""

import httpx
import pytest

ROUTES = [
    ("POST", "/v1/push", {"events": []}),
    ("GET", "/v1/events", None),
    ("GET", "/v1/info", None),
    ("GET", "/v1/tokens", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_an_intake_token_is_refused_everywhere_else(server, method, path, body):
    headers = {"Authorization": f"Bearer {server.token('alertmanager', 'intake')}"}
    response = httpx.request(method, server.url + path, json=body, headers=headers, timeout=10)
    assert response.status_code == 403
    assert response.json()["detail"] == "an intake token may only post alerts"


def test_a_responder_token_still_pushes(server):
    headers = {"Authorization": f"Bearer {server.token('ana')}"}
    response = httpx.post(server.url + "/v1/push", json={"events": []}, headers=headers, timeout=10)
    assert response.status_code == 200 and response.json() == {"results": []}
