"""Files the command line writes for the user: private to them, whatever the umask."""

import os
import sys
from collections.abc import Iterable
from pathlib import Path

from warroom.core.errors import InvalidInput


def write_private(path: Path, text: str | Iterable[str]) -> None:
    """Write ``text`` (or its chunks, streamed) to ``path`` readable by its owner only (0600).

    Exports hold the whole record and configs hold tokens: an existing file keeps its
    mode across ``O_TRUNC``, so it is tightened too, before anything is written to it.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        if isinstance(text, str):
            handle.write(text)
        else:
            handle.writelines(text)


def read_text_source(source: str, error: type[Exception] = InvalidInput) -> str:
    """The UTF-8 text of the file ``source`` (``-`` is standard input); ``error`` in the
    user's words when it cannot be read or is not UTF-8 text."""
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise error(f"cannot read {source}: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{source} is not UTF-8 text") from None
