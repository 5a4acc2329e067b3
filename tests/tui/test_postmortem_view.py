"""``:postmortem`` in a real terminal (tmux, 80x24): the draft opens read-only, scrolls
to its end and back, closes with q; a broken user template is named with file:line and
the shipped one is shown instead."""

import os
import subprocess

import pytest

from tests.learning.postmortem_records import every_kind_incident
from tests.tui.test_terminal import TMUX, WARROOM, wait_for
from warroom.cli.runtime import Runtime


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)")
def test_the_postmortem_draft_reads_and_scrolls_at_80x24(home):
    runtime, incident = every_kind_incident(home)
    events_before = runtime.store.state(incident).event_count
    folder = runtime.paths.data / "postmortem"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "broken.md.j2").write_text("fine\n{{ incident.nosuch }}\n")
    runtime.close()
    socket, session = f"warroom-pm-{os.urandom(6).hex()}", "warroom"
    tmux = [TMUX, "-L", socket]
    command = (
        f"exec env WARROOM_HOME={home} WARROOM_USER=cy TERM=xterm-256color {WARROOM} -i {incident}"
    )
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command], check=True
    )

    def screen() -> str:
        return subprocess.run(
            [*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True
        ).stdout

    def keys(*sent: str, literal: bool = False) -> None:
        subprocess.run([*tmux, "send-keys", "-t", session, *(["-l"] if literal else []), *sent])

    try:
        wait_for(lambda: "Edge cache serving stale" in screen(), 20, "the incident on screen")
        keys(":postmortem", literal=True)
        keys("Enter")
        wait_for(lambda: "# Postmortem: Edge cache" in screen(), 20, "the draft's first line")
        assert "## Summary" in screen()
        keys("G")
        wait_for(lambda: "Unchecked CDN config pushes" in screen(), 10, "the end of the draft")
        assert "# Postmortem:" not in screen()
        keys("g")
        wait_for(lambda: "# Postmortem: Edge cache" in screen(), 10, "back at the top")
        keys("q")
        wait_for(lambda: "# Postmortem:" not in screen(), 10, "the draft closed")
        keys(":postmortem broken", literal=True)
        keys("Enter")
        wait_for(lambda: "broken.md.j2:2:" in screen(), 20, "the template's file:line")
        assert "showing the shipped template" in screen()
        assert "# Postmortem: Edge cache" in screen()
        keys("Escape")
        wait_for(lambda: "# Postmortem:" not in screen(), 10, "the draft closed")
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
    after = Runtime(home, "cy")
    try:
        assert after.store.state(incident).event_count == events_before  # read-only
    finally:
        after.close()
