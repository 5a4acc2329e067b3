"""``:report`` in a real terminal (tmux, 80x24, a 16-colour TERM): the two charts and the
tables draw, in no colour beyond the 16, and the view closes with q."""

import os
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from tests.tui.conftest import room_for
from tests.tui.test_terminal import TMUX, WARROOM, wait_for
from warroom.core.timeparse import utcnow

EXTENDED_COLOUR = re.compile(r"\x1b\[[0-9;]*[34]8;[25];")
"""An SGR sequence choosing a 256-colour or true colour (38;5 / 48;2 …)."""


def seed(home: Path) -> str:
    """Incidents over three months (a SEV1 and a SEV2 resolved each month, MTTR growing
    by an hour a month) and one open SEV3; returns the open one's id."""
    room = room_for(home).confirming_backdate()
    now = utcnow()
    try:
        for month in range(3):
            for severity, hours in (("SEV1", 1 + month), ("SEV2", 2 + month)):
                declared = now - timedelta(days=31 * month + 1)
                event = room.declare(
                    f"{severity} month {month}", severity=severity, incident_type="outage",
                    impact_started_at=declared, at=declared,
                )  # fmt: skip
                resolved = declared + timedelta(hours=hours)
                room.set_status(event.incident_id, "resolved", at=resolved)
        return room.declare("Still open", severity="SEV3", incident_type="outage").incident_id
    finally:
        room.store.close()


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)")
def test_the_report_view_draws_its_charts_at_80x24_in_16_colours(home):
    incident = seed(home)
    socket, session = f"warroom-report-{os.urandom(6).hex()}", "warroom"
    tmux = [TMUX, "-L", socket]
    command = f"exec env WARROOM_HOME={home} WARROOM_USER=cy TERM=xterm COLORTERM= {WARROOM}"
    command += f" -i {incident}"
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command], check=True
    )

    def screen(*options: str) -> str:
        return subprocess.run(
            [*tmux, "capture-pane", "-p", *options, "-t", session], capture_output=True, text=True
        ).stdout

    def keys(*sent: str, literal: bool = False) -> None:
        subprocess.run([*tmux, "send-keys", "-t", session, *(["-l"] if literal else []), *sent])

    try:
        wait_for(lambda: "Still open" in screen(), 30, "the incident on screen")
        keys(":report", literal=True)
        keys("Enter")
        wait_for(lambda: "MTTR per month" in screen(), 30, "the charts")
        wait_for(lambda: "# Incident report" in screen(), 30, "the tables")
        drawn = screen()
        assert "Incidents per severity" in drawn
        assert "SEV1" in drawn and "SEV2" in drawn and "SEV3" in drawn  # bar labels
        this_month = f"{utcnow() - timedelta(days=1):%Y-%m}"
        assert this_month[2:] in drawn  # the month axis (plotext may shorten labels)
        assert "█" in drawn or "▇" in drawn  # bars, in the terminal's own colour
        assert not EXTENDED_COLOUR.search(screen("-e")), "colours beyond the 16"
        keys("G")
        wait_for(lambda: "Follow-up actions" in screen(), 10, "the end of the tables")
        keys("q")
        wait_for(lambda: "MTTR per month" not in screen(), 10, "the view closed")
        assert "Still open" in screen()
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
