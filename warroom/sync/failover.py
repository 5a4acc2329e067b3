"""One client over several replicas of one server: when one stops answering, use the next.

Replicas of one record (several ``warroom serve`` on one PostgreSQL database, or a
SQLite server restarted elsewhere on the same data) share its events, cursors and
signing key, so moving from one to another mid-sync is safe: a push is idempotent on
event ids (a retry after a lost answer gets the original result), and the feed resumes
from the client's own cursor, which means the same position on every replica. Nothing
is lost, doubled or reordered by a move; ``SyncEngine`` and ``warroom verify`` use this
client with one URL or many.

What counts as not answering is what ``ServerClient`` raises as ``Offline``: no route, a
refused connection, a timeout, a 5xx, a garbled answer. A request tries each replica
once, starting with the one that answered last, before it gives up with ``Offline``
(the caller then backs off as for one server). A stream cannot be resumed in the middle
by someone else, so a cut stream moves on to the next replica and raises ``Offline``:
the sync loop follows again from its cursor, there. A refusal (401, 403, 4xx) is an
answer, never a reason to move.
"""

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from warroom.config import server_urls
from warroom.store.feed_records import DecodedPage
from warroom.sync.client import Offline, ServerClient, ServerRefused

T = TypeVar("T")


class FailoverClient:
    """``ServerClient``'s calls over the replicas named in ``server``; one thread only."""

    def __init__(self, server: str, token: str, *, timeout: float = 10.0) -> None:
        self.urls = server_urls(server)
        self.replicas = [ServerClient(url, token, timeout=timeout) for url in self.urls]
        self.current = 0
        """The replica tried first: the one that answered last."""
        self._closed = False

    @property
    def base_url(self) -> str:
        """The replica in use (for messages)."""
        return self.replicas[self.current].base_url

    @property
    def answers(self) -> int:
        """Responses received from any replica; the sync loop resets its backoff on it."""
        return sum(replica.answers for replica in self.replicas)

    def close(self) -> None:
        """Close every replica's pool; safe from another thread (``SyncEngine.stop``)."""
        self._closed = True
        for replica in self.replicas:
            replica.close()

    def _move_on(self, failed: int) -> None:
        if self.current == failed:
            self.current = (failed + 1) % len(self.replicas)

    def _each(self, call: Callable[[ServerClient], T]) -> T:
        """``call`` on the current replica, then on each other one while they are
        ``Offline``; the last ``Offline`` (naming every replica tried) if none answers."""
        failures: list[str] = []
        for _ in range(len(self.replicas)):
            index = self.current
            try:
                return call(self.replicas[index])
            except Offline as exc:
                if self._closed:
                    raise
                failures.append(str(exc))
                self._move_on(index)
        raise Offline("; ".join(failures))

    def info(self) -> dict[str, Any]:
        return self._each(lambda replica: replica.info())

    def info_everywhere(self) -> tuple[dict[str, Any], list[str]]:
        """``/v1/info`` from every replica, for ``warroom login``: the first answer, and
        the replicas that did not answer (``Offline`` if none did). Replicas that answer
        with different keys are not one record: ``ServerRefused`` says which."""
        answers: dict[str, dict[str, Any]] = {}
        silent: list[str] = []
        for replica in self.replicas:
            try:
                answers[replica.base_url] = replica.info()
            except Offline as exc:
                silent.append(f"{replica.base_url} ({exc})")
        if not answers:
            raise Offline("; ".join(silent))
        (first_url, first), *others = answers.items()
        for url, info in others:
            if info.get("public_key") != first.get("public_key"):
                raise ServerRefused(
                    url,
                    f"it signs with another key than {first_url}: these are not replicas of"
                    " one server's record, and one home follows one record",
                )
        return first, silent

    def push(self, bodies: list[str]) -> list[dict[str, Any]]:
        return self._each(lambda replica: replica.push(bodies))

    def feed(self, after: str | None, limit: int = 5000) -> DecodedPage:
        return self._each(lambda replica: replica.feed(after, limit))

    def feed_bytes(self, after: str | None, limit: int = 5000) -> bytes:
        return self._each(lambda replica: replica.feed_bytes(after, limit))

    def poll(self, after: str | None, timeout: float) -> DecodedPage:
        return self._each(lambda replica: replica.poll(after, timeout))

    def incident_log(
        self, incident_id: str, after: int, limit: int = 5000
    ) -> dict[str, Any] | None:
        return self._each(lambda replica: replica.incident_log(incident_id, after, limit))

    def stream(self, after: str | None, read_timeout: float) -> Iterator[tuple[str, Any]]:
        """The current replica's stream; when it is cut, the next replica is current
        for the caller's next attempt (which resumes from its own cursor)."""
        index = self.current
        try:
            yield from self.replicas[index].stream(after, read_timeout)
        except Offline:
            if not self._closed:
                self._move_on(index)
            raise
