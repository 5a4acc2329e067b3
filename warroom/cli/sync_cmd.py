"""Shared-record commands: serve, token, login, sync, verify.

HTTP, signing and server modules are imported inside the commands that use them, so
every other ``warroom`` command starts without paying for them.
"""

import itertools
import json
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from warroom.cli import delivery_cmd
from warroom.cli.files import write_private
from warroom.cli.output import emit_json, fail, say
from warroom.cli.params import Json, runtime_of
from warroom.cli.runtime import Runtime
from warroom.core.errors import InvalidInput, NotFound, WarroomError

if TYPE_CHECKING:
    from warroom.core.chain import ChainedEvent, Verification
    from warroom.store.local import LocalStore
    from warroom.sync.engine import SyncEngine


Data = Annotated[
    Path | None,
    typer.Option("--data", help="Server data folder (default: the 'server' folder in the home)."),
]

Database = Annotated[
    str | None,
    typer.Option(
        "--database",
        envvar="WARROOM_DATABASE",
        help="A postgresql:// URL: keep the shared record in PostgreSQL instead of --data.",
        show_default=False,
    ),
]

token_app = typer.Typer(help="Manage the server's access tokens (run where the server's data is).")


def _data_dir(ctx: typer.Context, data: Path | None) -> Path:
    return (data or runtime_of(ctx).paths.data / "server").expanduser().resolve()


def _storage(ctx: typer.Context, data: Path | None, database: str | None, **options: Any):
    """The server's storage: PostgreSQL with ``--database``, else SQLite in ``--data``."""
    if database:
        from warroom.cli.database import postgres_storage

        if data is not None:
            raise InvalidInput("give --data (SQLite) or --database (PostgreSQL), not both")
        return postgres_storage(database, **options)
    from warroom.server.sqlite import SQLiteStorage

    return SQLiteStorage(_data_dir(ctx, data), **options)


def _with_storage(ctx: typer.Context, data: Path | None, database: str | None, call: Any) -> Any:
    """Run ``call(storage)`` once and close the storage (a database pool included)."""
    import asyncio

    storage = _storage(ctx, data, database)

    async def run() -> Any:
        try:
            return await call(storage)
        finally:
            await storage.close()

    return asyncio.run(run())


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to bind; 0.0.0.0 exposes it.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port.")] = 8350,
    data: Data = None,
    database: Database = None,
    tls_cert: Annotated[Path | None, typer.Option(help="TLS certificate (PEM).")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    checkpoint_every: Annotated[
        int, typer.Option(min=1, help="Sign a checkpoint every N events of an incident.")
    ] = 100,
    heartbeat: Annotated[
        float, typer.Option(min=0.05, help="Seconds between stream heartbeats.")
    ] = 15.0,
    header_timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds a client has to send a request's headers.")
    ] = 10.0,
    body_timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds a client then has to send the body.")
    ] = 60.0,  # the largest accepted body (8 MB) at about 1 Mbit/s
    deliver_every: Annotated[
        float, typer.Option(min=0, help="Seconds between delivery rounds (0: deliver nothing).")
    ] = 0.25,
    delivery_lease: delivery_cmd.Lease = 60.0,
    delivery_backoff: delivery_cmd.Backoff = 2.0,
    ladder_every: Annotated[
        float,
        typer.Option(min=0, help="Seconds between looks at the escalation ladder; 0 turns it off."),
    ] = 5.0,
) -> None:
    """Run the shared backend (SQLite in --data, or PostgreSQL) until interrupted; it
    delivers approved notices and pages through the home's channels.toml."""
    import uvicorn

    from warroom.cli.database import shown_url
    from warroom.intake.apply import runbook_catalogue
    from warroom.server.app import create_app
    from warroom.server.authored import ServerAuthor
    from warroom.server.limits import KEEP_ALIVE_S, slow_client_protocol

    if (tls_cert is None) != (tls_key is None):
        raise InvalidInput("--tls-cert and --tls-key go together")
    for path in (tls_cert, tls_key):
        if path is not None and not path.is_file():
            raise InvalidInput(f"no such file: {path}")
    runtime = runtime_of(ctx)
    storage = _storage(ctx, data, database, checkpoint_every=checkpoint_every)
    # one per process: it reserves device counters on disk (none to keep on PostgreSQL)
    author = ServerAuthor(None if database else _data_dir(ctx, data))
    app = create_app(
        storage,
        policy=runtime.policy,
        heartbeat_s=heartbeat,
        author=author,
        runbooks=runbook_catalogue(runtime.runbooks),
        ladder_every_s=ladder_every,
    )
    if deliver_every > 0:
        from warroom.server.delivery_task import serve_dispatcher

        serve_dispatcher(
            app,
            storage,
            author,
            runtime.paths.data,
            runtime.policy,
            every_s=deliver_every,
            lease_s=delivery_lease,
            backoff_s=delivery_backoff,
        )
    try:
        probe = socket.create_server((host, port))
    except OSError as exc:
        raise InvalidInput(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    probe.close()
    scheme = "https" if tls_cert else "http"
    where = f"database {shown_url(database)}" if database else f"data in {_data_dir(ctx, data)}"
    sys.stderr.write(f"warroom serving {scheme}://{host}:{port} ({where})\n")
    if not tls_cert and host not in ("127.0.0.1", "localhost", "::1"):
        sys.stderr.write("warning: tokens travel in clear text without --tls-cert/--tls-key\n")
    sys.stderr.flush()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,  # else each answer builds a log line that the level throws away
        http=slow_client_protocol(header_timeout, body_timeout),
        timeout_keep_alive=KEEP_ALIVE_S,
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
        timeout_graceful_shutdown=2,
    )


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The person (entries will be written as them).")],
    role: Annotated[str, typer.Option("--role", help="viewer, responder or admin.")],
    device: Annotated[str, typer.Option("--device", help="Which device it is for.")] = "",
    data: Data = None,
    database: Database = None,
    as_json: Json = False,
) -> None:
    """Create a token and print it once; only its hash is stored."""

    from warroom.server.storage import TOKEN_ROLES, token_fields

    if role not in TOKEN_ROLES:
        raise InvalidInput(f"unknown role {role!r}; choose one of {', '.join(TOKEN_ROLES)}")
    try:
        name, device = token_fields(name, device)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    info, secret = _with_storage(
        ctx, data, database, lambda storage: storage.create_token(name, role, device)
    )
    if as_json:
        emit_json({"id": info.id, "name": info.name, "role": info.role, "token": secret})
        return
    say(secret)
    sys.stderr.write(f"{info.id}: {info.name} ({info.role}); this token is not shown again\n")


@token_app.command("list")
def token_list(
    ctx: typer.Context, data: Data = None, database: Database = None, as_json: Json = False
) -> None:
    """List tokens (never their secrets)."""

    tokens = _with_storage(ctx, data, database, lambda storage: storage.list_tokens())
    if as_json:
        emit_json([vars(t) for t in tokens])
        return
    for t in tokens:
        state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
        say(f"{t.id}  {t.role:<9} {t.name}  {t.device or '-'}  {state}")


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(help="The token id (tok-…).")],
    data: Data = None,
    database: Database = None,
) -> None:
    """Revoke a token; requests with it are refused from now on."""

    if not _with_storage(ctx, data, database, lambda storage: storage.revoke_token(token_id)):
        raise NotFound(f"no active token {token_id!r}; `warroom token list` shows them")
    say(f"revoked {token_id}")


def _write_config(path: Path, updates: dict[str, str]) -> None:
    """Set top-level keys in a TOML config, keeping every other line; the file is 0600
    because it now holds a token."""
    lines = path.read_text("utf-8").splitlines() if path.is_file() else []
    first_table = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), None)
    top = lines[:first_table] if first_table is not None else lines
    rest = lines[first_table:] if first_table is not None else []
    for key, value in updates.items():
        entry = f"{key} = {json.dumps(value)}"
        for i, line in enumerate(top):
            if line.split("=", 1)[0].strip() == key:
                top[i] = entry
                break
        else:
            top.append(entry)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_private(path, "\n".join([*top, *rest]) + "\n")


def login(
    ctx: typer.Context,
    url: Annotated[
        str,
        typer.Argument(
            help="The server, e.g. http://warroom.internal:8350; several replicas of it"
            " separated by commas (http://a:8350,http://b:8351) to fail over between."
        ),
    ],
    token: Annotated[str, typer.Option("--token", help="A token from `warroom token create`.")],
    adopt: Annotated[
        bool,
        typer.Option(
            "--adopt", help="Re-issue entries written here under another name as the token's."
        ),
    ] = False,
    keep_local: Annotated[
        bool,
        typer.Option("--keep-local", help="Keep entries written under another name here, unsent."),
    ] = False,
) -> None:
    """Check a token against a server and remember both for this home.

    Entries written here under another name (the login name, before this) would all be
    refused by the server: you are asked to adopt them or keep them here unsent."""
    from warroom.cli.attribution import settle_foreign_entries
    from warroom.config import server_urls
    from warroom.store.replica import Replica
    from warroom.sync.client import Offline
    from warroom.sync.failover import FailoverClient

    runtime = runtime_of(ctx)
    url = ",".join(server_urls(url))
    client = FailoverClient(url, token)
    try:
        info, silent = client.info_everywhere()
    except Offline as exc:
        raise WarroomError(str(exc)) from None
    finally:
        client.close()
    for replica in silent:
        sys.stderr.write(f"note: {replica} did not answer; it is kept for fail-over\n")
    you = info["you"]
    replica = Replica(runtime.store)
    bound, _ = replica.binding()
    if bound not in (None, url):
        replica.bind(url, info["public_key"])  # refuses, before anything is asked or changed
    done = None
    if you["role"] == "responder":  # admins may write as anyone; viewers write nothing
        done = settle_foreign_entries(
            runtime.store,
            you["name"],
            adopt=adopt,
            keep_local=keep_local,
            login_line=f"warroom login {url} --token …",
        )
    replica.bind(url, info["public_key"])
    path = runtime.paths.config_files[0]
    _write_config(path, {"server": url, "token": token, "user": you["name"]})
    say(f"logged in to {url} as {you['name']} ({you['role']}); settings saved in {path}")
    if done:
        say(done)


def _engine(runtime: Runtime, **kwargs: Any) -> "SyncEngine":
    from warroom.sync.engine import SyncEngine

    settings = runtime.settings
    if not settings.server or not settings.token:
        raise InvalidInput("no server configured: run `warroom login URL --token T` first")
    return SyncEngine(runtime.paths.database, settings.server, settings.token, **kwargs)


def _loud(message: str) -> None:
    fail("SYNC STOPPED: " + message)


def sync(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Push and pull until up to date, then exit.")
    ] = False,
    as_json: Json = False,
) -> None:
    """Push this home's entries and pull everyone else's (continuously unless --once)."""
    from warroom.core.chain import ChainError
    from warroom.sync.client import Offline
    from warroom.sync.engine import SyncStatus

    runtime = runtime_of(ctx)
    if once:
        engine = _engine(runtime)
        try:
            report = engine.sync_once()
        except Offline as exc:
            raise WarroomError(str(exc)) from None
        except ChainError as exc:
            _loud(str(exc))
            raise typer.Exit(3) from None
        if as_json:
            emit_json(
                {
                    "pushed": report.pushed,
                    "pulled": report.pulled,
                    "rejected": [
                        {"id": r.id, "incident_id": r.incident_id, "reason": r.reason}
                        for r in report.rejected
                    ],
                }
            )
        else:
            say(f"pushed {report.pushed}, pulled {report.pulled}, rejected {len(report.rejected)}")
        for entry in report.rejected:
            fail(f"REJECTED {entry.incident_id} {entry.kind} [{entry.id}]: {entry.reason}")
        return

    def show(status: SyncStatus) -> None:
        state = "online" if status.online else "offline"
        line = f"{state}; {status.pending} pending, {status.rejected} rejected"
        if status.last_error and not status.online:
            line += f" ({status.last_error})"
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    engine = _engine(runtime, on_status=show)
    try:
        engine.run()
    except KeyboardInterrupt:
        engine.stop()
        return
    if engine.status.stopped:
        _loud(engine.status.stopped)
        raise typer.Exit(3)


def rejected(
    ctx: typer.Context,
    incident: Annotated[str | None, typer.Argument(help="Only this incident.")] = None,
    resubmit: Annotated[
        bool,
        typer.Option(
            "--resubmit", help="Re-issue the incident's refused or unsent entries as you."
        ),
    ] = False,
    as_json: Json = False,
) -> None:
    """List entries the server refused, with its reasons (kept here, not in the record)."""
    from warroom.store.replica import Replica

    runtime = runtime_of(ctx)
    store = runtime.store
    incident_id = store.resolve_incident(incident) if incident else None
    if resubmit:
        from warroom.cli.attribution import resubmit as reissue_refused

        if incident_id is None:
            raise InvalidInput("name the incident whose entries to resubmit")
        say(reissue_refused(store, incident_id, runtime.actor))
        return
    entries = Replica(store).rejected(incident_id)
    if as_json:
        emit_json(
            [
                {
                    "id": e.id,
                    "incident_id": e.incident_id,
                    "kind": e.kind,
                    "actor": e.actor,
                    "occurred_at": e.occurred_at,
                    "reason": e.reason,
                    "event": json.loads(e.body),
                }
                for e in entries
            ]
        )
        return
    if not entries:
        say("No entry was refused by the server.")
    for e in entries:
        say(f"{e.incident_id} {e.occurred_at:%Y-%m-%d %H:%M:%S} {e.kind} by {e.actor} [{e.id}]")
        say(f"  refused: {e.reason}")


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
    from warroom.cli.database import migrate

    app.command()(serve)
    app.command()(migrate)
    app.command()(login)
    app.command()(sync)
    app.command()(verify)
    app.command()(rejected)
    app.add_typer(token_app, name="token")


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
