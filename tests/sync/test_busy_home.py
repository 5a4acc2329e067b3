"""Writers on a home wait for its lock: an entry typed during a catch-up is recorded."""

import sqlite3
import subprocess
import sys
import textwrap
import time

from tests.conftest import WARROOM


def test_an_entry_waits_out_a_long_transaction_instead_of_failing(cli, tmp_path):
    home = tmp_path / "busy"
    incident = cli("declare", "Lock held", home=home).out.strip()
    holder = sqlite3.connect(home / "warroom.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process storing a long catch-up batch
    started = time.monotonic()
    writer = subprocess.Popen(
        [WARROOM, "--home", str(home), "log", incident, "typed while the home was busy"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(7)  # longer than the old 5 s busy timeout
    holder.execute("COMMIT")
    holder.close()
    _, err = writer.communicate(timeout=30)
    assert writer.returncode == 0, err
    assert time.monotonic() - started >= 7
    events = cli("export", incident, "--format", "json", home=home).json()["events"]
    assert events[-1]["payload"]["text"] == "typed while the home was busy"


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from warroom.actions import WarRoom
    from warroom.core.policy import default_policy
    from warroom.store.local import LocalStore

    database, incident, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    failed = 0
    for i in range(count):
        try:
            with LocalStore(database) as store:
                WarRoom(store, default_policy(), "alice").log(incident, f"scribe {i}")
        except Exception as exc:
            failed += 1
            print(exc, file=sys.stderr)
    print(failed)
    """
)


def test_six_catching_up_syncs_and_a_scribe_share_one_home(clients, server, tmp_path):
    """Six sync processes catch up on one home at once while a scribe writes on it:
    every entry the scribe typed is recorded."""
    filler = clients("bob")
    busy = filler.room.declare("Big", severity="SEV3", incident_type="outage").incident_id
    for i in range(3000):
        filler.room.log(busy, f"history {i}")
    filler.sync_once()
    alice = clients("alice")
    incident = alice.room.declare("Mine", severity="SEV3", incident_type="outage").incident_id
    alice.store.close()
    home = str(alice.home)
    (alice.home / "config.toml").write_text(
        f'server = "{server.url}"\ntoken = "{alice.token}"\nuser = "alice"\n'
    )
    syncs = [
        subprocess.Popen(
            [WARROOM, "--home", home, "sync", "--once"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    scribe = subprocess.run(
        [sys.executable, "-c", WRITER, str(alice.database), incident, "150"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    for proc in syncs:
        proc.communicate(timeout=300)
    assert scribe.returncode == 0, scribe.stderr
    assert scribe.stdout.strip() == "0", scribe.stderr
    store = sqlite3.connect(alice.database)
    texts = {
        row[0]
        for row in store.execute(
            "SELECT json_extract(body, '$.payload.text') FROM events WHERE incident_id = ?",
            (incident,),
        )
    }
    assert {f"scribe {i}" for i in range(150)} <= texts
    assert (
        store.execute("SELECT COUNT(*) FROM events WHERE incident_id = ?", (busy,)).fetchone()[0]
        == 3001
    )
