"""Build a dispatcher for a home: its channel book, its subscribers, its claims."""

from pathlib import Path

from fastapi import FastAPI

from warroom.actions import WarRoom
from warroom.core.policy import Policy
from warroom.notify.channels import load_channels
from warroom.notify.dispatcher import BACKOFF_S, LEASE_S, Claims, Dispatcher, Record
from warroom.notify.served import serve_deliveries
from warroom.notify.solo import LocalClaims, LocalRecord
from warroom.notify.subscriptions import load_subscriptions
from warroom.server.authored import ServerAuthor
from warroom.server.storage import EventStorage


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


def serve_dispatcher(
    app: FastAPI,
    storage: EventStorage,
    author: ServerAuthor,
    home: Path,
    policy: Policy,
    *,
    every_s: float,
    **options: float,
) -> None:
    """Deliver from ``warroom serve``: a dispatcher over the server's storage, its claims
    in that storage, started and stopped with ``app``."""
    load_channels(home)  # a broken file stops serve now, with its file:line
    load_subscriptions(home)
    serve_deliveries(
        app,
        storage,
        policy,
        author,
        lambda record: dispatcher_for(home, record, storage, policy, **options),
        every_s=every_s,
    )
