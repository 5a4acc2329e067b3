"""``warroom update``: draft a status notice from a template, read it, approve or return it.

``draft`` renders the audience's template for the incident as it stands, opens it in
``$VISUAL`` or ``$EDITOR`` and records what was saved, exactly (``--file`` takes the text
from a file or standard input instead, for scripts). ``show`` prints the exact text and
the first characters of its digest; ``approve --digest`` binds the approval to the text
that was read, so a revision made in between is refused instead of approved unseen.
"""

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from warroom.cli.files import read_text_source
from warroom.cli.output import emit_json, report_problems, say
from warroom.cli.params import Incident, Json, report, runtime_of
from warroom.cli.runtime import Runtime
from warroom.core.errors import InvalidInput, NotFound
from warroom.core.notices import needs_approval, no_such_notice, standing
from warroom.core.state import IncidentState, NoticeState
from warroom.templates.library import notice_library, prefill

app = typer.Typer(help="Status notices: draft, read, approve, send back.", no_args_is_help=True)

Draft = Annotated[str, typer.Argument(help="The notice's id (see `warroom update list`).")]
DIGEST_SHOWN = 12
"""How many hex characters of a notice's digest ``show`` prints (``--digest`` takes them)."""


def _library(runtime: Runtime):
    return notice_library(runtime.policy, runtime.paths.templates)


@app.command("draft")
def draft(
    ctx: typer.Context,
    incident: Incident,
    audience: Annotated[
        str | None, typer.Option("--audience", "-a", help="Who it is for (internal, external...).")
    ] = None,
    template: Annotated[
        str | None, typer.Option("--template", help="Start from this template instead.")
    ] = None,
    revise: Annotated[
        str | None, typer.Option("--revise", help="Revise this notice (starts from its text).")
    ] = None,
    source: Annotated[
        str | None,
        typer.Option("--file", help="Take the text from this file (- for standard input)."),
    ] = None,
    as_json: Json = False,
) -> None:
    """Draft a notice for an audience in your editor, from the audience's template."""
    runtime = runtime_of(ctx)
    state = runtime.room.state(incident)
    earlier = _notice(state, revise) if revise else None
    if earlier is None and audience is None:
        choices = ", ".join(runtime.policy.audiences)
        raise InvalidInput(f"say who the notice is for: --audience, one of {choices}")
    audience = runtime.policy.audience(audience or earlier.audience)
    name = earlier.template if earlier else ""
    if source is not None:
        text = read_text_source(source)
    else:
        library = _library(runtime)
        if earlier is not None and template is None:
            start, chosen = earlier.text, library.by_name.get(earlier.template)
        else:
            events = runtime.store.events(state.id)
            chosen, start = prefill(library, state, events, audience, template)
            name = chosen.name
        text = edit_in_editor(start, EDITOR_SUFFIX[chosen.fmt] if chosen else ".txt")
    if not text.strip():
        raise InvalidInput("the notice is empty; nothing recorded")
    event = runtime.room.draft_notice(state.id, audience, text, draft_id=revise, template=name)
    report(event, as_json)
    roles = needs_approval(runtime.policy, audience)
    if roles and not as_json:
        say(f"It goes out once the {' or '.join(roles)} approves it.")


EDITOR_SUFFIX = {"plain": ".txt", "markdown": ".md", "html": ".html"}
"""The editor file's extension per format, so the editor highlights the notice."""


def edit_in_editor(text: str, suffix: str) -> str:
    """``text`` after the user edited it in ``$VISUAL`` / ``$EDITOR`` (``vi`` if neither)."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.TemporaryDirectory(prefix="warroom-notice-") as folder:
        path = Path(folder) / f"notice{suffix}"
        path.write_text(text, encoding="utf-8")
        try:
            finished = subprocess.run([*shlex.split(editor), str(path)], check=False)
        except (OSError, ValueError) as exc:
            raise InvalidInput(
                f"cannot start the editor {editor!r} ({exc}); set $EDITOR, or give the text"
                " with --file"
            ) from None
        if finished.returncode != 0:
            raise InvalidInput(
                f"the editor exited with status {finished.returncode}; nothing recorded"
            )
        return read_text_source(str(path))


def _notice(state: IncidentState, draft_id: str) -> NoticeState:
    notice = state.notices.get(draft_id.strip())
    if notice is None:
        raise NotFound(no_such_notice(state, draft_id))
    return notice


@app.command("list")
def list_notices(ctx: typer.Context, incident: Incident, as_json: Json = False) -> None:
    """The incident's notices: audience, where each stands, its first line."""
    runtime = runtime_of(ctx)
    state = runtime.room.state(incident)
    if as_json:
        emit_json([n.model_dump(mode="json") for n in state.notices.values()])
        return
    if not state.notices:
        say(f"{state.id} has no notices; draft one with `warroom update draft {state.id}`.")
    for notice in state.notices.values():
        first = notice.text.strip().splitlines()[0]
        say(
            f"{notice.draft_id}  {notice.audience:<10} r{notice.revision}"
            f"  {standing(runtime.policy, notice)}  — {first}"
        )


@app.command("show")
def show(ctx: typer.Context, incident: Incident, draft_id: Draft, as_json: Json = False) -> None:
    """Print a notice's exact text, with its digest for `approve --digest`."""
    runtime = runtime_of(ctx)
    notice = _notice(runtime.room.state(incident), draft_id)
    if as_json:
        emit_json(notice)
        return
    say(
        f"{notice.draft_id} to {notice.audience}, revision {notice.revision} by"
        f" {notice.drafted_by}; {standing(runtime.policy, notice)}"
    )
    say(f"digest {notice.digest[:DIGEST_SHOWN]}")
    say("-" * 40)
    sys.stdout.flush()
    say(notice.text.removesuffix("\n"))


@app.command("approve")
def approve(
    ctx: typer.Context,
    incident: Incident,
    draft_id: Draft,
    digest: Annotated[
        str | None,
        typer.Option("--digest", help="The digest `update show` printed: approve only that text."),
    ] = None,
    as_json: Json = False,
) -> None:
    """Approve a notice's text as it stands (pin it with --digest)."""
    runtime = runtime_of(ctx)
    report(runtime.room.approve_notice(incident, draft_id.strip(), digest=digest), as_json)


@app.command("return")
def send_back(
    ctx: typer.Context,
    incident: Incident,
    draft_id: Draft,
    reason: Annotated[str, typer.Option("--reason", "-r", help="What to change.")] = "",
    as_json: Json = False,
) -> None:
    """Send a notice back to its writer, saying what to change."""
    runtime = runtime_of(ctx)
    report(runtime.room.return_notice(incident, draft_id.strip(), reason), as_json)


@app.command("templates")
def templates(ctx: typer.Context, as_json: Json = False) -> None:
    """The notice templates in use and any problem in their files (exit 1 on problems)."""
    runtime = runtime_of(ctx)
    library = _library(runtime)
    if not as_json:
        for name, template in sorted(library.by_name.items()):
            say(f"{name:<24} {template.fmt:<9} {template.path}")
    report_problems(library.problems, as_json)
