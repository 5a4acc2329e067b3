"""Commands run where the shared record lives: serve, migrate and token.

They open the server's storage (SQLite in ``--data`` or PostgreSQL with ``--database``)
themselves; the uvicorn, server and database modules are imported inside the commands,
so every other ``warroom`` command starts without paying for them.
"""

import socket
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from warroom.cli import delivery_cmd
from warroom.cli.output import emit_json, say
from warroom.cli.params import Json, runtime_of
from warroom.core.errors import InvalidInput, NotFound

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


def register(app: typer.Typer) -> None:
    from warroom.cli.database import migrate

    app.command()(serve)
    app.command()(migrate)
    app.add_typer(token_app, name="token")
