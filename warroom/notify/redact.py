"""Channel URLs hold secrets (webhook tokens, passwords, API keys): show them redacted.

Apprise's own privacy form is used where Apprise knows the URL; a plain webhook keeps its
scheme, host and port and loses its credentials, path details and query."""

import functools
import logging
from typing import Any
from urllib.parse import urlsplit

logging.getLogger("apprise").addFilter(
    lambda record: not record.getMessage().startswith("Unparseable URL")
)  # asking Apprise whether it knows a plain webhook URL is not an error


def apprise_plugin(url: str) -> Any:
    """Apprise's notifier for ``url``, or None when Apprise does not speak it."""
    if not speaks_apprise(url):
        return None
    import apprise

    return apprise.Apprise.instantiate(url, suppress_exceptions=True) or None


@functools.lru_cache(maxsize=1024)
def speaks_apprise(url: str) -> bool:
    """Whether Apprise knows ``url`` (it takes Apprise ~10 ms to parse one: asked once)."""
    import apprise

    return bool(apprise.Apprise.instantiate(url, suppress_exceptions=True))


def _mask(part: str) -> str:
    return part if len(part) <= 2 else f"{part[0]}...{part[-1]}"


@functools.lru_cache(maxsize=1024)
def redact(url: str) -> str:
    """``url`` safe to print, export and put on the record."""
    plugin = apprise_plugin(url)
    if plugin:
        return plugin.url(privacy=True).split("?", 1)[0]
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an unreadable URL)"
    path = "/".join(_mask(segment) for segment in parts.path.split("/"))
    return f"{parts.scheme}://{host}{port}{path}"
