"""The OpenAPI document tells the truth: what it declares is what a real server does."""

from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.sync.conftest import Server
from tests.sync.test_faults import _event

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    srv = Server(Path(tmp_path_factory.mktemp("openapi")) / "server-data").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def responder(live: Server) -> str:
    token = live.token("dora")
    declaration = _event("inc-oapi01", "dora", 1, "declaration")
    httpx.post(
        live.url + "/v1/push",
        content=f'{{"events":[{declaration}]}}',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    ).raise_for_status()
    return token


@pytest.fixture(scope="module")
def document(live: Server) -> dict:
    return httpx.get(live.url + "/openapi.json").json()


@pytest.fixture
def api(live: Server):
    return schemathesis.openapi.from_url(live.url + "/openapi.json")


def test_errors_are_documented_as_sent(document: dict):
    problem = document["components"]["schemas"]["Problem"]
    assert problem["properties"]["detail"]["type"] == "string"
    assert "HTTPValidationError" not in document["components"]["schemas"]
    declared = {
        (path, method): set(operation["responses"])
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    assert {"401", "422", "503"} <= declared[("/v1/info", "get")]
    assert {"401", "403", "413", "422"} <= declared[("/v1/push", "post")]
    assert {"400", "401", "422"} <= declared[("/v1/events", "get")]
    assert {"404"} <= declared[("/v1/incidents/{incident_id}/events", "get")]
    assert {"403", "404"} <= declared[("/v1/tokens/{token_id}", "delete")]
    health = document["paths"]["/v1/health"]["get"]["responses"]
    report = {"$ref": "#/components/schemas/HealthReport"}
    assert health["503"]["content"]["application/json"]["schema"] == report  # its own body
    for path, methods in document["paths"].items():
        for operation in methods.values():
            for status, answer in operation["responses"].items():
                if status >= "400" and path != "/v1/health":
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Problem"}, (path, status)


def test_cursors_are_documented_as_validated(document: dict):
    after = next(
        p for p in document["paths"]["/v1/events"]["get"]["parameters"] if p["name"] == "after"
    )
    cursor = after["schema"]["anyOf"][0]
    assert cursor["pattern"] == "^[0-9]{0,18}$" and cursor["maxLength"] == 18


def test_the_payload_is_a_discriminated_union(document: dict):
    schemas = document["components"]["schemas"]
    known, unknown = schemas["Event"]["properties"]["payload"]["oneOf"]
    assert known["discriminator"]["propertyName"] == "kind"
    mapping = known["discriminator"]["mapping"]
    assert mapping["note"] == "#/components/schemas/Note" and len(mapping) == len(known["oneOf"])
    assert "kind" in schemas["Note"]["required"]
    assert unknown == {"$ref": "#/components/schemas/UnknownPayload"}
    assert set(schemas["UnknownPayload"]["properties"]["kind"]["not"]["enum"]) == set(mapping)


schema = schemathesis.pytest.from_fixture("api").exclude(path="/v1/stream")
"""The live document, less the endless stream (its answer never completes)."""


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_server_keeps_to_its_document(case, responder: str):
    """Generated requests, valid and not, with a responder's token: no 5xx, and every
    answer has a documented status, content type and body."""
    if case.path == "/v1/poll":  # a long poll would only wait: never for long here
        case.query = {**(case.query or {}), "timeout": 0}
    case.call_and_validate(headers={"Authorization": f"Bearer {responder}"}, checks=CHECKS)
