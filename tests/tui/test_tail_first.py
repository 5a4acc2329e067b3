"""A long incident opened without caches shows its tail before its fold (issue 11): the
newest rows and the title at once, an entry typed meanwhile goes through the one write
path, and when the fold lands every row is shown once, the typed one included."""

import json
import os
import subprocess
import threading
from datetime import timedelta

import pytest

from tests.tui.conftest import NOW, main_screen, make_app, room_for, until, write
from tests.tui.test_terminal import TMUX, WARROOM, wait_for
from warroom.store.local import LocalStore
from warroom.tui import tail_reader
from warroom.tui.widgets.status_strip import StatusStrip
from warroom.tui.widgets.timeline import Timeline


def bulk_notes(home, incident_id: str, count: int, kind: str = "note") -> None:
    """``count`` entries written straight into the log (no snapshot, no timeline order)."""
    store = LocalStore(home / "warroom.db")
    try:
        (template,) = store.conn.execute(
            "SELECT body FROM events WHERE incident_id = ?", (incident_id,)
        ).fetchone()
        base = json.loads(template)
        start = NOW - timedelta(hours=1)
        with store._transaction():
            for n in range(count):
                at = (start + timedelta(seconds=n)).isoformat()
                body = dict(base, id=f"bulk-{n:06d}", occurred_at=at, recorded_at=at)
                body |= {"device_seq": 10 + n, "payload": {"kind": kind, "text": f"bulk {n}"}}
                store.conn.execute(
                    "INSERT INTO events (id, incident_id, kind, actor, occurred_at,"
                    " recorded_at, device_id, device_seq, body)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (body["id"], incident_id, kind, body["actor"], at, at, body["device_id"],
                     body["device_seq"], json.dumps(body)),
                )  # fmt: skip
    finally:
        store.close()


async def test_the_tail_is_on_screen_before_the_fold_and_nothing_doubles(home, monkeypatch):
    room = room_for(home)
    try:
        incident = room.declare(
            "Queue lag on ingest",
            severity="SEV2",
            incident_type="outage",
            at=NOW - timedelta(hours=2),
        ).incident_id
    finally:
        room.store.close()
    bulk_notes(home, incident, 80)
    monkeypatch.setattr(tail_reader, "COLD_ROWS", 50)
    gate, folding = threading.Event(), threading.Event()
    real_state = LocalStore.state

    def slow_state(store, incident_id, **options):  # the fold of a million, held open
        folding.set()
        assert gate.wait(10)
        return real_state(store, incident_id, **options)

    monkeypatch.setattr(LocalStore, "state", slow_state)
    app = make_app(home, incident=incident)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, folding.is_set)
        screen = main_screen(pilot)
        timeline = screen.query_one(Timeline)
        await until(pilot, lambda: timeline.row_count > 0)
        assert screen.state is None  # still folding
        newest = timeline.data.rows.get(timeline.data.view[0][-1])
        assert newest.text == "bulk 79" and timeline.selected is newest
        strip = str(screen.query_one(StatusStrip).query_one("#strip-main").render())
        assert "Queue lag on ingest" in strip and "opening" in strip
        await write(pilot, "o: typed while folding")
        await pilot.press("enter")
        await pilot.pause(0.3)
        gate.set()
        await until(pilot, lambda: screen.state is not None)
        await until(pilot, lambda: timeline.row_count == 82)  # declaration, 80, the typed one
        seqs = list(timeline.data.view[0])
        assert len(set(seqs)) == len(seqs)
        await until(pilot, lambda: timeline.selected and timeline.selected.text.endswith("folding"))
        strip = str(screen.query_one(StatusStrip).query_one("#strip-main").render())
        assert "opening" not in strip and "SEV2" in strip
    room = room_for(home)
    try:
        events = room.store.events(incident)
    finally:
        room.store.close()
    typed = [e for e in events if e.kind == "observation"]
    assert [(e.payload.text, e.actor) for e in typed] == [("typed while folding", "eli")]
    assert len(events) == 82


async def test_an_incident_with_its_caches_opens_without_a_tail(home, monkeypatch):
    """Below ``COLD_ROWS`` behind the caches, the fold is the first thing shown."""
    room = room_for(home)
    try:
        incident = room.declare("Small", severity="SEV3", incident_type="outage").incident_id
    finally:
        room.store.close()
    bulk_notes(home, incident, 10)
    posted = []
    real_tail = tail_reader.tail
    monkeypatch.setattr(tail_reader, "tail", lambda *a: posted.append(a) or real_tail(*a))
    app = make_app(home, incident=incident)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(pilot)
        await until(pilot, lambda: screen.state is not None)
        assert screen.query_one(Timeline).row_count == 11
    assert posted == []


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)")
def test_the_tail_shows_first_in_a_real_terminal_at_80x24(home):
    """40,000 hypotheses with no caches: the newest is on screen while the record folds,
    an entry typed then is recorded once, and the fold's timeline shows each row once."""
    room = room_for(home)
    try:
        incident = room.declare(
            "Ingest lag", severity="SEV2", incident_type="outage", at=NOW - timedelta(hours=20)
        ).incident_id
    finally:
        room.store.close()
    bulk_notes(home, incident, 40_000, kind="hypothesis")
    socket, session = f"warroom-tail-{os.urandom(6).hex()}", "warroom"
    tmux = [TMUX, "-L", socket]
    command = f"exec env WARROOM_HOME={home} WARROOM_USER=tess TERM=xterm-256color {WARROOM}"
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command], check=True
    )
    try:

        def screen() -> str:
            return subprocess.run(
                [*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True
            ).stdout

        def tail_while_folding() -> bool:
            shown = screen()
            return "bulk 39999" in shown and "opening" in shown and "Ingest lag" in shown

        wait_for(tail_while_folding, 15, "the tail on screen while the record folds")
        subprocess.run([*tmux, "send-keys", "-t", session, "-l", "o: typed at once"], check=True)
        subprocess.run([*tmux, "send-keys", "-t", session, "Enter"], check=True)

        def folded() -> str | None:
            shown = screen()
            done = "opening" not in shown and "SEV2" in shown and "typed at once" in shown
            return shown if done else None

        shown = wait_for(folded, 30, "the fold on screen with the typed entry")
        assert shown.count("typed at once") == 1 and shown.count("bulk 39999") == 1, shown
        assert "bulk 39998" in shown  # the rows before it, each once
        assert shown.count("bulk 39998") == 1, shown
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
    room = room_for(home)
    try:
        typed = [e for e in room.store.events(incident) if e.kind == "observation"]
    finally:
        room.store.close()
    assert [(e.payload.text, e.actor) for e in typed] == [("typed at once", "tess")]
