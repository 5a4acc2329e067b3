"""The storage contract every backend implements (SQLite now, PostgreSQL later).

The protocol and the clients see only what is described here, so a second
implementation changes neither:

* **Serialised appends per incident.** Events of one incident are sequenced one at a
  time: ``server_seq`` is dense (1, 2, 3, …), the hash chain is extended and the access
  rule is judged (``admit``) against the incident's fold *in the same transaction*, and
  commit order equals sequence order. Different incidents may append in parallel.
  (PostgreSQL: ``SELECT … FROM incident_heads WHERE incident_id = $1 FOR UPDATE``.)
* **Idempotent on event id.** An event id seen before — applied or rejected — returns
  the original outcome with ``duplicate=True`` and changes nothing. This is checked
  first, before any other rule.
* **A device belongs to one person.** The person who wrote the first applied entry of a
  device id (its actor) owns it; an entry of that device written as anyone else is
  rejected with ``device_taken``'s reason. Nothing is claimed for an entry that is
  refused — by its access rule or otherwise — so no token can squat another person's
  device or its counters.
* **One event per device counter.** Each device numbers its events 1, 2, 3, … (``Event.
  device_seq``). The server keeps every ``(device_id, device_seq)`` of an applied event,
  with the event that used it (and so the highest counter per device). A *new* event id
  whose pair is already held by another event means two installs share one device
  identity — typically a copied ``WARROOM_HOME`` — and is rejected with
  ``device_clash``'s reason (the client keeps and shows it like any rejection); the event
  holding the pair keeps it. The claim is made after the access rule admitted the event,
  in the same transaction as the append, so it commits or rolls back with it. Gaps are
  normal and accepted: a counter also numbers events the server never applied (refused,
  or written before a server's data was restored from a backup). Order does not matter
  either — each pair is judged on its own, so a batch out of counter order is fine, and
  two events with the same pair in one batch keep the first. (PostgreSQL: tables with
  those primary keys and ``INSERT … ON CONFLICT DO NOTHING`` in the append's
  transaction; their unique indexes serialise two appends of one device to different
  incidents.)
* **Durable acknowledgement.** ``append`` returns only after the commit is durable.
* **Bounded.** An event whose canonical encoding is over ``MAX_EVENT_BYTES`` is refused
  with ``EventTooLarge`` and nothing of its push is appended; pages stop at
  ``PAGE_BYTES``.
* **Readers never skip.** ``feed(after)`` returns committed events in cursor order, and
  no event committed later may sort at or before a cursor already handed out. (SQLite:
  one writer, so the rowid order is the commit order. PostgreSQL: read below
  ``pg_snapshot_xmin(pg_current_snapshot())`` on an ``xid8`` column, or serialise the
  global position.) Cursors are opaque strings to clients.
* **Subscriptions are hints.** ``subscribe()`` yields batches of items after they
  commit; a batch may repeat items or be replaced by ``RESYNC`` (the subscriber fell
  behind, or a PostgreSQL LISTEN hint arrived without data), after which the subscriber
  re-reads the feed from its own cursor. Subscribing first, then reading the feed, then
  taking live batches (dropping positions already sent) loses nothing. A subscription
  belongs to a token: when the token is revoked, ``get`` raises ``TokenRevoked`` (within
  a second or two, however it was revoked), and the stream or long poll ends.
* **Leases elect one runner.** ``hold_lease(name, holder, ttl_s)`` takes the lease
  ``name`` for ``holder`` until ``ttl_s`` from now when it is free, expired or already
  ``holder``'s (a renewal), atomically, and says whether ``holder`` holds it; at most one
  holder at a time, whichever replica asks. ``release_lease`` gives it up at once. Every
  replica keeps the expiry on one clock (SQLite: the machine's, the only one that holds
  the data; PostgreSQL: the database's ``now()``, in a ``leases`` row updated with the
  same ``ON CONFLICT … DO UPDATE … WHERE holder = $2 OR expires_at <= now()``, or
  ``pg_try_advisory_lock`` on a session of its own). ``server/leader.py`` runs the
  background jobs on the holder only.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from warroom.core.events import MAX_EVENT_BYTES, Event
from warroom.core.sanitize import BIDI_CONTROLS, visible
from warroom.core.state import IncidentState

TokenRole = Literal["viewer", "responder", "admin", "intake"]
"""``intake`` (for monitoring systems) may post alerts and nothing else: every route but
the intake ones refuses it."""
TOKEN_ROLES: tuple[str, ...] = TokenRole.__args__

LogOf = Callable[[str], IncidentState | None]
"""Another log's state on this server by its id (``None`` if it has none), as committed
so far plus this push's events before it."""

Admit = Callable[[IncidentState | None, Event, LogOf], str | None]
"""Judge one event against the incident's state so far: a reason to reject, or None.
The ``LogOf`` is for an entry that names another log (a risk's link to an incident)."""


def device_clash(device_id: str, device_seq: int, holder: str, highest: int) -> str:
    """The reason given for an event whose device counter another event already holds."""
    return (
        f"device id {device_id} is also used by another install: its entry #{device_seq}"
        f" is already {holder} (highest seen: #{highest}). Was WARROOM_HOME copied? Give"
        " this install a home of its own (a new WARROOM_HOME, or move this one aside), run"
        " `warroom login` there, and write this entry again"
    )


def device_taken(device_id: str, owner: str, person: str) -> str:
    """The reason given for an entry written as ``person`` on a device ``owner`` owns."""
    return (
        f"device id {device_id} belongs to {owner}'s install, and this entry is {person}'s:"
        " each person writes from a home of their own. Use a WARROOM_HOME of your own, run"
        " `warroom login` there, and write this entry again"
    )


class StorageError(Exception):
    """The backend could not commit; the client should retry later (HTTP 503)."""


PAGE_BYTES = 1024 * 1024
"""A page of the feed or of an incident's log holds records up to about this many bytes
(and at least one), whatever its ``limit``; the client continues from its cursor."""


class EventTooLarge(ValueError):
    """An event over ``MAX_EVENT_BYTES`` encoded: the whole push is refused (HTTP 422)."""

    def __init__(self, index: int, event_id: str, size: int) -> None:
        super().__init__(
            f"events.{index}: entry {event_id} is {size:,} bytes encoded, over the limit of"
            f" {MAX_EVENT_BYTES:,} bytes for one entry (its text and every other field)"
        )


class InvalidCursor(ValueError):
    """A cursor this server never handed out."""


class TokenRevoked(Exception):
    """The token of a subscription was revoked: end its stream."""


class LastAdminToken(Exception):
    """Revoking this token would leave no active admin token (HTTP 409)."""

    def __init__(self, token_id: str) -> None:
        super().__init__(
            f"{token_id} is the last active admin token: revoking it would leave nobody"
            " able to manage tokens. Create another admin token first"
        )


NAME_MAX = 200
_NOT_IN_A_LABEL = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}]")


def token_fields(name: str, device: str = "") -> tuple[str, str]:
    """A new token's person name and device label, trimmed; ``ValueError`` with a
    sentence to show when one is blank (the name), too long or holds a control or bidi
    character — the name becomes the author of every entry written with the token, and
    both are shown in terminals. The one check for the CLI and the HTTP API."""
    cleaned = []
    for what, text, required in (("name", name, True), ("device", device, False)):
        text = text.strip()
        if required and not text:
            raise ValueError("the token needs a person's name")
        if len(text) > NAME_MAX:
            raise ValueError(f"the token's {what} is longer than {NAME_MAX} characters")
        if bad := _NOT_IN_A_LABEL.search(text):
            raise ValueError(
                f"the token's {what} may not contain control characters"
                f" (U+{ord(bad.group()):04X} in {visible(text)!r})"
            )
        cleaned.append(text)
    return cleaned[0], cleaned[1]


@dataclass(frozen=True)
class Principal:
    """Who a request is authenticated as."""

    token_id: str
    name: str
    role: TokenRole
    device: str = ""


@dataclass(frozen=True)
class TokenInfo:
    id: str
    name: str
    role: TokenRole
    device: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class AppendResult:
    id: str
    status: Literal["applied", "rejected"]
    duplicate: bool
    incident_id: str
    server_seq: int | None = None
    hash: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class FeedItem:
    """One sequenced event as clients receive it; ``record`` is its JSON text."""

    position: int
    cursor: str
    record: str


RESYNC: tuple[FeedItem, ...] = ()
"""A subscription batch meaning "re-read the feed from your cursor"."""


@dataclass(frozen=True)
class FeedPage:
    items: list[FeedItem]
    cursor: str
    up_to_date: bool


@dataclass(frozen=True)
class IncidentPage:
    records: list[str]
    next_after: int
    up_to_date: bool
    head_seq: int
    head_hash: str


class Subscription(Protocol):
    revoked: bool

    async def get(self) -> tuple[FeedItem, ...]: ...

    def ready(self) -> list[tuple[FeedItem, ...]]:
        """The batches already queued, taken without waiting (a stream writes what a
        burst of commits queued in one go)."""
        ...

    def close(self) -> None: ...


class EventStorage(Protocol):
    public_key: str

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def parse_cursor(self, cursor: str | None) -> int:
        """The position after which to read; raises ``InvalidCursor``."""
        ...

    async def append(
        self, events: list[Event], admit: Admit, token_id: str
    ) -> list[AppendResult]: ...

    async def feed(self, after: int, limit: int) -> FeedPage: ...

    async def incident_log(
        self, incident_id: str, after: int, limit: int
    ) -> IncidentPage | None: ...

    def subscribe(self, token_id: str) -> Subscription: ...

    async def authenticate(self, secret: str) -> Principal | None: ...

    async def create_token(
        self, name: str, role: TokenRole, device: str = ""
    ) -> tuple[TokenInfo, str]: ...

    async def list_tokens(self) -> list[TokenInfo]: ...

    async def revoke_token(self, token_id: str, *, keep_an_admin: bool = False) -> bool:
        """False if no such active token; ``LastAdminToken`` (with ``keep_an_admin``)
        rather than revoke the last active admin token."""
        ...

    def health(self) -> dict[str, dict[str, Any]]:
        """Each background thread's state: ``{"state": "running", …}`` by name."""
        ...

    async def hold_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        """Take or renew the lease ``name`` for ``holder`` (see the module docstring)."""
        ...

    async def release_lease(self, name: str, holder: str) -> None:
        """Give up ``name`` if ``holder`` holds it, so another replica takes it at once."""
        ...

    def claim_deliveries(self, delivery_ids: list[str], holder: str, lease_s: float) -> set[str]:
        """Take the claims on deliveries for ``lease_s`` seconds (or extend those
        ``holder`` has); the ids won, without those another holder's lease still covers.
        Atomic per delivery across every process on the database, so one notice is sent
        by one dispatcher at a time. Blocking (the dispatcher calls it from its own
        thread). (PostgreSQL: ``INSERT … ON CONFLICT (delivery_id) DO UPDATE … WHERE
        lease_until < now() OR holder = $2 RETURNING delivery_id``.)"""
        ...

    def release_deliveries(self, delivery_ids: list[str], holder: str) -> None:
        """End ``holder``'s leases on these deliveries at once."""
        ...
