"""Notices on the screen, driven by the pilot: only an approver is offered approval, a
draft the write path refuses comes back in the editor with its text, and a read-only
screen cannot write one."""

from tests.tui.conftest import main_screen, make_app, opened, room_for, until
from tests.tui.test_flows import events_of as events
from warroom.tui.screens.compose import ComposeNotice, NoticeReview


def _incident(home, *, draft: str | None = None) -> str:
    room = room_for(home, actor="eli")  # the declarer commands
    try:
        iid = room.declare("Checkout", severity="SEV2", incident_type="outage").incident_id
        if draft is not None:
            room.draft_notice(iid, "external", draft)
    finally:
        room.store.close()
    return iid


def _notices(home, iid):
    return [e for e in events(home, iid) if e.kind.startswith("notice_")]


async def test_a_responder_is_not_offered_approval(home):
    iid = _incident(home, draft="We are investigating.\n")
    app = make_app(home, actor="cleo")
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        main_screen(pilot).run_command("notice")
        await until(
            pilot, lambda: isinstance(app.screen, NoticeReview) and app.screen.query("Static")
        )
        shown = str(app.screen.query("Static").last().render())
        assert "a approves" not in shown and "e revises" in shown
        await pilot.press("a", "y")
        await pilot.pause(0.3)
        assert [e.kind for e in _notices(home, iid)] == ["notice_drafted"]


async def test_a_refused_draft_comes_back_in_the_editor(home):
    iid = _incident(home)
    app = make_app(home, actor="eli")
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        main_screen(pilot).run_command("update external")
        await until(
            pilot, lambda: isinstance(app.screen, ComposeNotice) and app.screen.query("TextArea")
        )
        area = app.screen.query_one("TextArea")
        area.load_text("Our own words\n")
        room = room_for(home, actor="eli")  # meanwhile, the incident is closed
        try:
            room.set_status(iid, "closed")
        finally:
            room.store.close()
        await pilot.press("ctrl+s")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, ComposeNotice)
                and app.screen.query_one("TextArea").text == "Our own words\n"
            ),
        )
        assert any("is closed" in n.message for n in app._notifications)
        assert _notices(home, iid) == []


async def test_a_read_only_screen_writes_no_notice(home):
    iid = _incident(home)
    app = make_app(home, actor="eli", read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        main_screen(pilot).run_command("update external")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, ComposeNotice)
        assert any("read-only" in n.message for n in app._notifications)
        assert _notices(home, iid) == []
