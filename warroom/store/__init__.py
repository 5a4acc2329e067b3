"""The local SQLite store: the client's durable copy of every incident's log."""

from warroom.store.local import LocalStore

__all__ = ["LocalStore"]
