"""``/status/``: the public status page — delivered external notices only, no token.

Read-only HTML for people outside the room, on a phone as well as a desk: a list of
incidents that have told the outside world something, and per incident the external
notices that actually went out (``notice_delivered`` to the ``external`` audience), each
exactly as delivered, newest first. Nothing else of the record is shown — no title, no
internal notice, no entry — because everything else was written for the room. Every
text is HTML-escaped; the page has no script and one small inline style.

``StatusView`` follows the storage's feed from its own cursor on each request (catching
up costs what was appended since the last one) and keeps, per incident, only the
texts drafted and the deliveries that matter here.
"""

import asyncio
import html
import json
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from warroom.core.notices import text_digest
from warroom.server.storage import EventStorage

PUBLIC_AUDIENCE = "external"
FEED_PAGE = 1000

_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:0 auto;padding:1rem;"
    "color:#111;background:#fff}h1{font-size:1.4rem}article{border-top:1px solid #ccc;"
    "padding:.5rem 0}time{color:#555;font-size:.9rem}p{white-space:pre-wrap;margin:.3rem 0}"
    "@media (prefers-color-scheme:dark){body{color:#eee;background:#111}time{color:#aaa}}"
)


@dataclass
class PublicIncident:
    texts: dict[tuple[str, str], str] = field(default_factory=dict)
    """Each drafted text by (draft id, digest), kept until it is delivered or replaced."""
    delivered: dict[tuple[str, str], datetime] = field(default_factory=dict)
    """When each (draft id, digest) first went out to the external audience."""
    drill: bool = False

    def notices(self) -> list[tuple[datetime, str]]:
        """``(delivered at, text)`` of every delivered external notice, newest first."""
        shown = [(at, self.texts[key]) for key, at in self.delivered.items() if key in self.texts]
        return sorted(shown, reverse=True)


class StatusView:
    """What the status page shows, folded from the feed."""

    def __init__(self, storage: EventStorage) -> None:
        self.storage = storage
        self.after = 0
        self.incidents: dict[str, PublicIncident] = {}
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        async with self._lock:
            while True:
                page = await self.storage.feed(self.after, FEED_PAGE)
                for item in page.items:
                    self._take(json.loads(item.record)["event"])
                self.after = self.storage.parse_cursor(page.cursor)
                if page.up_to_date:
                    return

    def _take(self, event: dict) -> None:
        payload, incident_id = event["payload"], event["incident_id"]
        kind = payload.get("kind")
        if kind == "declaration":
            self.incidents.setdefault(incident_id, PublicIncident()).drill = bool(
                payload.get("drill")
            )
        elif kind == "notice_drafted" and payload.get("audience") == PUBLIC_AUDIENCE:
            text = payload["text"]
            incident = self.incidents.setdefault(incident_id, PublicIncident())
            incident.texts[(payload["draft_id"], text_digest(text))] = text
        elif kind == "notice_delivered" and payload.get("audience") == PUBLIC_AUDIENCE:
            incident = self.incidents.setdefault(incident_id, PublicIncident())
            key = (payload["subject_id"], payload.get("version", ""))
            incident.delivered.setdefault(key, datetime.fromisoformat(event["occurred_at"]))

    def public(self) -> dict[str, list[tuple[datetime, str]]]:
        """Incidents with a delivered external notice (drills left out), newest first."""
        shown = {
            incident_id: notices
            for incident_id, incident in self.incidents.items()
            if not incident.drill and (notices := incident.notices())
        }
        return dict(sorted(shown.items(), key=lambda item: item[1][0][0], reverse=True))


def _page(title: str, body: str) -> HTMLResponse:
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return HTMLResponse(
        document,
        headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
        },
    )


def _when(at: datetime) -> str:
    return f'<time datetime="{at.isoformat()}">{at:%Y-%m-%d %H:%M} UTC</time>'


def status_router(storage: EventStorage) -> APIRouter:
    """The two pages, over a view of ``storage``'s feed."""
    view = StatusView(storage)
    router = APIRouter(include_in_schema=False)

    @router.get("/status/")
    async def index() -> HTMLResponse:
        await view.refresh()
        public = view.public()
        if not public:
            return _page("Status", "<h1>Status</h1><p>No incidents to report.</p>")
        items = "".join(
            f'<article><a href="/status/{html.escape(incident_id)}">'
            f"{html.escape(incident_id)}</a> {_when(notices[0][0])}"
            f"<p>{html.escape(notices[0][1].strip().splitlines()[0])}</p></article>"
            for incident_id, notices in public.items()
        )
        return _page("Status", f"<h1>Status</h1>{items}")

    @router.get("/status/{incident_id}")
    async def incident(incident_id: str) -> HTMLResponse:
        await view.refresh()
        notices = view.public().get(incident_id)
        if not notices:
            raise HTTPException(404, "no public notices for this incident")
        name = html.escape(incident_id)
        items = "".join(
            f"<article>{_when(at)}<p>{html.escape(text)}</p></article>" for at, text in notices
        )
        back = '<p><a href="/status/">All incidents</a></p>'
        return _page(f"Status of {incident_id}", f"<h1>{name}</h1>{items}{back}")

    return router
