"""Build a dispatcher for a home: its channel book, its subscribers, its claims."""

from pathlib import Path

from warroom.actions import WarRoom
from warroom.core.policy import Policy
from warroom.notify.channels import load_channels
from warroom.notify.dispatcher import BACKOFF_S, LEASE_S, Claims, Dispatcher, Record
from warroom.notify.solo import LocalClaims, LocalRecord
from warroom.notify.subscriptions import load_subscriptions


def dispatcher_for(
    home: Path,
    record: Record,
    claims: Claims,
    policy: Policy,
    *,
    lease_s: float = LEASE_S,
    backoff_s: float = BACKOFF_S,
) -> Dispatcher:
    """A dispatcher over ``record`` sending through ``home``'s channel book and
    subscriptions (read now: a broken file stops it here, with its file:line)."""
    return Dispatcher(
        record,
        claims,
        load_channels(home),
        policy,
        load_subscriptions(home),
        lease_s=lease_s,
        backoff_s=backoff_s,
    )


def solo_dispatcher(home: Path, room: WarRoom, **options: float) -> Dispatcher:
    """The dispatcher of a room without a server: the local store, claims in the home."""
    return dispatcher_for(home, LocalRecord(room), LocalClaims(home), room.policy, **options)
