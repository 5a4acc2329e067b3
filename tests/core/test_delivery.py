"""The delivery fold: receipts are idempotent per event, the first receipt stands, a
delivered notice restarts its audience's cadence, and the record words timeliness."""

from datetime import timedelta

from tests.factories import T0, make_event
from warroom.core.events import payload_text
from warroom.core.fold import fold

INC = "inc-test01"


def _receipt(kind: str, n: int, minute: int, **fields):
    base = {"delivery_id": "d1", "subject_id": "u-1", "channel": "json://h/", **fields}
    return make_event(kind, INC, event_id=f"r-{n}", minute=minute, **base)


def _declared():
    return make_event(
        "declaration", INC, title="t", incident_type="outage", severity="SEV2", minute=0
    )


def test_failures_then_a_receipt_fold_once_each_and_the_first_receipt_stands():
    events = [
        _declared(),
        _receipt("notice_failed", 1, 1, error="HTTP 500", retry_at=T0 + timedelta(minutes=2)),
        _receipt("notice_failed", 2, 2, error="HTTP 502", attempt=2),
        _receipt("notice_delivered", 3, 3, audience="internal", answer="HTTP 200 OK"),
        _receipt("notice_delivered", 4, 9, audience="internal", answer="again"),
    ]
    state = fold(events + events[1:3])  # repeats change nothing
    (record,) = state.deliveries.values()
    assert record.failures == 2 and record.last_error == "HTTP 502"
    assert record.delivered and record.answer == "HTTP 200 OK" and not record.undelivered
    assert state.last_update["internal"] == T0 + timedelta(minutes=3)
    assert fold(events[2:], fold(events[:2])) == fold(events)  # prefix-composable


def test_a_failure_with_no_next_try_gave_up_until_retried_by_hand():
    state = fold([_declared(), _receipt("notice_failed", 1, 1, error="refused")])
    (record,) = state.deliveries.values()
    assert record.gave_up and record.undelivered
    retried = fold([make_event("delivery_retry", INC, minute=2, delivery_id="d1")], state)
    (record,) = retried.deliveries.values()
    assert not record.gave_up and record.budget_from == 1
    assert record.retry_at == T0 + timedelta(minutes=2)


def test_the_record_says_whether_an_update_went_out_on_time_or_how_late():
    on_time = _receipt("notice_delivered", 1, 1, late_s=-30.0).payload
    late = _receipt("notice_delivered", 2, 1, late_s=185.0).payload
    assert payload_text(on_time) == "Delivered to json://h/ (on time)"
    assert payload_text(late) == "Delivered to json://h/ (3m05s late)"
