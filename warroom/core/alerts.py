"""Alerts from monitoring systems, parsed and normalised into one ``Alert`` value.

Three shapes come in:

- the Prometheus Alertmanager webhook, version 4 (``groupKey``, ``status``, ``alerts[]``
  with ``labels``, ``annotations``, ``startsAt``, ``endsAt``, ``fingerprint``, …);
- Grafana's webhook contact point, which sends the same shape with fields of its own
  (``values``, ``valueString``, ``dashboardURL``, ``orgId``, ``state``, …) — one model
  reads both, and fields neither documents are tolerated, because a monitoring system
  that adds a field must not stop alerts reaching the war room;
- a small generic form for scripts (``GenericAlert``), strict, because a person wrote it
  and a misspelt key is a mistake worth reporting.

Real payloads have quirks handled here: ``endsAt`` of ``0001-01-01T00:00:00Z`` (Go's zero
time) means "still firing"; ``generatorURL`` may be empty; labels carry any UTF-8; times
have nanoseconds. A malformed payload raises ``MalformedPayload`` with the JSON path and
the reason in the user's words (``alerts.0.startsAt: not a time: 'soon' …``).

Fingerprint (the dedup key): Alertmanager's ``fingerprint`` (Grafana sends one too) when
present; for the generic form its ``dedup_key``; otherwise ``labels:`` followed by the
first 16 hex digits of the SHA-256 of the labels sorted by name, one ``name=value`` per
line — stable across processes and machines, and equal for equal label sets, as
Alertmanager's own fingerprint is.
"""

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from warroom.core.errors import InvalidInput
from warroom.core.wording import field_path, plain_message

Status = Literal["firing", "resolved"]
Format = Literal["auto", "alertmanager", "grafana", "generic"]

GO_ZERO_TIME = "0001-01-01T00:00:00Z"
"""What Alertmanager and Grafana send as ``endsAt`` while an alert is still firing."""

_FRACTION = re.compile(r"(\.\d{6})\d+")


class MalformedPayload(InvalidInput):
    """A payload that cannot be read as an alert; the message names the JSON path."""

    exit_code = 2


def _time(value: object) -> datetime | None:
    """An RFC 3339 time as monitoring systems write it (nanoseconds are cut to micro)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a time: {value!r} (ISO 8601 text, e.g. 2026-11-24T09:30:00Z)")
    try:
        parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", value.strip()))
    except ValueError:
        raise ValueError(f"not a time: {value!r} (ISO 8601, e.g. 2026-11-24T09:30:00Z)") from None
    if parsed.tzinfo is None:
        raise ValueError(f"not a time: {value!r} needs a time zone (e.g. Z or +01:00)")
    return parsed


def _end_time(value: object) -> datetime | None:
    """``endsAt``: Go's zero time (any zone or precision) means the alert has not ended."""
    if isinstance(value, str) and value.strip().startswith("0001-01-01"):
        return None
    return _time(value)


def _text_map(value: object) -> dict[str, str]:
    """Labels and annotations: names to text. A missing or null map is empty."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValueError("must be an object of names to text values")
    return dict(value)


def _number_map(value: object) -> dict[str, float]:
    """Grafana's ``values``: query ref ids to numbers (null means none sent)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError("must be an object of names to numbers")
    numbers = {}
    for name, number in value.items():
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise ValueError(f"{name}: {number!r} is not a number")
        numbers[str(name)] = float(number)
    return numbers


Time = Annotated[datetime | None, BeforeValidator(_time)]
EndTime = Annotated[datetime | None, BeforeValidator(_end_time)]
TextMap = Annotated[dict[str, str], BeforeValidator(_text_map)]
NumberMap = Annotated[dict[str, float], BeforeValidator(_number_map)]


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class WebhookAlert(_Tolerant):
    """One alert of an Alertmanager or Grafana webhook notification."""

    status: Status
    labels: TextMap = Field(default_factory=dict)
    annotations: TextMap = Field(default_factory=dict)
    starts_at: Time = Field(default=None, alias="startsAt")
    ends_at: EndTime = Field(default=None, alias="endsAt")
    generator_url: str = Field(default="", alias="generatorURL")
    fingerprint: str = ""
    values: NumberMap = Field(default_factory=dict)
    value_string: str = Field(default="", alias="valueString")
    dashboard_url: str = Field(default="", alias="dashboardURL")
    panel_url: str = Field(default="", alias="panelURL")
    silence_url: str = Field(default="", alias="silenceURL")
    image_url: str = Field(default="", alias="imageURL")


class WebhookPayload(_Tolerant):
    """An Alertmanager (version 4) or Grafana webhook notification: a group of alerts."""

    version: str = "4"
    group_key: str = Field(default="", alias="groupKey")
    truncated_alerts: int = Field(default=0, alias="truncatedAlerts")
    status: Status
    receiver: str = ""
    group_labels: TextMap = Field(default_factory=dict, alias="groupLabels")
    common_labels: TextMap = Field(default_factory=dict, alias="commonLabels")
    common_annotations: TextMap = Field(default_factory=dict, alias="commonAnnotations")
    external_url: str = Field(default="", alias="externalURL")
    alerts: tuple[WebhookAlert, ...] = Field(min_length=1)
    org_id: int | None = Field(default=None, alias="orgId")
    state: str = ""
    title: str = ""
    message: str = ""

    @property
    def is_grafana(self) -> bool:
        """Grafana says so with fields Alertmanager never sends."""
        return self.org_id is not None or any(
            a.values or a.value_string or a.dashboard_url or a.panel_url for a in self.alerts
        )


class Link(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = ""
    url: str = Field(min_length=1)


def _links(value: object) -> object:
    """The generic form's ``links``: a URL alone is a link without a title."""
    if isinstance(value, list):
        return [{"url": item} if isinstance(item, str) else item for item in value]
    return value


class GenericAlert(BaseModel):
    """The documented generic form, for scripts and anything that is not Alertmanager::

        {"summary": "checkout p99 above 2 s", "severity": "critical", "source": "pingdom",
         "dedup_key": "checkout-latency", "status": "firing",
         "labels": {"service": "checkout"}, "values": {"p99_latency_ms": 2450},
         "links": ["https://grafana.example/d/checkout"]}

    Only ``summary`` is required; ``status`` defaults to firing.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    summary: str = Field(min_length=1, max_length=1000)
    severity: str = ""
    source: str = "generic"
    dedup_key: str = ""
    status: Status = "firing"
    labels: TextMap = Field(default_factory=dict)
    annotations: TextMap = Field(default_factory=dict)
    values: NumberMap = Field(default_factory=dict)
    links: Annotated[tuple[Link, ...], BeforeValidator(_links)] = ()
    starts_at: Time = None
    ends_at: EndTime = None


class Alert(BaseModel):
    """One alert, whatever sent it: what rules match and the record keeps."""

    model_config = ConfigDict(frozen=True)

    source: str
    """``alertmanager``, ``grafana``, or the generic form's ``source``."""
    fingerprint: str
    group_key: str = ""
    status: Status
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    values: dict[str, float] = Field(default_factory=dict)
    links: tuple[Link, ...] = ()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    summary: str


def label_fingerprint(labels: Mapping[str, str]) -> str:
    """A stable fingerprint of a label set (see the module docstring)."""
    canonical = "\n".join(f"{name}={labels[name]}" for name in sorted(labels))
    return "labels:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def from_webhook(payload: WebhookPayload) -> list[Alert]:
    """The alerts of one webhook notification; group labels and annotations fill in."""
    source = "grafana" if payload.is_grafana else "alertmanager"
    alerts = []
    for item in payload.alerts:
        labels = payload.common_labels | item.labels
        annotations = payload.common_annotations | item.annotations
        links = [
            Link(title=title, url=url)
            for title, url in (
                ("source", item.generator_url),
                ("dashboard", item.dashboard_url),
                ("panel", item.panel_url),
                ("silence", item.silence_url),
                ("image", item.image_url),
            )
            if url
        ]
        summary = (
            annotations.get("summary")
            or annotations.get("description")
            or labels.get("alertname")
            or payload.title
            or "alert"
        )
        alerts.append(
            Alert(
                source=source,
                fingerprint=item.fingerprint or label_fingerprint(labels),
                group_key=payload.group_key,
                status=item.status,
                labels=labels,
                annotations=annotations,
                values=item.values,
                links=tuple(links),
                starts_at=item.starts_at,
                ends_at=item.ends_at,
                summary=summary,
            )
        )
    return alerts


def from_generic(payload: GenericAlert) -> Alert:
    """The generic form as an ``Alert``: its severity and summary become labels
    (``severity``, ``alertname``) when the labels do not already say, so the same
    matchers work on every source."""
    labels = {"alertname": payload.summary} | payload.labels
    if payload.severity:
        labels.setdefault("severity", payload.severity)
    return Alert(
        source=payload.source,
        fingerprint=payload.dedup_key or label_fingerprint(labels),
        group_key=payload.dedup_key,
        status=payload.status,
        labels=labels,
        annotations=payload.annotations,
        values=payload.values,
        links=payload.links,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        summary=payload.summary,
    )


def detect_format(data: object) -> Format:
    """A body with ``alerts`` is a webhook notification (Grafana if it says so)."""
    if isinstance(data, Mapping) and "alerts" in data:
        return "grafana" if "orgId" in data else "alertmanager"
    return "generic"


def parse_alerts(data: object, fmt: Format = "auto") -> list[Alert]:
    """A decoded JSON body as alerts, or ``MalformedPayload`` naming the path and why."""
    if not isinstance(data, Mapping):
        raise MalformedPayload("the payload must be a JSON object")
    shape = detect_format(data) if fmt == "auto" else fmt
    try:
        if shape == "generic":
            return [from_generic(GenericAlert.model_validate(data))]
        return from_webhook(WebhookPayload.model_validate(data))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = field_path(error["loc"]) or "payload"
        raise MalformedPayload(f"{where}: {plain_message(error, json=True)}") from None


def parse_alerts_text(text: str, fmt: Format = "auto") -> list[Alert]:
    """Alerts from JSON text (a file, standard input, a request body)."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedPayload(
            f"not JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    return parse_alerts(data, fmt)
