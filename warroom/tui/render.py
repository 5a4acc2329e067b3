"""Small rendering rules every pane shares: hostile text, durations, clock times."""

from datetime import datetime, timedelta

from rich.style import Style
from rich.text import Text

from warroom.core.sanitize import visible


def safe(text: str, style: str | Style = "") -> Text:
    """User text as a ``Text``: controls and bidi made visible, markup never parsed."""
    return Text(visible(text), style=style, no_wrap=True, end="")


def first_line(text: str, style: str | Style = "") -> Text:
    """Multi-line user text in one row: its first line and how many more there are
    (``⏎ +199 lines``); the details view shows them all."""
    head, _, rest = text.strip("\n").partition("\n")
    line = safe(head, style)
    if rest:
        more = rest.count("\n") + 1
        line.append(f"  ⏎ +{more} line{'s' if more > 1 else ''}", style="bold")
    return line


def short_duration(delta: timedelta) -> str:
    """``45s``, ``12m``, ``1h05m``, ``2d03h``: seconds only in the last minute, so a
    screen of clocks changes once a minute and an idle SSH link stays quiet."""
    total = int(delta.total_seconds())
    sign, total = ("-", -total) if total < 0 else ("", total)
    if total < 60:
        return f"{sign}{total}s"
    minutes, hours, days = total // 60, total // 3600, total // 86400
    if not hours:
        return f"{sign}{minutes}m"
    if not days:
        return f"{sign}{hours}h{minutes % 60:02d}m"
    return f"{sign}{days}d{hours % 24:02d}h"


def clock(moment: datetime) -> str:
    """A wall-clock time in the terminal's time zone (the room's), to the second; the
    zone is said once, where the times are (``zone_name``)."""
    return moment.astimezone().strftime("%H:%M:%S")


def zone_name() -> str:
    """The terminal's time zone as people write it (``UTC``, ``CET``), in which every
    time on screen is shown."""
    return datetime.now().astimezone().strftime("%Z") or "local time"


def stamp(moment: datetime) -> str:
    """A full date and time with its zone, for the details views: ``2026-11-24 10:00:00
    UTC``."""
    local = moment.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S ") + (local.strftime("%Z") or "local time")
