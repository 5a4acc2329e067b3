"""``--database URL``: the PostgreSQL backend, as the CLI opens and names it."""

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

import typer

from warroom.cli.output import emit_json, say
from warroom.cli.params import Json
from warroom.core.errors import InvalidInput

SCHEMES = ("postgresql", "postgres")


def postgres_storage_url(url: str) -> None:
    """A plain message for a URL that is not a PostgreSQL one."""
    if urlsplit(url).scheme not in SCHEMES:
        raise InvalidInput(
            f"the database must be a postgresql:// URL (e.g. postgresql://warroom@db/warroom),"
            f" not {shown_url(url)!r}; SQLite is --data DIR"
        )


def postgres_storage(url: str, **options):
    """A ``PostgresStorage`` on ``url``."""
    postgres_storage_url(url)
    from warroom.server.postgres import PostgresStorage

    return PostgresStorage(url, **options)


def shown_url(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    user = f"{parts.username}:***@" if parts.username else ":***@"
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}{host}{port}"))


def migrate(
    source: Annotated[
        Path, typer.Option("--from", help="The SQLite server's data folder (stop it first).")
    ],
    target: Annotated[
        str, typer.Option("--to", help="An empty PostgreSQL database: postgresql://…")
    ],
    as_json: Json = False,
) -> None:
    """Copy a SQLite server's data into PostgreSQL: chains, checkpoints, key, tokens and
    cursors intact, so clients carry on against `warroom serve --database` unchanged."""
    postgres_storage_url(target)
    from warroom.server.postgres.copy import copy_sqlite

    copied = copy_sqlite(source.expanduser().resolve(), target)
    if as_json:
        emit_json(
            {
                "copied": copied.counts,
                "incidents": copied.incidents,
                "last_cursor": str(copied.last_position),
                "public_key": copied.public_key,
            }
        )
        return
    counts = ", ".join(f"{n} {table.replace('_', ' ')}" for table, n in copied.counts.items())
    say(f"copied {counts} to {shown_url(target)}")
    say(
        f"{copied.incidents} incident chain(s) verified with key {copied.public_key};"
        f" feed cursor continues after {copied.last_position}"
    )
