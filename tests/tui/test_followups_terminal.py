"""The follow-ups views in a real terminal: ``warroom`` inside tmux at 80x24 with 16
colours. Action items across incidents, overdue first and flagged; a change asks first
(it is typed on the ``:`` line, Enter records it); the risk register by exposure with a
passed review flagged; ``f:`` records a contributing factor."""

import os
import subprocess
from datetime import timedelta

import pytest

from tests.tui.conftest import room_for
from tests.tui.test_terminal import TMUX, WARROOM, wait_for
from warroom.core.timeparse import utcnow
from warroom.store.followups import incident_follow_ups


def _seed(home) -> tuple[str, str, str]:
    room = room_for(home)
    try:
        first = room.declare("Checkout 502s", severity="SEV2", incident_type="outage")
        other = room.declare("Queue lag on billing", severity="SEV3", incident_type="outage")
        now = utcnow()
        late = room.add_action_item(
            other.incident_id, "Alert on consumer lag", owner="bo", due=now - timedelta(days=2)
        )
        room.add_action_item(
            first.incident_id, "Add a canary stage", owner="cy", due=now + timedelta(days=5),
            priority="high",
        )  # fmt: skip
        risk = room.raise_risk(
            "Single DB primary", likelihood="likely", impact="severe",
            review_at=now - timedelta(days=1),
        )  # fmt: skip
        room.raise_risk("Stale runbooks", likelihood="rare", impact="minor")
        return first.incident_id, late.id, risk.incident_id
    finally:
        room.store.close()


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)")
def test_actions_and_register_views_at_80x24(home):
    incident, late_item, _ = _seed(home)
    socket, session = f"warroom-fu-{os.urandom(6).hex()}", "warroom"
    tmux = [TMUX, "-L", socket]
    command = f"exec env WARROOM_HOME={home} WARROOM_USER=tess TERM=xterm {WARROOM} -i {incident}"
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command], check=True
    )

    def screen() -> str:
        return subprocess.run(
            [*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True
        ).stdout

    def keys(*sent: str, literal: bool = False) -> None:
        subprocess.run([*tmux, "send-keys", "-t", session, *(["-l"] if literal else []), *sent],
                       check=True)  # fmt: skip

    try:
        wait_for(lambda: "Checkout 502s" in screen(), 20, "the incident on screen")
        keys("f: no canary stage in the pipeline", literal=True)
        keys("Enter")
        wait_for(lambda: "FACTOR" in screen(), 10, "the factor in the timeline")
        keys(":actions", literal=True)
        keys("Enter")

        def listed() -> list[str]:
            lines = screen().splitlines()
            shown = any("Alert on consumer lag" in line for line in lines)
            return lines if shown and any("Add a canary" in line for line in lines) else []

        lines = wait_for(listed, 15, "the action items")
        overdue = next(i for i, line in enumerate(lines) if "Alert on consumer lag" in line)
        later = next(i for i, line in enumerate(lines) if "Add a canary stage" in line)
        assert overdue < later and "OVERDUE" in lines[overdue] and "OVERDUE" not in lines[later]
        assert "bo" in lines[overdue] and "cy" in lines[later]
        header = lines[overdue - 1]  # the column names, right above the first item
        assert all(name in header for name in ("incident", "owner", "due", "prio", "status"))

        keys("d")  # the overdue item is highlighted first: done, typed on the : line
        wait_for(lambda: "followup done" in screen(), 10, "the change on the : line")
        keys("Enter")

        def recorded() -> bool:
            room = room_for(home)
            try:
                found = {
                    item.event_id: item
                    for group in incident_follow_ups(room.store)
                    for item in group.items
                }
                return found[late_item].status == "done"
            finally:
                room.store.close()

        wait_for(recorded, 10, "the item marked done in the store")

        keys(":risks", literal=True)
        keys("Enter")

        def register() -> list[str]:
            lines = screen().splitlines()
            return lines if any("Stale runbooks" in line for line in lines) else []

        lines = wait_for(register, 15, "the register")
        top = next(i for i, line in enumerate(lines) if "Single DB primary" in line)
        low = next(i for i, line in enumerate(lines) if "Stale runbooks" in line)
        assert top < low and "REVIEW OVERDUE" in lines[top] and " 20 " in lines[top]
        assert "OVERDUE" not in lines[low]
        assert all(name in lines[top - 1] for name in ("exp", "risk", "owner", "review"))
        keys("Tab")
        wait_for(lambda: "Add a canary stage" in screen(), 10, "tab back to the actions")
        assert "Alert on consumer lag" not in screen()  # done: no longer open
        keys("q")
        wait_for(lambda: "Action items" not in screen(), 10, "the view closed")
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)

    room = room_for(home)
    try:
        state = room.state(incident)
        assert [f.text for f in state.factors.values()] == ["no canary stage in the pipeline"]
    finally:
        room.store.close()
