"""``--database URL``: the PostgreSQL backend, as the CLI opens and names it."""

from urllib.parse import urlsplit, urlunsplit

from warroom.core.errors import InvalidInput

SCHEMES = ("postgresql", "postgres")


def postgres_storage(url: str, **options):
    """A ``PostgresStorage`` on ``url``; a plain message for a URL that is not one."""
    if urlsplit(url).scheme not in SCHEMES:
        raise InvalidInput(
            f"--database takes a postgresql:// URL (e.g. postgresql://warroom@db/warroom),"
            f" not {shown_url(url)!r}; use --data DIR for SQLite"
        )
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
