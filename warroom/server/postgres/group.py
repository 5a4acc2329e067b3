"""What one group commit of the PostgreSQL writer has read and decided, and the
parameters of its write (``group_sql.WRITE``)."""

from dataclasses import dataclass, field

from warroom.core.chain import Head
from warroom.core.events import Event
from warroom.core.timeparse import utcnow
from warroom.server.postgres.arrays import Bigints, Texts
from warroom.server.storage import AppendResult

NOTIFY_CHANNEL = "warroom_feed"
"""Committed groups are announced here as ``replica-id:last-position`` (a hint only)."""
_REJECTED = ("rejected", "rejected_incidents", "reasons", "bodies", "rejected_tokens")
"""The ``WRITE`` parameters of the rejections, in the order of ``Group.rejections``."""


@dataclass
class Pending:
    """An applied event waiting for its global position (taken in the write statement)."""

    event: Event
    seq: int
    digest: str
    rest: str
    """The record after its cursor: ``"incident_id":…}``."""
    token_id: str


@dataclass
class Group:
    """What the database holds of a group's keys, then what the group will write; a
    push works on a copy (``fork``) that replaces this one only if it succeeds."""

    heads: dict[str, Head]
    known: dict[str, AppendResult]
    counters: dict[tuple[str, int], str]
    """``(device_id, device_seq)`` → the event holding it, committed or claimed here."""
    owners: dict[str, str]
    pending: list[Pending] = field(default_factory=list)
    rejections: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    new_devices: dict[str, str] = field(default_factory=dict)
    new_counters: list[tuple[str, int, str]] = field(default_factory=list)

    def fork(self) -> "Group":
        return Group(
            dict(self.heads),
            dict(self.known),
            dict(self.counters),
            dict(self.owners),
            list(self.pending),
            list(self.rejections),
            dict(self.new_devices),
            list(self.new_counters),
        )


def write_params(expected: dict[str, Head], group: Group, replica_id: str) -> dict:
    """``WRITE``'s parameters: the group's rows, judged against the ``expected`` heads."""
    pending = group.pending
    rejected = list(zip(*group.rejections, strict=True)) or [()] * len(_REJECTED)
    counters = list(zip(*group.new_counters, strict=True)) or [()] * 3
    touched = sorted({p.event.incident_id for p in pending})
    return {
        "expected": Texts(expected),
        "expected_seqs": Bigints([head.seq for head in expected.values()]),
        "now": utcnow(),
        **dict(zip(_REJECTED, map(Texts, rejected), strict=True)),
        "devices": Texts(group.new_devices),
        "owners": Texts(group.new_devices.values()),
        "counter_devices": Texts(counters[0]),
        "counter_seqs": Bigints(counters[1]),
        "counter_events": Texts(counters[2]),
        "incidents": Texts([p.event.incident_id for p in pending]),
        "seqs": Bigints([p.seq for p in pending]),
        "ids": Texts([p.event.id for p in pending]),
        "hashes": Texts([p.digest for p in pending]),
        "tokens": Texts([p.token_id for p in pending]),
        "rests": Texts([p.rest for p in pending]),
        "touched": Texts(touched),
        "head_seqs": Bigints([group.heads[i].seq for i in touched]),
        "head_hashes": Texts([group.heads[i].hash for i in touched]),
        "channel": NOTIFY_CHANNEL,
        "replica": replica_id,
    }
