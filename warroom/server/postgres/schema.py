"""The PostgreSQL schema, its migrations, and the signing key kept in the database.

Several replicas share one database, so what a single SQLite server keeps beside its
file lives in tables here: the Ed25519 key that signs checkpoints (every replica signs
with the same key, the one clients pinned at login) and the global feed position
(``feed_head``, one row). Migrations run once each, in order, under a transaction-level
advisory lock, so replicas starting together never apply one twice.
"""

import os

import psycopg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg.conninfo import conninfo_to_dict

from warroom.core.errors import WarroomError
from warroom.server.keys import ServerKey
from warroom.server.postgres.group_sql import WRITE_FUNCTION
from warroom.server.storage import StorageError

MIGRATION_LOCK = 0x7761_7272_6F6F_6D  # "warroom": the advisory lock key of migrations

_SCHEMA_V1 = (
    """
CREATE TABLE feed_head (
    id integer PRIMARY KEY CHECK (id = 1),
    pos bigint NOT NULL
)""",
    "INSERT INTO feed_head VALUES (1, 0)",
    """
CREATE TABLE incident_heads (
    incident_id text PRIMARY KEY,
    seq bigint NOT NULL,
    hash text NOT NULL
)""",
    """
CREATE TABLE events (
    pos bigint PRIMARY KEY,
    incident_id text NOT NULL,
    seq bigint NOT NULL,
    event_id text NOT NULL UNIQUE,
    hash text NOT NULL,
    token_id text NOT NULL,
    received_at timestamptz NOT NULL,
    record text NOT NULL,
    UNIQUE (incident_id, seq)
)""",
    """
CREATE TABLE rejections (
    event_id text PRIMARY KEY,
    incident_id text NOT NULL,
    reason text NOT NULL,
    body text NOT NULL,
    token_id text NOT NULL,
    received_at timestamptz NOT NULL
)""",
    """
CREATE TABLE tokens (
    id text PRIMARY KEY,
    secret_hash text NOT NULL UNIQUE,
    name text NOT NULL,
    role text NOT NULL,
    device text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
)""",
    """
CREATE TABLE devices (
    device_id text PRIMARY KEY,
    owner text NOT NULL
)""",
    """
CREATE TABLE device_counters (
    device_id text NOT NULL,
    device_seq bigint NOT NULL,
    event_id text NOT NULL,
    PRIMARY KEY (device_id, device_seq)
)""",
    """
CREATE TABLE server_key (
    id integer PRIMARY KEY CHECK (id = 1),
    pem text NOT NULL
)""",
)
"""``feed_head.pos`` is the last global position handed out; it is taken under its row
lock by each committing group, so positions are dense and in commit order (``writer``).
``incident_heads`` holds each incident's chain head and is the row an append locks."""

_SCHEMA_V2 = (
    """
CREATE TABLE leases (
    name text PRIMARY KEY,
    holder text NOT NULL,
    expires_at timestamptz NOT NULL
)""",
)
"""Leases: which replica runs the background jobs (``server/leader.py``), on the
database's clock."""

_SCHEMA_V3 = (
    """
CREATE TABLE delivery_claims (
    delivery_id text PRIMARY KEY,
    holder text NOT NULL,
    lease_until timestamptz NOT NULL
)""",
)
"""Delivery claims: which process is sending a notice (``warroom.notify.claims`` says
why), on the database's clock so replicas' clocks need not agree."""

_SCHEMA_V4 = (WRITE_FUNCTION,)
"""The write of a group commit as a function in the database (``group_sql``): one
statement where there were four, about 50 us of the writer's thread and a share of the
database's CPU saved per statement, and a group on cached heads commits in that one
statement alone (``writer``)."""

MIGRATIONS: tuple[tuple[str, ...], ...] = (_SCHEMA_V1, _SCHEMA_V2, _SCHEMA_V3, _SCHEMA_V4)
SCHEMA_VERSION = len(MIGRATIONS)


PLANS_BY_KEY = "-c enable_seqscan=off -c jit=off"
"""The server's own statements find their rows by key; this keeps PostgreSQL's cached
plans of them on the keys' indexes at any table size. A statement run more than five
times gets a generic plan, made once and kept by the connection until the table is
ANALYZEd: made while the tables were nearly empty (a fresh database, the first seconds
of a server), it is a sequential scan, cheapest then, which reads the whole table on
every group commit once the tables have grown (nothing ANALYZEs them in the meantime;
autovacuum waits for a tenth of the table to change). With sequential scans priced out,
the planner probes the index whenever there is one; a statement without one still scans.
Pricing them out adds 10^10 to such a plan's cost, past every JIT threshold: the one-row
``SELECT pos FROM feed_head`` of each feed read, or the revocation watch's look at the
small ``tokens`` table twice a second, was compiled and optimised by LLVM each time,
50-200 ms of the database's CPU for a microsecond's work (about 40% of its CPU at 1,000
appends/s); the server's statements are all small, so JIT is off. These are settings
of the connection (sent in its startup packet: no extra round trip), so they never
reach sessions the server does not own."""


def by_key(url: str) -> dict[str, str]:
    """The connection keywords that set ``PLANS_BY_KEY``, after any ``options`` the URL
    (or ``PGOPTIONS``) already gives, which a keyword would otherwise replace."""
    given = conninfo_to_dict(url).get("options") or os.environ.get("PGOPTIONS", "")
    return {"options": f"{given} {PLANS_BY_KEY}".strip()}


def connect(url: str, **kwargs) -> psycopg.Connection:
    """A connection, or ``WarroomError`` saying in plain words why there is none."""
    try:
        return psycopg.connect(url, connect_timeout=10, **kwargs)
    except psycopg.ProgrammingError as exc:  # a malformed URL
        raise WarroomError(f"not a usable database URL: {_first_line(exc)}") from None
    except psycopg.Error as exc:
        raise WarroomError(f"cannot connect to the database: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def migrate(conn: psycopg.Connection) -> None:
    """Bring the database to ``SCHEMA_VERSION`` (see the module docstring)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS warroom_schema (version integer NOT NULL)")
        row = conn.execute("SELECT version FROM warroom_schema").fetchone()
        version = row[0] if row else 0
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"the database is from a newer warroom (schema {version}); upgrade warroom"
            )
        for statements in MIGRATIONS[version:]:
            for statement in statements:
                conn.execute(statement)
        conn.execute("DELETE FROM warroom_schema")
        conn.execute("INSERT INTO warroom_schema VALUES (%s)", (SCHEMA_VERSION,))


def _pem(private: Ed25519PrivateKey) -> str:
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def load_or_create_key(conn: psycopg.Connection) -> ServerKey:
    """The database's signing key, made by whichever replica asks first."""
    with conn.transaction():
        conn.execute(
            "INSERT INTO server_key VALUES (1, %s) ON CONFLICT DO NOTHING",
            (_pem(Ed25519PrivateKey.generate()),),
        )
        (pem,) = conn.execute("SELECT pem FROM server_key WHERE id = 1").fetchone()
    private = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise WarroomError("the database's server key is not an Ed25519 private key")
    return ServerKey(private)
