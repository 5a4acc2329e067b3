"""Runbook commands: ``runbooks list|show|check|suggest|watch``, ``attach`` and ``step``."""

import json
import re
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

from warroom.cli.output import emit_json, report_problems, say
from warroom.cli.params import At, Incident, Json, report, runtime_of, when
from warroom.core import events as ev
from warroom.core.errors import InvalidInput
from warroom.core.runbook import (
    CodeBlock,
    Runbook,
    RunbookProblem,
    RunbookStep,
    has_errors,
    step_count,
    suggest,
)
from warroom.core.sanitize import visible
from warroom.core.state import AttachedRunbook
from warroom.runbooks.library import LibraryEntry, Reload, check_paths, read_runbook
from warroom.runbooks.runner import run_command

app = typer.Typer(help="Find, read, check and suggest runbooks.", no_args_is_help=True)

RunbookId = Annotated[str, typer.Argument(help="Runbook id: the file name without .md.")]
RunbookOrFile = Annotated[
    str,
    typer.Argument(
        metavar="RUNBOOK",
        help="Runbook id (the file name without .md), or the path of a .md file to read as is.",
    ),
]

_MARKS = {"open": " ", "claimed": "c", "started": ">", "done": "x", "failed": "!", "skipped": "-"}
"""One character per step status, for the ``[ ]`` box in listings."""


@app.command("list")
def list_runbooks(ctx: typer.Context, as_json: Json = False) -> None:
    """List every runbook found, with the file that won and the files it shadows."""
    catalog = runtime_of(ctx).runbooks.catalog
    if as_json:
        emit_json(
            {
                "runbooks": [_entry_summary(entry) for entry in catalog.entries.values()],
                "problems": catalog.problems,
            }
        )
        return
    for entry in catalog.entries.values():
        book = entry.runbook
        say(f"{book.id}  {book.title}")
        say(f"    {entry.source}: {entry.path}  ({step_count(book.steps)} steps)")
        for shadowed in entry.shadowed:
            say(f"    shadows {shadowed}")
    if not catalog.entries:
        say("No runbooks found; `warroom locate` shows where your own go.")
    if catalog.problems:
        say(f"{_count(catalog.problems)} in runbook files: run `warroom runbooks check`")


def _count(problems: tuple[RunbookProblem, ...] | list[RunbookProblem]) -> str:
    """``2 error(s), 1 warning(s)``: how many of each, naming only the kinds present."""
    errors = sum(problem.is_error for problem in problems)
    counts = ((errors, "error(s)"), (len(problems) - errors, "warning(s)"))
    return ", ".join(f"{n} {kind}" for n, kind in counts if n)


def _entry_summary(entry: LibraryEntry) -> dict:
    book = entry.runbook
    return {
        "id": book.id,
        "title": book.title,
        "source": entry.source,
        "path": entry.path,
        "shadowed": entry.shadowed,
        "content_hash": book.content_hash,
        "owner": book.owner,
        "services": book.services,
        "incident_types": book.incident_types,
        "severities": book.severities,
        "tags": book.tags,
        "steps": step_count(book.steps),
    }


@app.command("show")
def show(
    ctx: typer.Context,
    runbook: RunbookOrFile,
    incident: Annotated[
        str | None,
        typer.Option("--incident", "-i", help="Show the version pinned there, with progress."),
    ] = None,
    as_json: Json = False,
) -> None:
    """Show a runbook's phases and steps (or, with --incident, the pinned version's progress).

    RUNBOOK may be the path of a Markdown file, shown as parsed without being in the
    library: how a runbook from another repository reads before it is added."""
    runtime = runtime_of(ctx)
    if incident is not None:
        state = runtime.room.state(incident)
        pinned = state.runbooks.get(runbook.strip())
        if pinned is None:
            raise InvalidInput(f"{runbook} is not attached to {state.id}")
        if as_json:
            emit_json(pinned)
            return
        say(f"{pinned.title}  ({pinned.runbook_id} @{pinned.content_hash[:8]} on {state.id})")
        _print_steps(pinned.steps, pinned)
        return
    if _is_path(runbook):
        entry = _file_entry(Path(runbook), [phase.id for phase in runtime.policy.phases])
    else:
        entry = runtime.runbooks.catalog.get(runbook)
    if as_json:
        emit_json(_entry_summary(entry) | {"runbook": entry.runbook, "problems": entry.problems})
        return
    _print_runbook(entry)


def _is_path(argument: str) -> bool:
    """A file path rather than an id: it ends in ``.md`` or names a directory part."""
    return argument.strip().lower().endswith(".md") or "/" in argument or "\\" in argument


def _file_entry(path: Path, phases: list[str]) -> LibraryEntry:
    """One file read as the library would, outside it; an error refuses it, file:line."""
    book, problems = read_runbook(path, phases)
    if book is None:
        listed = "\n".join(str(problem) for problem in problems)
        raise InvalidInput(f"{path} is not a runbook warroom can read:\n{listed}")
    return LibraryEntry(runbook=book, path=path, source="file", problems=tuple(problems))


def _print_runbook(entry: LibraryEntry) -> None:
    book = entry.runbook
    say(f"{book.title}  ({book.id} @{book.content_hash[:8]})")
    say(f"  file       {entry.path} ({entry.source})")
    for label, values in (
        ("owner", (book.owner,) if book.owner else ()),
        ("services", book.services),
        ("types", book.incident_types),
        ("severities", book.severities),
        ("tags", book.tags),
        ("reviewed", (str(book.last_reviewed),) if book.last_reviewed else ()),
    ):
        if values:
            say(f"  {label:<10} {', '.join(values)}")
    if book.summary:
        say()
        say(book.summary)
    _print_steps(book.steps)
    notes = [section for section in book.sections if section.text]
    for section in notes:
        say()
        say(f"{section.title}:")
        say(section.text)
    if entry.problems:
        say()
        suffix = " (the last good version is shown)" if entry.stale else ""
        say(f"{_count(entry.problems)}{suffix}:")
        for problem in entry.problems:
            say(f"  {problem}")


def _print_steps(
    steps: tuple[RunbookStep, ...] | list[RunbookStep], pinned: AttachedRunbook | None = None
) -> None:
    """Steps grouped under their phase (or section), sub-steps indented, commands shown."""
    heading = None
    for top in steps:
        group = (top.phase or top.section or "Steps").capitalize()
        if group != heading:
            heading = group
            say()
            say(heading)
        _print_step(top, 1, pinned)


def _print_step(step: RunbookStep, depth: int, pinned: AttachedRunbook | None) -> None:
    pad = "  " * depth
    kind = "" if step.type == "action" else f"[{step.type}] "
    if pinned is None:
        say(f"{pad}{step.id}  {kind}{step.title}")
    else:
        progress = pinned.progress_of(step.id)
        who = f"  ({progress.status} by {progress.finished_by or progress.owner})"
        detail = who if progress.status != "open" else ""
        if progress.note:
            detail += f": {progress.note}"
        say(f"{pad}[{_MARKS[progress.status]}] {step.id}  {kind}{step.title}{detail}")
    for command in step.commands:
        prompt = "$ " if command.is_shell else "| "
        for line in command.code.splitlines():
            say(f"{pad}    {prompt}{line}")
            prompt = "  " if command.is_shell else prompt
    for child in step.children:
        _print_step(child, depth + 1, pinned)


@app.command("check")
def check(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders to check (default: every runbook source)."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Treat warnings as errors (exit 1 on any).")
    ] = False,
    as_json: Json = False,
) -> None:
    """Validate runbooks: quiet on success, one file:line: message per problem.

    Errors (a file that does not load) exit 1; warnings (a file that loads, read as the
    warning says) are printed and exit 0, unless --strict makes them errors."""
    runtime = runtime_of(ctx)
    if paths:
        problems = check_paths(paths, [phase.id for phase in runtime.policy.phases])
    else:
        problems = list(runtime.runbooks.catalog.problems)
    if strict:
        problems = [problem.model_copy(update={"severity": "error"}) for problem in problems]
    report_problems(problems, as_json, failed=has_errors(problems))


@app.command("suggest")
def suggest_cmd(ctx: typer.Context, incident: Incident, as_json: Json = False) -> None:
    """Rank runbooks for an incident by its type, services, severity and title words."""
    runtime = runtime_of(ctx)
    state = runtime.room.state(incident)
    words = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", state.title.lower())
    ranked = suggest(
        runtime.runbooks.catalog.runbooks(),
        state.incident_type,
        services=state.services,
        keywords=words,
        severity=state.severity,
    )
    if as_json:
        emit_json(ranked)
        return
    if not ranked:
        say(f"No runbook matches {state.id}; `warroom runbooks list` shows them all.")
    for item in ranked:
        attached = "  (attached)" if item.runbook_id in state.runbooks else ""
        say(f"{item.score:>3}  {item.runbook_id}  {item.title}{attached}")
        say(f"     {'; '.join(item.reasons)}")


@app.command("watch")
def watch(ctx: typer.Context, as_json: Json = False) -> None:
    """Reload runbooks as they are saved and report what changed, until Ctrl-C."""
    from warroom.runbooks.watcher import RunbookWatcher

    library = runtime_of(ctx).runbooks
    watcher = RunbookWatcher(library)
    watcher.subscribe(lambda reload: _report(reload, as_json))
    with watcher:
        watcher.ready.wait()
        watched = [str(s.path) for s in library.sources if s.path.is_dir()]
        problems = library.catalog.problems
        if as_json:
            record = {"watching": watched, "problems": [p.model_dump() for p in problems]}
            sys.stdout.write(json.dumps(record) + "\n")
        else:
            say(f"watching {', '.join(watched) or 'nothing (no runbook folder exists)'}")
            for problem in problems:
                say(str(problem))
        sys.stdout.flush()
        threading.Event().wait()


def _report(reload: Reload, as_json: bool) -> None:
    if as_json:
        record = {
            "changed": reload.changed,
            "removed": reload.removed,
            "problems": [p.model_dump() for p in reload.problems],
        }
        sys.stdout.write(json.dumps(record) + "\n")
    else:
        for runbook_id in reload.changed:
            say(f"reloaded {runbook_id} from {reload.catalog.get(runbook_id).path}")
        for runbook_id in reload.removed:
            say(f"removed {runbook_id}")
        for problem in reload.problems:
            kept = reload.catalog.entries.get(Path(problem.file).stem)
            suffix = " (the last good version stays in use)" if kept and kept.stale else ""
            say(f"{problem}{suffix}")
    sys.stdout.flush()


def attach(
    ctx: typer.Context,
    incident: Incident,
    runbook: RunbookId,
    at: At = None,
    as_json: Json = False,
) -> None:
    """Pin a runbook to an incident; run it again to re-pin a newer version from disk."""
    runtime = runtime_of(ctx)
    book: Runbook = runtime.runbooks.catalog.get(runbook).runbook
    previous = runtime.room.state(incident).runbooks.get(book.id)
    event = runtime.room.attach_runbook(incident, book, at=when(at))
    if as_json:
        emit_json(event)
        return
    steps = step_count(book.steps)
    version = f"version {book.content_hash[:8]}, {steps} steps from {book.path}"
    if previous is None:
        say(f"{event.incident_id}: attached {book.id} ({version})  [{event.id}]")
    else:
        was = previous.content_hash[:8]
        say(f"{event.incident_id}: re-pinned {book.id} ({version}; was {was})  [{event.id}]")
        for change in event.payload.changes or ("no step type or command changed",):
            say(f"  {change}")


STEP_ACTIONS_HELP = "claim, start, done, fail, skip, reopen, or run (its pinned command)"


def step(
    ctx: typer.Context,
    incident: Incident,
    step_ref: Annotated[
        str, typer.Argument(metavar="STEP", help="Step id, or runbook/step when ambiguous.")
    ],
    action: Annotated[str, typer.Argument(help=STEP_ACTIONS_HELP)],
    note: Annotated[str, typer.Option("--note", "-n", help="Why (required to fail or skip).")] = "",
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="run: do not ask for confirmation.")
    ] = False,
    block: Annotated[
        int, typer.Option("--block", min=1, help="run: which of the step's commands.")
    ] = 1,
    at: At = None,
    as_json: Json = False,
) -> None:
    """Record progress on a runbook step, or run its pinned command."""
    runtime = runtime_of(ctx)
    action = action.strip().lower()
    if action == "run":
        event = runtime.room.run_step_command(
            incident,
            step_ref,
            confirm=lambda command: yes or _confirm(command),
            execute=run_command,
            block=block,
        )
        _ran(event, as_json)
        return
    if action not in ev.STEP_ACTIONS:
        raise InvalidInput(f"unknown step action {action!r}; choose {STEP_ACTIONS_HELP}")
    report(runtime.room.mark_step(incident, step_ref, action, note=note, at=when(at)), as_json)


def _confirm(command: CodeBlock) -> bool:
    """Show the exact command and ask, on stderr so --json output stays clean; no answer
    (no terminal, end of input) means no."""
    sys.stderr.write("This will run:\n")
    for line in command.code.splitlines():
        sys.stderr.write(f"  {visible(line)}\n")
    sys.stderr.write("Run it? [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _ran(event: ev.Event, as_json: bool) -> None:
    payload: ev.CommandRun = event.payload
    if as_json:
        emit_json(event)
    else:
        if payload.output:
            say(payload.output.rstrip("\n"))
        say(f"{event.incident_id}: {ev.payload_text(payload)}  [{event.id}]")
    if payload.exit_code != 0:
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="runbooks")
    root.command()(attach)
    root.command()(step)
