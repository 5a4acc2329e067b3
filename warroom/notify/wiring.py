"""Build a dispatcher for a home: its channel book, its subscribers, its claims."""

import logging
from pathlib import Path

from warroom.actions import WarRoom
from warroom.core.errors import InvalidInput
from warroom.core.policy import Policy
from warroom.notify.channels import CHANNELS_FILE, ChannelBook, load_channels
from warroom.notify.dispatcher import BACKOFF_S, LEASE_S, Claims, Dispatcher, Record
from warroom.notify.solo import LocalClaims, LocalRecord
from warroom.notify.subscriptions import SUBSCRIPTIONS_FILE, Subscription, load_subscriptions

log = logging.getLogger(__name__)


class HomeBook:
    """The home's channel book and subscriptions, read again when either file changes
    (``warroom subscribe`` while ``serve`` runs). The first read raises on a broken file
    (with its file:line); later, a broken edit is logged once and the last good version
    stays in use."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self._stamp = self._stamps()
        self._books = load_channels(home), load_subscriptions(home)

    def _stamps(self) -> tuple[int | None, ...]:
        files = (self.home / CHANNELS_FILE, self.home / SUBSCRIPTIONS_FILE)
        return tuple(f.stat().st_mtime_ns if f.is_file() else None for f in files)

    def current(self) -> tuple[ChannelBook, list[Subscription]]:
        stamp = self._stamps()
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self._books = load_channels(self.home), load_subscriptions(self.home)
            except InvalidInput as exc:
                log.warning("delivery keeps the last good channels: %s", exc)
        return self._books


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
        HomeBook(home).current,
        policy,
        lease_s=lease_s,
        backoff_s=backoff_s,
    )


def solo_dispatcher(home: Path, room: WarRoom, **options: float) -> Dispatcher:
    """The dispatcher of a room without a server: the local store, claims in the home."""
    return dispatcher_for(home, LocalRecord(room), LocalClaims(home), room.policy, **options)
