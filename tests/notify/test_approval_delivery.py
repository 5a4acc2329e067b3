"""Only approved text goes out, byte for byte, and a responder cannot send an external
notice: the dispatcher sends what ``ready_notices`` says and nothing else."""

from pathlib import Path

import pytest

from tests.notify.conftest import book_of, hook_url
from warroom.actions import WarRoom
from warroom.core.errors import InvalidInput
from warroom.notify.wiring import solo_dispatcher

TEXT = "We are investigating errors at checkout.\n\n  Next update by 14:30 UTC.  "


@pytest.fixture
def external_hook(hook, _isolated_home: Path):
    book_of(_isolated_home, {"status": hook_url(hook)}, '"external"')
    return hook


def _rooms(room: WarRoom) -> tuple[WarRoom, WarRoom, str]:
    """The commander (eli, the declarer) and a responder (bo) on one incident."""
    incident = room.declare("Checkout 502s", severity="SEV2", incident_type="outage").incident_id
    return room, WarRoom(room.store, room.policy, "bo"), incident


def _tick(room: WarRoom, home: Path) -> int:
    dispatcher = solo_dispatcher(home, room)
    try:
        return dispatcher.tick()
    finally:
        dispatcher.close()


def test_an_external_notice_goes_out_only_once_the_commander_approved_its_exact_text(
    room, external_hook, _isolated_home
):
    commander, responder, incident = _rooms(room)
    draft = responder.draft_notice(incident, "external", TEXT).payload.draft_id
    assert _tick(responder, _isolated_home) == 0 and external_hook.arrivals == []
    with pytest.raises(InvalidInput, match="needs the commander"):
        responder.approve_notice(incident, draft)
    commander.approve_notice(incident, draft)
    assert _tick(responder, _isolated_home) == 1
    (arrival,) = external_hook.arrivals
    assert arrival.json()["text"] == TEXT  # byte for byte, spaces and blank line kept


def test_a_draft_changed_after_approval_is_not_sent_until_approved_again(
    room, external_hook, _isolated_home
):
    commander, responder, incident = _rooms(room)
    draft = responder.draft_notice(incident, "external", "First text").payload.draft_id
    commander.approve_notice(incident, draft)
    responder.draft_notice(incident, "external", "Changed after approval", draft_id=draft)
    assert _tick(commander, _isolated_home) == 0 and external_hook.arrivals == []
    commander.approve_notice(incident, draft)
    assert _tick(commander, _isolated_home) == 1
    assert [a.json()["text"] for a in external_hook.arrivals] == ["Changed after approval"]
