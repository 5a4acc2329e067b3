"""The push lane's per-request costs (issue 11: CPU per durable append <= 1.5x a minimal
Starlette endpoint): its fast JSON reading must take exactly the bodies the strict reader
takes, with the same values, and the slow-client deadline must not make a timer for each
phase of each request while still closing a connection that overruns it."""

import json

from fastapi.exceptions import RequestValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.server.jsonbody import decode, quick_decode
from warroom.server.limits import _SlowClientProtocol

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=20,
)
_SPECIAL = [
    b"[1e400]",
    b"[NaN]",
    b"[-Infinity]",
    b'["\\ud800"]',
    b"\xef\xbb\xbf[1]",
    b"[" + b"9" * 5000 + b"]",
    b"[" * 70 + b"]" * 70,
    b"[" * 300 + b"]" * 300,
    '["caf\u00e9"]'.encode("utf-16"),
    b'{"a":1,"a":2}',
    b"[1,]",
    b'["\xff"]',
]


def _strict(body: bytes) -> tuple[bool, object]:
    try:
        return True, decode(body)
    except RequestValidationError:
        return False, None


def _agrees(body: bytes) -> None:
    taken, value = _strict(body)
    quick = quick_decode(body)
    if quick is not None:  # what the lane takes, the strict reader takes, alike
        assert taken and json.dumps(quick, sort_keys=True) == json.dumps(value, sort_keys=True)


@settings(max_examples=300, deadline=None)
@given(value=_values, ascii_only=st.booleans())
def test_the_quick_reader_takes_only_what_the_strict_one_takes(value, ascii_only) -> None:
    _agrees(json.dumps(value, ensure_ascii=ascii_only).encode())


def test_the_quick_reader_leaves_every_doubtful_body_to_the_strict_one() -> None:
    for body in _SPECIAL:
        _agrees(body)
    assert quick_decode(b'{"events":[{"n":1}]}') == {"events": [{"n": 1}]}


class _Loop:
    def __init__(self) -> None:
        self.now, self.timers = 0.0, []

    def time(self) -> float:
        return self.now

    def call_at(self, when, callback):
        self.timers.append(_Timer(when, callback))
        return self.timers[-1]

    def call_later(self, delay, callback):
        return self.call_at(self.now + delay, callback)

    def run_until(self, when: float) -> None:
        self.now = when
        for timer in [t for t in self.timers if t.when <= when and not t.cancelled]:
            timer.cancelled = True
            timer.callback()


class _Timer:
    def __init__(self, when, callback) -> None:
        self.when, self.callback, self.cancelled = when, callback, False

    def cancel(self) -> None:
        self.cancelled = True


class _Transport:
    closed = False

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


class _Connection(_SlowClientProtocol):
    """The deadline part of the protocol alone, on a loop whose clock the test moves."""

    def __init__(self) -> None:
        self.loop, self.transport = _Loop(), _Transport()


def test_a_kept_alive_connection_does_not_make_a_timer_per_request() -> None:
    conn = _Connection()
    for n in range(100):  # the three phases of each request, as the protocol moves them
        conn.loop.now = n * 0.01
        conn._expire_after(10.0)  # headers begin
        conn._expire_after(30.0)  # headers complete: the body's time
        conn._expire_after(None)  # answered
    assert len(conn.loop.timers) <= 2, len(conn.loop.timers)  # was 200
    assert not conn.transport.closed


def test_the_moving_deadline_still_closes_a_connection_that_overruns_it() -> None:
    conn = _Connection()
    conn._expire_after(10.0)
    conn.loop.run_until(5.0)
    conn._expire_after(30.0)  # moved later: the first timer fires early and re-arms
    conn.loop.run_until(10.0)
    assert not conn.transport.closed
    conn.loop.run_until(34.0)
    assert not conn.transport.closed
    conn.loop.run_until(35.0)
    assert conn.transport.closed


def test_an_earlier_deadline_rearms_at_once_and_none_lets_the_timer_lapse() -> None:
    conn = _Connection()
    conn._expire_after(30.0)
    conn._expire_after(2.0)  # earlier than the armed timer
    conn.loop.run_until(2.0)
    assert conn.transport.closed
    idle = _Connection()
    idle._expire_after(5.0)
    idle._expire_after(None)
    idle.loop.run_until(100.0)
    assert not idle.transport.closed
