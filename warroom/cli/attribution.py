"""Entries written under another name than the token's: asked about at login, never lost.

Before ``warroom login`` the actor is the login name (or ``--as``); the server accepts a
token's entries only under the token's name, so those entries would all be refused —
the declaration first, then everything after it as "does not exist". At login the user
chooses, explicitly: ``--adopt`` re-issues them under the token's name (same times,
linked to the originals, see ``warroom.store.reissue``); ``--keep-local`` keeps them on
this machine, unsent, shown by ``warroom rejected`` and ``list``/``status`` as not
accepted, until ``warroom rejected ID --resubmit`` sends them.
"""

import sys
from collections import Counter

import typer

from warroom.core.errors import InvalidInput
from warroom.store.local import LocalStore
from warroom.store.reissue import Original, pending_originals, refused_originals, reissue
from warroom.store.replica import Replica


def foreign_entries(store: LocalStore, name: str) -> list[Original]:
    """Entries not yet accepted by a server (pending, or refused) written as anyone but
    ``name``, oldest first."""
    return pending_originals(store, name) + refused_originals(store, except_actor=name)


def _authors(entries: list[Original]) -> str:
    counts = Counter(entry.actor for entry in entries)
    return ", ".join(f"{count} as {actor!r}" for actor, count in counts.most_common())


def settle_foreign_entries(
    store: LocalStore, name: str, *, adopt: bool, keep_local: bool, login_line: str
) -> str | None:
    """Apply the user's choice for entries written under another name than ``name``;
    a sentence saying what was done, or None when there were none. Asks on a terminal;
    refuses (nothing changed) when there is no choice and no terminal to ask on."""
    if adopt and keep_local:
        raise InvalidInput("choose one of --adopt and --keep-local")
    entries = foreign_entries(store, name)
    if not entries:
        return None
    found = (
        f"{len(entries)} entries here were written under another name than {name!r},"
        f" the token's ({_authors(entries)}); the server accepts only {name!r}"
    )
    if not adopt and not keep_local:
        if not sys.stdin.isatty():
            raise InvalidInput(
                f"{found}. Run `{login_line} --adopt` to re-issue them as {name} (same"
                " times, linked to the originals), or `--keep-local` to keep them here"
                " unsent (`warroom rejected ID --resubmit` sends them later)"
            )
        typer.echo(found + ".", err=True)
        choice = typer.prompt(
            f"Re-issue them as {name} (adopt), or keep them here unsent (keep)?",
            type=typer.Choice(["adopt", "keep"]),
            err=True,
        )
        adopt = choice == "adopt"
    if adopt:
        made = reissue(store, name, entries)
        return f"re-issued {len(made)} entries as {name}; `warroom sync` sends them"
    pending = pending_originals(store, name)
    reason = (
        f"written as another name than {name!r}, the token's; kept on this machine,"
        f" not sent: `warroom rejected ID --resubmit` sends them as {name}"
    )
    Replica(store).settle([{"id": e.id, "status": "rejected", "reason": reason} for e in pending])
    return f"kept {len(entries)} entries here, unsent; `warroom rejected` lists them"


def resubmit(store: LocalStore, incident_id: str, actor: str) -> str:
    """Re-issue an incident's refused (or kept) entries as ``actor``, for the next sync;
    refused, as any entry typed there, in a home logged in with a token that may not
    write (they would only be refused again)."""
    store.require_writing_login()
    entries = refused_originals(store, incident_id=incident_id)
    if not entries:
        raise InvalidInput(f"{incident_id} has no refused or unsent entry to resubmit")
    made = reissue(store, actor, entries)
    left = len(entries) - len(made)
    damaged = f"; {left} could not be read and stay listed" if left else ""
    return (
        f"re-issued {len(made)} entries of {incident_id} as {actor}{damaged};"
        " `warroom sync` sends them"
    )
