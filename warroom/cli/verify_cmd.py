"""The hash chain as a user checks it: ``warroom verify`` of this home's copy, the
server's and an exported bundle, and the ``sync`` section an export writes for it.

Signing and HTTP modules are imported inside the functions that use them, so every other
``warroom`` command starts without paying for them.
"""

import itertools
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from warroom.cli.output import emit_json, fail, say
from warroom.cli.params import Json, runtime_of
from warroom.core.errors import InvalidInput

if TYPE_CHECKING:
    from warroom.core.chain import ChainedEvent, Verification
    from warroom.store.local import LocalStore


def _describe(result: "Verification") -> str:
    checkpoints = (
        f"{result.checkpoints_verified} signed checkpoint(s) valid"
        f" (last #{result.last_checkpoint_seq})"
        if result.checkpoints_verified
        else "no signed checkpoint yet"
    )
    text = (
        f"{result.incident_id}: {result.verified_events} events verified,"
        f" head #{result.head.seq} {result.head.hash[:16]}…; {checkpoints}"
    )
    if result.unsequenced_events:
        text += f"; {result.unsequenced_events} not yet acknowledged by the server"
    return text


def verify(
    ctx: typer.Context,
    incident: Annotated[str | None, typer.Argument(help="Incident id (unique prefix).")] = None,
    bundle: Annotated[
        Path | None, typer.Option("--bundle", help="Verify an exported JSON bundle offline.")
    ] = None,
    key: Annotated[
        str | None, typer.Option("--key", help="The server's public key to require (base64).")
    ] = None,
    as_json: Json = False,
) -> None:
    """Check an incident's hash chain and signed checkpoints (exit 3 if they fail)."""
    from warroom.core.chain import ChainError

    if (incident is None) == (bundle is None):
        raise InvalidInput("name an incident or give --bundle FILE (not both)")
    try:
        results = _verify_bundle(bundle, key) if bundle else _verify_live(ctx, incident, key)
    except ChainError as exc:
        fail("VERIFICATION FAILED: " + str(exc))
        raise typer.Exit(3) from None
    if as_json:
        emit_json([r.model_dump(mode="json") for r in results])
        return
    for result in results:
        say(_describe(result))


def _verify_bundle(path: Path, key: str | None) -> list["Verification"]:
    from warroom.core.chain import ChainError, verify_bundle

    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ChainError(f"{path} is not JSON: {exc}") from None
    return [verify_bundle(data, key)]


def _verify_live(ctx: typer.Context, incident: str, key: str | None) -> list["Verification"]:
    """Verify this home's copy; when the server is reachable, its copy too, and that the
    server's history still contains the head this home verified."""
    from warroom.core.chain import ChainError, verify_log
    from warroom.store.replica import Replica

    runtime = runtime_of(ctx)
    store = runtime.store
    incident_id = store.resolve_incident(incident)
    replica = Replica(store)
    server, pinned = replica.binding()
    if key and pinned and key != pinned:
        raise ChainError("the key given does not match the key pinned at login")
    local = verify_log(
        incident_id, replica.chain(incident_id), replica.checkpoints(incident_id), key or pinned
    )
    local.unsequenced_events = len(store.event_bodies(incident_id)) - local.verified_events
    if local.verified_events == 0:
        raise InvalidInput(
            f"{incident_id} has no server-acknowledged events here yet; run `warroom sync --once`"
        )
    results = [local]
    settings = runtime.settings
    if server and settings.token:
        remote = _verify_server(server, settings.token, incident_id, key or pinned)
        if remote is not None:
            head = next((c for c in remote[1] if c.server_seq == local.head.seq), None)
            if head is None or head.hash != local.head.hash:
                raise ChainError(
                    f"{incident_id}: the server's history no longer contains the head this"
                    f" home verified (#{local.head.seq}): it was rewritten"
                )
            results.append(remote[0])
    return results


def _verify_server(
    server: str, token: str, incident_id: str, key: str | None
) -> tuple["Verification", list["ChainedEvent"]] | None:
    from warroom.core.chain import ChainedEvent, ChainError, Checkpoint, verify_log
    from warroom.sync.client import Offline
    from warroom.sync.failover import FailoverClient

    client = FailoverClient(server, token)
    chained, checkpoints, after = [], [], 0
    try:
        while True:
            page = client.incident_log(incident_id, after)
            if page is None:
                raise ChainError(f"{incident_id}: the server does not have this incident")
            for record in page["records"]:
                chained.append(
                    ChainedEvent(
                        server_seq=record["server_seq"], hash=record["hash"], event=record["event"]
                    )
                )
                if record.get("checkpoint"):
                    checkpoints.append(Checkpoint.model_validate(record["checkpoint"]))
            after = page["next_after"]
            if page["up_to_date"]:
                break
    except Offline as exc:
        sys.stderr.write(f"note: server copy not checked ({exc})\n")
        return None
    finally:
        client.close()
    return verify_log(incident_id, chained, checkpoints, key), chained


def register(app: typer.Typer) -> None:
    app.command()(verify)


def sync_section(store: "LocalStore", incident_id: str) -> dict | None:
    """The ``sync`` part of a JSON export: chain, checkpoints, key; None if never synced.
    The chain is read as the export is written: call it inside ``read_snapshot``."""
    from warroom.store.exports import chain_links
    from warroom.store.replica import Replica

    replica = Replica(store)
    server, key = replica.binding()
    head = replica.head(incident_id)
    links = chain_links(store, incident_id, head.seq)  # streamed: a link per event
    first = next(links, None)
    if server is None or first is None:
        return None
    return {
        "server": server,
        "public_key": key,
        "head": head.model_dump(),
        "chain": itertools.chain([first], links),
        "checkpoints": [c.model_dump(mode="json") for c in replica.checkpoints(incident_id)],
        "pending": sorted(replica.pending_ids(incident_id)),
        "rejected": [
            {
                "id": r.id,
                "kind": r.kind,
                "actor": r.actor,
                "reason": r.reason,
                "event": json.loads(r.body),
            }
            for r in replica.rejected(incident_id)
        ],
    }
