"""Feed pages decoded in one pass of C, judged exactly as before (issue 11).

A catch-up page is decoded by ``msgspec`` and each event is hashed over the bytes the
server sent — but only once they are shown to be the event's canonical encoding. These
tests hold the fast path to the exact one (``json.loads`` + ``canonical_text``) on
awkward values, and check that a server hashing anything but the canonical bytes, a
tampered page, a record shaped as this version does not expect and a live frame are
all judged as before.
"""

import json
import random
from pathlib import Path

import httpx
import pytest

from tests.sync.conftest import server_log
from tests.sync.test_catchup_cost import _random_value
from tests.sync.test_faults import _event
from warroom.core.chain import ChainError, Head, canonical_bytes, genesis, link
from warroom.store import feed_records
from warroom.store.feed_records import decode_page, record_of
from warroom.store.local import LocalStore
from warroom.store.replica import Replica
from warroom.sync import engine
from warroom.sync.client import Offline, ServerClient, on_loopback
from warroom.sync.failover import FailoverClient

INC = "inc-feed01"


def _page_bytes(events: list[dict], texts: list[str] | None = None, *, hashed=None) -> bytes:
    """A feed page as the server writes it: each record's event as ``texts`` (its
    canonical text unless given), hashed over ``hashed(i, text)``'s bytes (the canonical
    bytes unless given)."""
    head, records = Head.start(INC), []
    for n, event in enumerate(events, start=1):
        text = texts[n - 1] if texts else canonical_bytes(event).decode()
        covered = hashed(n - 1, text) if hashed else canonical_bytes(event)
        digest = link(head.hash, n, covered)
        head = Head(seq=n, hash=digest)
        records.append(
            f'{{"cursor":"{n}","incident_id":"{INC}","server_seq":{n},'
            f'"hash":"{digest}","event":{text},"checkpoint":null}}'
        )
    return f'{{"items":[{",".join(records)}],"cursor":"{len(events)}","up_to_date":true}}'.encode()


def _events(count: int) -> list[dict]:
    return [
        json.loads(_event(INC, "dora", n, "declaration" if n == 1 else "note"))
        for n in range(1, count + 1)
    ]


def _replica(tmp_path: Path) -> Replica:
    return Replica(LocalStore(tmp_path / "home" / "warroom.db"))


def test_the_fast_decode_gives_the_exact_paths_records_for_awkward_values():
    rng = random.Random(5)
    events = _events(300)
    for event in events[1:]:  # floats, escapes, control characters, big ints, U+2028...
        event["payload"]["extra"] = _random_value(rng)
        event["payload"]["text"] = rng.choice(["plain", 'a "quote"', "tab\there", "é\u2028😀"])
    raw = _page_bytes(events)
    exact = [record_of(item) for item in json.loads(raw)["items"]]
    page = decode_page(raw)
    assert page.records == exact
    assert (page.cursor, page.up_to_date) == ("300", True)
    assert all(
        record[4] == canonical_bytes(event) for record, event in zip(exact, events, strict=True)
    )


@pytest.mark.parametrize(
    "respell",
    [
        lambda text: text.replace('"actor":', ' "actor" : '),  # whitespace
        lambda text: text.replace('"note"', '"\\u006eote"'),  # an escape JSON allows
        lambda text: json.dumps(json.loads(text)),  # keys in order, but spaced
        lambda text: text.replace('{"actor":', '{"actor":"someone else","actor":', 1),
    ],
)
def test_a_server_hashing_bytes_other_than_the_canonical_ones_is_refused(tmp_path, respell):
    """The server's text is hashed only once shown canonical: a server that hashed its
    own respelling (same event, other bytes) breaks the chain as the definition says."""
    events = _events(3)
    texts = [canonical_bytes(event).decode() for event in events]
    texts[1] = respell(texts[1])
    assert texts[1].encode() != canonical_bytes(events[1])
    assert canonical_bytes(json.loads(texts[1])) == canonical_bytes(events[1])  # same event
    raw = _page_bytes(events, texts, hashed=lambda i, text: text.encode())
    replica = _replica(tmp_path)
    with pytest.raises(ChainError, match="#2 does not match its hash"):
        replica.ingest_records(decode_page(raw).records, "3")
    assert replica.head(INC).seq == 0 and replica.cursor() is None


def test_a_tampered_page_is_refused_by_the_fast_path_and_nothing_is_written(tmp_path, monkeypatch):
    events = _events(20)
    raw = _page_bytes(events).replace(b"dora 7", b"dora 8", 1)
    exact_calls = []
    monkeypatch.setattr(feed_records, "record_of", lambda item: exact_calls.append(item))
    records = decode_page(raw).records
    assert not exact_calls  # plain canonical events never take the exact path
    monkeypatch.undo()
    assert records == [record_of(item) for item in json.loads(raw)["items"]]
    replica = _replica(tmp_path)
    with pytest.raises(ChainError, match="#7 does not match its hash"):
        replica.ingest_records(decode_page(raw).records, "20")
    assert replica.head(INC).seq == 0 and not replica.store.events(INC)
    assert replica.ingest_records(decode_page(_page_bytes(events)).records, "20") == 20
    assert replica.head(INC).seq == 20


def test_records_shaped_as_this_version_does_not_expect_still_verify(tmp_path):
    """A field this version does not know (a newer server's) is hashed as sent, through
    the exact path; a record field it does not know is ignored, as before."""
    events = _events(5)
    events[2]["from_the_future"] = {"x": 1.5}
    raw = _page_bytes(events).replace(b'"checkpoint":null', b'"checkpoint":null,"new":[1]')
    replica = _replica(tmp_path)
    assert replica.ingest_records(decode_page(raw).records, "5") == 5
    stored = replica.chain(INC)
    assert [item.event for item in stored] == events
    assert stored[-1].hash == json.loads(raw)["items"][-1]["hash"]


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b'{"items":[{"incident_id":1}],"cursor":"1"}', ChainError),
        (
            b'{"items":[{"incident_id":"a","server_seq":"1","hash":"h","event":{}}],"cursor":"1"}',
            ChainError,
        ),
        (b'{"items":[],"up_to_date":true}', ChainError),
        (b"<html>a proxy's error page</html>", ValueError),
    ],
)
def test_a_malformed_page_is_refused_in_words(raw, error):
    with pytest.raises(error) as refused:
        decode_page(raw)
    assert "malformed" in str(refused.value) or "not JSON" in str(refused.value)


def test_a_live_frame_still_goes_through_the_exact_path(tmp_path):
    events = _events(2)
    items = json.loads(_page_bytes(events))["items"]
    replica = _replica(tmp_path)
    assert replica.ingest(items[:1], "1") == 1
    assert replica.ingest_records(decode_page(_page_bytes(events)).records, "2") == 1
    assert replica.head(INC) == Head(seq=2, hash=items[1]["hash"])
    assert genesis(INC) != items[0]["hash"]


def test_pages_over_loopback_come_uncompressed(clients):
    """Compressing on loopback cost the server half its CPU per caught-up event; a
    client elsewhere still gets gzip."""
    alice = clients("alice")
    incident = alice.room.declare("Disk", severity="SEV4", incident_type="outage").incident_id
    for n in range(20):
        alice.room.log(incident, f"an entry long enough to be worth compressing, #{n}")
    alice.sync_once()
    client = ServerClient(alice.url, alice.token)
    try:
        assert client.http.headers["Accept-Encoding"] == "identity"
        answer = client.http.get("/v1/events")
        assert "content-encoding" not in answer.headers and len(answer.content) > 4096
        assert len(client.feed(None).records) == 21
    finally:
        client.close()
    elsewhere = httpx.get(
        f"{alice.url}/v1/events",
        headers={"Authorization": f"Bearer {alice.token}", "Accept-Encoding": "gzip"},
    )
    assert elsewhere.headers["content-encoding"] == "gzip"
    assert on_loopback("http://127.0.0.1:8080") and on_loopback("http://[::1]:1")
    assert on_loopback("http://localhost") and on_loopback("http://127.3.4.5")
    assert not on_loopback("https://warroom.example.com") and not on_loopback("http://10.0.0.1")


def test_a_catch_up_cut_between_pages_resumes_without_loss_or_duplicates(
    clients, server, monkeypatch
):
    """Pages decoded fast carry their cursors as before: a catch-up cut after its first
    pages goes on from the last one stored, and ends with the server's log exactly."""
    alice, bob = clients("alice"), clients("bob")
    incident = alice.room.declare("Cut", severity="SEV4", incident_type="outage").incident_id
    for n in range(60):
        alice.room.log(incident, f"entry {n}")
    alice.sync_once()
    monkeypatch.setattr(engine, "PAGE", 7)
    monkeypatch.setattr(engine, "INGEST_CHUNK", 3)
    calls = []

    def cut_on_the_fourth(real):  # the first page is ``feed``, the next ``feed_bytes``
        def fetch(self, after, limit=5000):
            calls.append(after)
            if len(calls) == 4:
                raise Offline("the link went down")
            return real(self, after, limit)

        return fetch

    with monkeypatch.context() as cut:
        for name in ("feed", "feed_bytes"):
            cut.setattr(FailoverClient, name, cut_on_the_fourth(getattr(FailoverClient, name)))
        with pytest.raises(Offline):
            bob.sync_once()
    assert len(calls) == 4
    assert bob.replica.head(incident).seq == 21  # three pages of seven stored
    assert bob.sync_once().pulled == 61 - 21
    records, verified = server_log(server.url, alice.token, incident)
    assert [e.id for e in bob.store.events(incident)] == [r["event"]["id"] for r in records]
    assert bob.replica.head(incident) == verified.head


class _CountingDecoder:
    """``feed_records._ENVELOPE`` counting the events decoded one by one."""

    def __init__(self, real) -> None:
        self.real, self.calls = real, 0

    def decode(self, raw):
        self.calls += 1
        return self.real.decode(raw)


@pytest.mark.parametrize(
    ("spoil", "one_by_one"),
    [
        (lambda texts: None, 0),  # plain: the page's events are checked together
        (lambda texts: texts.__setitem__(6, texts[6].replace('"note"', '"\\u006eote"')), 0),
        (lambda texts: texts.__setitem__(6, texts[6].replace('"actor":', '"actor" :')), 40),
    ],
    ids=["plain", "an-escape", "spaced"],
)
def test_a_pages_events_are_checked_together_unless_one_is_not_canonical(
    monkeypatch, spoil, one_by_one
):
    """An event holding an escape takes the exact path and the others are still checked
    together; one that is not canonical sends every event of the page to be judged on
    its own. The records are the exact path's in every case."""
    events = _events(40)
    texts = [canonical_bytes(event).decode() for event in events]
    spoil(texts)
    raw = _page_bytes(events, texts)
    counting = _CountingDecoder(feed_records._ENVELOPE)
    monkeypatch.setattr(feed_records, "_ENVELOPE", counting)
    records = decode_page(raw).records
    assert counting.calls == one_by_one
    monkeypatch.undo()
    assert records == [record_of(item) for item in json.loads(raw)["items"]]


def test_the_first_malformed_record_of_a_page_is_the_one_refused():
    """Events checked together still fail in order: a malformed event taking the exact
    path (it holds an escape) is named before a later event of another incident."""
    events = _events(8)
    events[1]["device_seq"] = "seven"
    events[1]["payload"]["text"] = 'a "quote"'
    events[4]["incident_id"] = "inc-other"
    raw = _page_bytes(events)
    with pytest.raises(ChainError, match="'server_seq': 2,"):
        decode_page(raw)
    events[1] = _events(2)[1]  # then the other incident's is
    with pytest.raises(ChainError, match='"device_seq":5,'):
        decode_page(_page_bytes(events))
