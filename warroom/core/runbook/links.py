"""The runbook an alert links to: its ``runbook_url`` annotation matched to a runbook id.

Alerting rules link runbooks by URL, written for wherever the team publishes them: a
static site (``https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping``,
lowercased by Hugo), a repository's file view (``.../KubePodCrashLooping.md``), with a
trailing slash, a query or an anchor. The runbook's file stem is its id, so the last path
segment names it, compared case-insensitively.
"""

from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

_PAGE_SUFFIXES = (".md", ".markdown", ".html", ".htm")
"""What a published page's name may end with beyond the runbook's id."""


def runbook_for_url(url: str | None, catalog_ids: Iterable[str]) -> str | None:
    """The id in ``catalog_ids`` that ``url``'s last path segment names, or ``None``.

    The segment is read without a trailing slash, query, fragment or page suffix
    (``.md``, ``.html``), percent-decoded, and compared without regard to case; when
    several ids differ only in case, the one spelt exactly as the URL wins, else the
    first in sorted order, so the answer never depends on the catalog's order.
    """
    segment = _last_segment(url or "")
    if not segment:
        return None
    wanted = segment.casefold()
    matches = sorted(i for i in catalog_ids if i.casefold() == wanted)
    if not matches:
        return None
    return segment if segment in matches else matches[0]


def _last_segment(url: str) -> str:
    """``https://host/a/KubePodCrashLooping.md?x#y`` → ``KubePodCrashLooping``."""
    try:
        path = urlsplit(url.strip()).path
    except ValueError:  # a malformed URL (an unclosed IPv6 bracket) links nowhere
        return ""
    segment = unquote(path.rstrip("/").rpartition("/")[2]).strip()
    lowered = segment.lower()
    for suffix in _PAGE_SUFFIXES:
        if lowered.endswith(suffix):
            return segment[: -len(suffix)]
    return segment
