"""A risk's links judged by a real ``warroom serve`` as by the local write path: a
client that skips its own checks (raw HTTP with a responder's or a viewer's token)
cannot link a risk to an action or an incident that the server does not hold, link in
a risk log that was never raised, or send fields past their size."""

import httpx
import pytest

from tests.core.test_wording import PYDANTIC
from tests.sync.conftest import Server
from warroom.core.events import Event
from warroom.core.ids import new_event_id
from warroom.core.timeparse import utcnow

INC, RISK = "inc-link01", "risk-link01"
OUTAGE = {"incident_type": "outage", "severity": "SEV2"}
SCALES = {"likelihood": "likely", "impact": "severe"}


class Pusher:
    """One person's raw pushes: events built here, sent as JSON over loopback."""

    def __init__(self, server: Server, name: str, role: str = "responder") -> None:
        self.server, self.name, self.seq = server, name, 0
        self.token = server.token(name, role)

    def event(self, stream: str, event_id: str | None = None, **payload) -> dict:
        self.seq += 1
        now = utcnow()
        return Event(
            id=event_id or new_event_id(),
            incident_id=stream,
            actor=self.name,
            occurred_at=now,
            recorded_at=now,
            device_id=f"dev-{self.name}",
            device_seq=self.seq,
            payload=payload,
        ).model_dump(mode="json")

    def push(self, *events: dict) -> httpx.Response:
        return httpx.post(
            self.server.url + "/v1/push",
            json={"events": list(events)},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )

    def results(self, *events: dict) -> list[tuple[str, str]]:
        answer = self.push(*events)
        assert answer.status_code == 200, answer.text
        return [(r["status"], r.get("reason") or "") for r in answer.json()["results"]]


def _declared(dora: Pusher) -> None:
    declared = dora.event(INC, kind="declaration", title="Checkout 502s", **OUTAGE)
    todo = dora.event(INC, "todo-canary", kind="todo", text="Add a canary stage")
    raised = dora.event(RISK, kind="risk_raised", title="One DB primary", **SCALES)
    assert [status for status, _ in dora.results(declared, todo, raised)] == ["applied"] * 3


def test_the_server_refuses_links_to_what_it_does_not_hold(server: Server):
    dora = Pusher(server, "dora")
    _declared(dora)

    def link(stream: str = RISK, **payload) -> dict:
        return dora.event(stream, kind="risk_linked", **payload)

    outcomes = dora.results(
        link(incident_ref=INC, action_id="todo-nothing"),
        link(incident_ref="inc-nowhere"),
        link(incident_ref="inc-nowhere", action_id="todo-canary"),
        link(incident_ref=RISK),
        link("risk-never01", incident_ref=INC),
        link(incident_ref=INC, action_id="todo-canary"),
        link(incident_ref=INC),
    )

    unknown = "no incident 'inc-nowhere' is known here: a risk links to an incident on the record"
    assert outcomes == [
        ("rejected", f"no action item 'todo-nothing' in {INC}"),
        ("rejected", unknown),
        ("rejected", unknown),
        ("rejected", f"{RISK} is a risk of the register, not an incident: link a risk to one"),
        ("rejected", "risk-never01 does not exist (its risk_raised entry is missing)"),
        ("applied", ""),
        ("applied", ""),
    ]  # fmt: skip


def test_a_link_sees_the_incident_and_action_pushed_before_it(server: Server):
    """In one push, the incident and its action item come before the link that names
    them: the server judges the link against them (each backend's pending fold)."""
    dora = Pusher(server, "dora")
    raised = dora.event(RISK, kind="risk_raised", title="One DB primary", **SCALES)
    declared = dora.event(INC, kind="declaration", title="Checkout 502s", **OUTAGE)
    todo = dora.event(INC, "todo-canary", kind="todo", text="Add a canary stage")
    linked = dora.event(RISK, kind="risk_linked", incident_ref=INC, action_id="todo-canary")
    assert dora.results(raised, declared, todo, linked) == [("applied", "")] * 4


def test_a_retracted_action_cannot_be_linked_on_the_server(server: Server):
    dora = Pusher(server, "dora")
    _declared(dora)
    retract = dora.event(INC, kind="retraction", target_id="todo-canary", reason="duplicate")
    link = dora.event(RISK, kind="risk_linked", incident_ref=INC, action_id="todo-canary")
    [applied, (status, reason)] = dora.results(retract, link)
    assert applied == ("applied", "") and status == "rejected"
    assert reason == f"the action item todo-canary of {INC} was retracted: duplicate"


def test_a_viewer_cannot_link_and_oversize_fields_are_refused_whole(server: Server):
    dora = Pusher(server, "dora")
    _declared(dora)
    viewer = Pusher(server, "vic", role="viewer")
    answer = viewer.push(viewer.event(RISK, kind="risk_linked", incident_ref=INC))
    assert answer.status_code == 403
    read_only = "a viewer token may not write entries (viewer tokens are read-only)"
    assert answer.json() == {"detail": read_only}

    huge = dora.event(RISK, kind="risk_linked", incident_ref=INC)
    huge["payload"]["incident_ref"] = "inc-" + "x" * 300
    long_action = dora.event(RISK, kind="risk_linked", incident_ref=INC)
    long_action["payload"]["action_id"] = "todo-" + "y" * 300
    for event in (huge, long_action):
        answer = dora.push(event)
        assert answer.status_code == 422
        detail = answer.json()["detail"]
        assert "the limit is 200" in detail and not PYDANTIC.search(detail), detail
    incident_log = httpx.get(
        f"{server.url}/v1/incidents/{RISK}/events",
        headers={"Authorization": f"Bearer {dora.token}"},
        timeout=10,
    ).json()
    assert [r["event"]["payload"]["kind"] for r in incident_log["records"]] == ["risk_raised"]


@pytest.mark.parametrize("role", ["responder", "admin"])
def test_no_token_role_gets_past_the_link_rules(server: Server, role: str):
    """The rules are about what an entry says, so they bind admins too."""
    dora = Pusher(server, "dora")
    _declared(dora)
    other = Pusher(server, "eve", role=role)
    link = other.event(RISK, kind="risk_linked", incident_ref=INC, action_id="todo-ghost")
    assert other.results(link) == [("rejected", f"no action item 'todo-ghost' in {INC}")]
