"""``warroom migrate``: a SQLite server's data moves to PostgreSQL, and its clients carry
on against the new server at the same address — same tokens, same pinned key, same
cursors — with every chain and signed checkpoint still verifying."""

from pathlib import Path

from tests.sync.conftest import Client, Server, server_log


def test_a_sqlite_server_moves_to_postgresql_and_its_clients_carry_on(
    tmp_path: Path, postgres_url: str, cli
):
    old = Server(tmp_path / "sqlite-data", checkpoint_every=3).start()
    alice = Client(tmp_path, "alice", old.url, old.token("alice"))
    bob = Client(tmp_path, "bob", old.url, old.token("bob"))
    new: Server | None = None
    try:
        for who in (alice, bob):  # `warroom verify` then checks the server's copy too
            cli("login", old.url, "--token", who.token, home=who.home, user=who.name)
        incident_id = alice.room.declare(
            "Search down", severity="SEV2", incident_type="outage"
        ).incident_id
        for n in range(7):
            alice.room.log(incident_id, f"note {n}")
        alice.sync_once()
        bob.sync_once()
        cursor_before = bob.replica.cursor()
        old.stop()

        moved = cli("migrate", "--from", str(old.data), "--to", postgres_url, "--json").json()
        assert moved["copied"]["events"] == 8 and moved["incidents"] == 1
        assert moved["public_key"] == old.storage.public_key
        assert moved["last_cursor"] == cursor_before

        new = Server(tmp_path / "unused", checkpoint_every=3, database=postgres_url)
        new.port, new.url = old.port, old.url  # the same address: clients are bound to it
        new.start()
        bob.room.log(incident_id, "written after the move")
        alice.room.log(incident_id, "alice too")
        assert bob.sync_once().pushed == 1  # the old token works, nothing is resent
        report = alice.sync_once()
        assert (report.pushed, report.pulled) == (1, 1)  # from its old cursor: only bob's
        assert bob.sync_once().pulled == 1
        assert alice.fingerprint(incident_id) == bob.fingerprint(incident_id)

        records, verified = server_log(new.url, alice.token, incident_id)
        assert verified.verified_events == 10 and verified.checkpoints_verified >= 3
        assert [r["event"]["id"] for r in records] == [
            e.id for e in alice.store.events(incident_id)
        ]
        for who in (alice, bob):  # this home's copy, then the new server's, both verified
            checked = cli("verify", incident_id, home=who.home, user=who.name)
            assert checked.out.count("10 events verified") == 2, checked.out + checked.err

        again = cli("migrate", "--from", str(old.data), "--to", postgres_url, check=False)
        assert again.code != 0 and "already holds 10 events" in again.err
    finally:
        alice.close()
        bob.close()
        old.stop()
        if new is not None:
            new.stop()
            new.close_storage()
