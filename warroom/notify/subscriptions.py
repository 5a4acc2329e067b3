"""Subscribers: more people and channels who get an audience's notices.

``warroom subscribe`` appends to ``subscriptions.toml`` in the home, one table per
subscription; a subscription names a channel URL or a person of the channel book, for
one incident or ``*`` (all). The file holds channel URLs, so it is private to its owner
and its URLs are shown redacted; it is validated like the channel book (file:line).
"""

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from warroom.notify.channels import check_url, parse_toml

SUBSCRIPTIONS_FILE = "subscriptions.toml"
ALL_INCIDENTS = "*"


class Subscription(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    incident: str = ALL_INCIDENTS
    audience: str
    channel: str | None = None
    person: str | None = None

    _url = field_validator("channel")(lambda url: None if url is None else check_url(url))

    @model_validator(mode="after")
    def _one_address(self) -> "Subscription":
        if (self.channel is None) == (self.person is None):
            raise ValueError("a subscription names either a channel URL or a person")
        return self

    def covers(self, incident_id: str, audience: str) -> bool:
        return self.audience == audience and self.incident in (ALL_INCIDENTS, incident_id)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subscriptions: list[Subscription] = Field(default_factory=list)


def load_subscriptions(home: Path) -> list[Subscription]:
    path = home / SUBSCRIPTIONS_FILE
    if not path.is_file():
        return []
    text = path.read_text("utf-8", errors="replace")
    return parse_toml(text, str(path), _File).subscriptions


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def add_subscription(home: Path, subscription: Subscription) -> bool:
    """Append ``subscription`` unless it is there already; False when it was."""
    existing = load_subscriptions(home)
    if subscription in existing:
        return False
    path = home / SUBSCRIPTIONS_FILE
    lines = ["", "[[subscriptions]]"]
    for key, value in subscription.model_dump(exclude_none=True).items():
        lines.append(f"{key} = {_toml_string(value)}")
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    return True
