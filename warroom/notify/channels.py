"""The channel book: where notices and pages go, named by URL, and how each is sent.

``channels.toml`` in the home (beside ``config.toml``; ``warroom locate`` prints it)::

    [channels.ops-chat]
    url = "mmost://chat.example.com/hook-token"   # any Apprise URL: Slack, Teams, ...
    audiences = ["internal", "executive"]          # notices to these audiences go here
    pages = ["sre-oncall"]                         # the ladder's page targets sent here

    [channels.status-hook]
    url = "https://hooks.example.com/warroom"      # a plain JSON webhook

    [people.dee]
    url = "mailto://smtp.example.com?to=dee@example.com"   # for `subscribe --person dee`

Chat, email, ntfy, PagerDuty and Opsgenie go through Apprise, which speaks each of them
by URL; a plain ``http(s)://`` URL Apprise does not claim is a JSON webhook, posted with
the delivery id in ``Idempotency-Key`` so the receiver drops a repeat. The URLs are
secrets: they are never printed or recorded, only their ``redact``-ed form.
"""

import json
import re
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from warroom.core.delivery import Subject, Target
from warroom.core.errors import InvalidInput
from warroom.core.tomlpos import describe_error
from warroom.notify.redact import apprise_plugin, redact

if TYPE_CHECKING:
    import httpx

CHANNELS_FILE = "channels.toml"
SEND_TIMEOUT_S = 10.0
DELIVERY_HEADER = "Idempotency-Key"


class DeliveryError(Exception):
    """The channel refused the message or could not be reached; the text says which."""


def check_url(url: str) -> str:
    url = url.strip()
    if apprise_plugin(url):
        return url
    if re.match(r"^https?://[^/\s]+", url):
        return url
    scheme = url.split("://", 1)[0] if "://" in url else url[:20]
    raise ValueError(
        f"warroom cannot send to a {scheme!r} URL: use an Apprise URL (mmost://, slack://,"
        " mailto://, ntfy://, pagerduty://, ...) or an http(s):// JSON webhook"
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChannelSpec(_Strict):
    url: str
    audiences: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()

    _url = field_validator("url")(check_url)


class PersonSpec(_Strict):
    url: str

    _url = field_validator("url")(check_url)


class ChannelBook(_Strict):
    """Every channel and every person's address, by name."""

    channels: dict[str, ChannelSpec] = Field(default_factory=dict)
    people: dict[str, PersonSpec] = Field(default_factory=dict)

    def for_audience(self, audience: str) -> list[tuple[str, str]]:
        """``(name, url)`` of the channels an audience's notices go to."""
        return [(n, c.url) for n, c in self.channels.items() if audience in c.audiences]

    def for_page(self, target: str) -> list[tuple[str, str]]:
        return [(n, c.url) for n, c in self.channels.items() if target in c.pages]

    def person(self, name: str) -> str:
        spec = self.people.get(name.strip())
        if spec is None:
            known = ", ".join(self.people) or "none yet"
            raise InvalidInput(
                f"no person {name!r} in {CHANNELS_FILE} (people: {known});"
                f" add [people.{name.strip()}] with a url"
            )
        return spec.url


Model = TypeVar("Model", bound=BaseModel)


def parse_toml(text: str, source: str, model: type[Model]) -> Model:
    """``text`` as a ``model``; ``InvalidInput`` as ``file:line: field: message``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{source}: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(describe_error(text, source, exc.errors()[0])) from None


def parse_channels(text: str, source: str) -> ChannelBook:
    return parse_toml(text, source, ChannelBook)


def load_channels(home: Path) -> ChannelBook:
    """The home's channel book; an empty one when there is no file."""
    path = home / CHANNELS_FILE
    if not path.is_file():
        return ChannelBook()
    return parse_channels(path.read_text("utf-8", errors="replace"), str(path))


@dataclass(frozen=True)
class Message:
    """What goes out for one delivery."""

    delivery_id: str
    subject: Subject
    title: str
    text: str


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MENTION = re.compile(r"@(channel|here|all|everyone)\b", re.IGNORECASE)


def inert(text: str) -> str:
    """Text that cannot act on the receiving end: no control or escape sequences (a
    terminal or a log reader would run them), no bidi overrides, and no mass mentions in
    chat (``@channel`` keeps its letters but stops notifying everyone)."""
    return _MENTION.sub("@\u200b\\1", _CONTROL.sub("\ufffd", text))


def target_of(name: str, url: str) -> Target:
    return Target(key=name, label=redact(url))


def send(url: str, message: Message, timeout_s: float = SEND_TIMEOUT_S) -> str:
    """Send ``message`` to ``url``; the channel's answer, or ``DeliveryError``."""
    import apprise

    plugin = apprise_plugin(url)
    if not plugin:
        return _post_webhook(url, message, timeout_s)
    notifier = apprise.Apprise()
    notifier.add(plugin)
    mine = f"{threading.get_ident()} "  # the capture sees every sending thread's log
    with apprise.LogCapture(level=apprise.logging.WARNING, fmt="%(thread)d %(message)s") as log:
        sent = notifier.notify(
            title=inert(message.title),
            body=inert(message.text),
            body_format=apprise.NotifyFormat.TEXT,  # Apprise escapes it for HTML or Markdown
        )
        lines = [line[len(mine) :] for line in log.getvalue().splitlines() if line.startswith(mine)]
    if not sent:
        raise DeliveryError(_scrub(lines[-1] if lines else "the channel did not take it", url))
    return f"accepted by {plugin.service_name}"


_CLIENT_LOCK = threading.Lock()
_CLIENT: list["httpx.Client"] = []


def _webhooks() -> "httpx.Client":
    """One client for every webhook: thread-safe, and making one (its TLS context) costs
    tens of milliseconds, so it is made once, by one thread."""
    import httpx

    with _CLIENT_LOCK:
        if not _CLIENT:
            _CLIENT.append(httpx.Client(follow_redirects=False))
        return _CLIENT[0]


def _post_webhook(url: str, message: Message, timeout_s: float) -> str:
    import httpx

    subject = message.subject
    body = {
        "delivery_id": message.delivery_id,
        "incident_id": subject.incident_id,
        "kind": subject.kind,
        "audience": subject.audience,
        "target": subject.target,
        "title": message.title,
        "text": message.text,
    }
    try:
        response = _webhooks().post(
            url,
            content=json.dumps(body, ensure_ascii=True),
            headers={"Content-Type": "application/json", DELIVERY_HEADER: message.delivery_id},
            timeout=timeout_s,
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(_scrub(f"could not reach the webhook: {exc}", url)) from None
    answer = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    if response.status_code >= 300:
        raise DeliveryError(answer)
    return answer


def _scrub(text: str, url: str) -> str:
    """An error message with the URL and its secret parts taken out."""
    text = text.replace(url, redact(url))
    for secret in re.split(r"[/:@?&=]+", url.split("://", 1)[-1]):
        if len(secret) >= 8:
            text = text.replace(secret, "****")
    return text[:500] or "failed"
