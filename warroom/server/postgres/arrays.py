"""The writer's array parameters, written straight into PostgreSQL's binary array form.

psycopg's own list dumper looks at every element to choose the array's type, then dumps
each element through a dumper of its own: about 12 us for a one-element array, and a
group commit sends some twenty arrays. The writer's arrays are always one-dimensional,
without NULLs, of ``str`` (``Texts``) or of ``int`` (``Bigints``), so their bytes are
packed here in one pass. Wrap a list in one of these to send it as ``text[]`` or
``bigint[]`` on a connection ``register``-ed for them.
"""

import itertools
import struct

import psycopg
from psycopg import postgres
from psycopg.adapt import Dumper
from psycopg.pq import Format

_TEXT, _BIGINT = postgres.types["text"], postgres.types["int8"]
_EMPTY = struct.Struct("!iii")
"""An empty array: no dimensions, no NULLs, the element type."""
_HEADER = struct.Struct("!iiiii")
"""One dimension, no NULLs, the element type, the length, the lower bound (1)."""
_LENGTH = struct.Struct("!i")


class Texts(list):
    """A ``list[str]`` sent as ``text[]``."""


class Bigints(list):
    """A ``list[int]`` sent as ``bigint[]``."""


class _TextsDumper(Dumper):
    format = Format.BINARY
    oid = _TEXT.array_oid

    def dump(self, obj: Texts) -> bytes:
        if not obj:
            return _EMPTY.pack(0, 0, _TEXT.oid)
        parts = [_HEADER.pack(1, 0, _TEXT.oid, len(obj), 1)]
        for value in obj:
            data = value.encode()
            parts += (_LENGTH.pack(len(data)), data)
        return b"".join(parts)


class _BigintsDumper(Dumper):
    format = Format.BINARY
    oid = _BIGINT.array_oid

    def dump(self, obj: Bigints) -> bytes:
        if not obj:
            return _EMPTY.pack(0, 0, _BIGINT.oid)
        lengths = itertools.chain.from_iterable((8, value) for value in obj)
        return struct.pack(f"!5i{'iq' * len(obj)}", 1, 0, _BIGINT.oid, len(obj), 1, *lengths)


def register(conn: psycopg.Connection) -> None:
    """Let ``conn`` send ``Texts`` and ``Bigints`` (as ``%b`` parameters)."""
    conn.adapters.register_dumper(Texts, _TextsDumper)
    conn.adapters.register_dumper(Bigints, _BigintsDumper)
