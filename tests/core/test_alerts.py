"""Alert payloads as monitoring systems really send them, and the errors for bad ones."""

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from warroom.core.alerts import (
    MalformedPayload,
    detect_format,
    label_fingerprint,
    parse_alerts,
    parse_alerts_text,
)

PAYLOADS = Path(__file__).parent / "alert_payloads"


def _payload(name: str) -> dict:
    return json.loads((PAYLOADS / name).read_text("utf-8"))


def test_alertmanager_v4_with_its_quirks():
    firing, resolved = parse_alerts(_payload("alertmanager.json"))
    assert firing.source == "alertmanager" and firing.fingerprint == "1a30ba71cca2921f"
    assert firing.group_key.startswith("{}/{severity=")
    assert firing.status == "firing" and firing.ends_at is None  # Go's zero time
    assert firing.starts_at == datetime(2023, 2, 6, 13, 8, 45, 828123, tzinfo=UTC)  # nanoseconds
    assert firing.labels["région"] == "eu-west-1 — Zürich"
    assert firing.links == ()  # an empty generatorURL is no link
    assert firing.summary == "Checkout p99 latency above 2 s"
    assert resolved.status == "resolved"
    assert resolved.ends_at == datetime(2023, 2, 6, 13, 5, 45, 100000, timezone(timedelta(hours=1)))
    assert resolved.labels["service"] == "checkout"  # common labels fill in
    assert resolved.fingerprint == label_fingerprint(resolved.labels)  # none sent
    assert [link.title for link in resolved.links] == ["source"]


def test_grafana_contact_point_extras_are_read_or_tolerated():
    data = _payload("grafana.json")
    assert detect_format(data) == "grafana"
    (alert,) = parse_alerts(data, "alertmanager")  # the same model reads both
    assert alert.source == "grafana" and alert.fingerprint == "c6eadffa33fcdf37"
    assert alert.values == {"B": 44.23943737541908, "error_rate_pct": 7.5}
    assert [link.title for link in alert.links] == ["source", "silence"]
    assert alert.summary == "Payments error rate above 5%"
    data["alerts"][0]["somethingNew"] = {"added": "in a later Grafana"}
    data["alerts"][0]["values"] = None
    assert parse_alerts(data)[0].values == {}


def test_missing_optional_fields_are_fine():
    (alert,) = parse_alerts({"status": "firing", "alerts": [{"status": "firing"}]})
    assert alert.labels == {} and alert.starts_at is None and alert.summary == "alert"
    assert alert.fingerprint == label_fingerprint({})


def test_generic_form():
    (alert,) = parse_alerts(_payload("generic.json"))
    assert alert.source == "cron-checker" and alert.fingerprint == "nightly-export-lag"
    assert alert.labels == {
        "alertname": "Nightly export lagging",
        "severity": "warning",
        "service": "exports",
    }
    assert alert.values == {"lag_minutes": 95.0}
    assert [(link.title, link.url) for link in alert.links] == [
        ("", "https://ci.example.org/job/42"),
        ("dashboard", "https://grafana.example.org/d/exports"),
    ]
    (bare,) = parse_alerts({"summary": "disk full on db-1"})
    assert bare.status == "firing" and bare.fingerprint.startswith("labels:")


def test_label_fingerprint_is_stable_and_order_free():
    one = label_fingerprint({"b": "2", "a": "1"})
    assert one == label_fingerprint({"a": "1", "b": "2"}) == "labels:" + one[7:]
    assert len(one) == len("labels:") + 16 and one != label_fingerprint({"a": "1"})


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            {"status": "firing", "alerts": [{"status": "firing", "startsAt": "soon"}]},
            "alerts.0.startsAt: not a time: 'soon'",
        ),
        (
            {"status": "firing", "alerts": [{"status": "firing", "startsAt": "2024-01-01T10:00"}]},
            "alerts.0.startsAt: not a time: '2024-01-01T10:00' needs a time zone",
        ),
        (
            {"status": "firing", "alerts": [{"status": "exploded"}]},
            "alerts.0.status: 'exploded' is not one of the choices: 'firing' or 'resolved'",
        ),
        (
            {"status": "firing", "alerts": [{"status": "firing", "labels": {"a": 1}}]},
            "alerts.0.labels: must be an object of names to text values",
        ),
        (
            {"status": "firing", "alerts": [{"status": "firing", "values": {"B": "high"}}]},
            "alerts.0.values: B: 'high' is not a number",
        ),
        ({"status": "firing", "alerts": []}, "alerts: needs at least 1 item; it has none"),
        ({"alerts": [{"status": "firing"}]}, "status: is required and missing"),
        ({"summary": "x", "sevrity": "high"}, "sevrity: is not a known setting here"),
        ({"summary": ""}, "summary: must not be empty"),
        ({"summary": "x", "links": [{"title": "t"}]}, "links.0.url: is required and missing"),
        ([1, 2], "the payload must be a JSON object"),
    ],
)
def test_malformed_payloads_name_the_path_in_plain_words(payload, message):
    with pytest.raises(MalformedPayload) as info:
        parse_alerts(payload)
    assert str(info.value).startswith(message)
    assert "Input should" not in str(info.value) and "validation error" not in str(info.value)
    assert info.value.exit_code == 2


def test_text_that_is_not_json():
    with pytest.raises(MalformedPayload, match=r"^not JSON: line 1 column 13: "):
        parse_alerts_text('{"summary": ')
