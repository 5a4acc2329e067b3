"""Notices on the real ``warroom`` in tmux, at 80x24 and at full size: ``:update external``
opens the editor on the template, ctrl+s records the draft, the strip names it, ``:notice``
shows the commander the exact text to approve or send back, Esc asks before discarding.
Each step is read back from the SQLite store."""

import time

import pytest

from tests.tui.conftest import room_for
from tests.tui.test_flows import events_of as events
from tests.tui.test_terminal import TMUX
from tests.tui.test_terminal_keys import Tmux
from warroom.core.fold import fold
from warroom.core.notices import ready_notices, text_digest
from warroom.core.policy import default_policy

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")


def _declared(home, title="Checkout 502s <b>[red]x[/red]</b>"):
    room = room_for(home, actor="tess")  # the declarer holds command
    try:
        iid = room.declare(
            title, severity="SEV2", incident_type="outage", services=["checkout-api"]
        ).incident_id
        room.log(iid, "Fail over to us-east-2", kind="decision")
    finally:
        room.store.close()
    return iid


def _notices(home, iid):
    return [e for e in events(home, iid) if e.kind.startswith("notice_")]


def _command(tmux: Tmux, line: str) -> None:
    tmux.keys("Escape")
    time.sleep(0.3)  # (Escape and a key at once would be read as alt+key)
    tmux.keys(":")
    time.sleep(0.2)
    tmux.keys(line, literal=True)
    tmux.keys("Enter")


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
def test_draft_on_the_screen_then_the_commander_approves_it(home, size):
    iid = _declared(home)
    tmux = Tmux(home, size=size)
    try:
        tmux.wait(lambda: iid in tmux.screen(), "the incident on screen")
        _command(tmux, "update external")
        tmux.wait(lambda: "Notice to external" in tmux.screen(), "the editor")
        tmux.wait(lambda: "Investigating: checkout-api" in tmux.screen(), "the template's text")
        tmux.keys("EU ", literal=True)  # the cursor starts at the top
        tmux.keys("C-s")
        tmux.wait(lambda: _notices(home, iid), "the draft in the store")
        [drafted] = _notices(home, iid)
        assert drafted.payload.text.startswith("EU Investigating: checkout-api\n\n")
        assert drafted.payload.template == "external-investigating"
        draft_id = drafted.payload.draft_id
        waiting = f"NOTICE {draft_id}" if size[0] > 80 else f"NOTICE {draft_id}?"
        tmux.wait(lambda: waiting in tmux.screen(), "the strip naming the waiting notice")

        _command(tmux, "notice")
        tmux.wait(lambda: "a approves this text" in tmux.screen(), "the review")
        assert f"digest {drafted_digest(drafted)[:12]}" in tmux.screen()
        tmux.keys("a")
        tmux.wait(lambda: "Approve exactly this text" in tmux.screen(), "the question")
        tmux.keys("y")
        tmux.wait(lambda: len(_notices(home, iid)) == 2, "the approval in the store")
        approved = _notices(home, iid)[-1]
        assert approved.kind == "notice_approved" and approved.actor == "tess"
        state = fold(events(home, iid))
        (ready,) = ready_notices(state, default_policy())
        assert ready.text == drafted.payload.text
        tmux.wait(lambda: waiting not in tmux.screen(), "the strip cleared")
    finally:
        tmux.close()


def drafted_digest(event) -> str:
    return text_digest(event.payload.text)


def test_esc_asks_before_discarding_and_sending_back_takes_a_reason(home):
    iid = _declared(home)
    tmux = Tmux(home, size=(80, 24))
    try:
        tmux.wait(lambda: iid in tmux.screen(), "the incident on screen")
        _command(tmux, "update internal")
        tmux.wait(lambda: "**Conditions**" in tmux.screen(), "the CAN report")
        tmux.keys("Escape")
        tmux.wait(lambda: "Discard this draft?" in tmux.screen(), "the question")
        tmux.keys("x")  # not a yes: the writer was typing, the text keeps the key
        tmux.wait(lambda: "Discard this draft?" not in tmux.screen(), "the question gone")
        tmux.keys("Escape")
        tmux.wait(lambda: "Discard this draft?" in tmux.screen(), "the question again")
        tmux.keys("y")
        tmux.wait(lambda: "draft discarded" in tmux.screen(), "the discard said")
        assert _notices(home, iid) == []

        _command(tmux, "update external")
        tmux.wait(lambda: "Notice to external" in tmux.screen(), "the editor")
        tmux.keys("C-s")
        tmux.wait(lambda: _notices(home, iid), "the draft in the store")
        tmux.wait(lambda: "NOTICE u-" in tmux.screen(), "the strip naming the waiting notice")
        assert "?notice" not in tmux.screen()  # the timeline knows the kind
        _command(tmux, "notice")
        tmux.wait(lambda: "b sends it back" in tmux.screen(), "the review")
        tmux.keys("b")
        tmux.wait(lambda: "why it goes back" in tmux.screen(), "the reason line")
        time.sleep(0.5)
        tmux.keys("name the region", literal=True)
        tmux.keys("Enter")
        tmux.wait(lambda: len(_notices(home, iid)) == 2, "the return in the store")
        returned = _notices(home, iid)[-1]
        assert (returned.kind, returned.payload.reason) == ("notice_returned", "name the region")
    finally:
        tmux.close()
