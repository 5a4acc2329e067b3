"""Server-Sent Events frames of feed items, written so that no entry text can break one."""

import re
from collections.abc import Iterator

from warroom.server.storage import PAGE_BYTES, FeedItem

_LINE_BREAKERS = re.compile("[\u2028\u2029\u0085]")
"""Characters some line readers split on (Python's ``str.splitlines``, JavaScript before
ES2019). JSON lets them stand raw inside strings, the only place a record can hold them,
and their ``\\u`` escapes are the same JSON value: escaped, no text can break a frame."""


def frame(item: FeedItem) -> bytes:
    """One Server-Sent Event: the record on one ``data:`` line, whatever its text."""
    record = item.record
    if not record.isascii():  # O(1): most records need no look at all
        record = _LINE_BREAKERS.sub(lambda m: f"\\u{ord(m.group()):04x}", record)
    return f"id: {item.cursor}\ndata: {record}\n\n".encode()


def frames(items: list[FeedItem]) -> Iterator[bytes]:
    """The frames of ``items`` in chunks of about ``PAGE_BYTES``, so one large commit
    is never copied whole into one write per subscriber."""
    chunk: list[bytes] = []
    size = 0
    for item in items:
        encoded = frame(item)
        chunk.append(encoded)
        size += len(encoded)
        if size >= PAGE_BYTES:
            yield b"".join(chunk)
            chunk, size = [], 0
    if chunk:
        yield b"".join(chunk)
