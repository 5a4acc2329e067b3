"""Commands of a home that follows a shared record: login, sync and rejected.

HTTP and sync modules are imported inside the commands that use them, so every other
``warroom`` command starts without paying for them.
"""

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from warroom.cli.files import write_private
from warroom.cli.output import emit_json, fail, say
from warroom.cli.params import Json, runtime_of
from warroom.cli.runtime import Runtime
from warroom.core.errors import InvalidInput, WarroomError

if TYPE_CHECKING:
    from warroom.sync.engine import SyncEngine


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
    replica.bind(url, info["public_key"], you["role"])
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


def register(app: typer.Typer) -> None:
    app.command()(login)
    app.command()(sync)
    app.command()(rejected)
