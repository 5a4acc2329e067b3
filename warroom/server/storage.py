"""The storage contract every backend implements (SQLite now, PostgreSQL later).

The protocol and the clients see only what is described here, so a second
implementation changes neither:

* **Serialised appends per incident.** Events of one incident are sequenced one at a
  time: ``server_seq`` is dense (1, 2, 3, …), the hash chain is extended and the access
  rule is judged (``admit``) against the incident's fold *in the same transaction*, and
  commit order equals sequence order. Different incidents may append in parallel.
  (PostgreSQL: ``SELECT … FROM incident_heads WHERE incident_id = $1 FOR UPDATE``.)
* **Idempotent on event id.** An event id seen before — applied or rejected — returns
  the original outcome with ``duplicate=True`` and changes nothing.
* **Durable acknowledgement.** ``append`` returns only after the commit is durable.
* **Readers never skip.** ``feed(after)`` returns committed events in cursor order, and
  no event committed later may sort at or before a cursor already handed out. (SQLite:
  one writer, so the rowid order is the commit order. PostgreSQL: read below
  ``pg_snapshot_xmin(pg_current_snapshot())`` on an ``xid8`` column, or serialise the
  global position.) Cursors are opaque strings to clients.
* **Subscriptions are hints.** ``subscribe()`` yields batches of items after they
  commit; a batch may repeat items or be replaced by ``RESYNC`` (the subscriber fell
  behind, or a PostgreSQL LISTEN hint arrived without data), after which the subscriber
  re-reads the feed from its own cursor. Subscribing first, then reading the feed, then
  taking live batches (dropping positions already sent) loses nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from warroom.core.events import Event
from warroom.core.state import IncidentState

TokenRole = Literal["viewer", "responder", "admin"]
TOKEN_ROLES: tuple[str, ...] = TokenRole.__args__

Admit = Callable[[IncidentState | None, Event], str | None]
"""Judge one event against the incident's state so far: a reason to reject, or None."""


class StorageError(Exception):
    """The backend could not commit; the client should retry later (HTTP 503)."""


class InvalidCursor(ValueError):
    """A cursor this server never handed out."""


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
    async def get(self) -> tuple[FeedItem, ...]: ...

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

    def subscribe(self) -> Subscription: ...

    async def authenticate(self, secret: str) -> Principal | None: ...

    async def create_token(
        self, name: str, role: TokenRole, device: str = ""
    ) -> tuple[TokenInfo, str]: ...

    async def list_tokens(self) -> list[TokenInfo]: ...

    async def revoke_token(self, token_id: str) -> bool: ...
