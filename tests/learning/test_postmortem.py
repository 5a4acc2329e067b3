"""The postmortem draft: golden files for the demo and for an incident with every entry
kind, reproducibility, templates (override, named, broken with file:line) and the CLI.

After a deliberate change to the draft (or to the shipped runbook the demo follows),
regenerate the golden files with WARROOM_UPDATE_GOLDEN=1 and read their diff.
"""

import os
from datetime import timedelta
from pathlib import Path

import pytest

from tests.learning.postmortem_records import NOW, demo_incident, every_kind_incident
from warroom.actions import WarRoom
from warroom.cli.runtime import Runtime
from warroom.core import events as ev
from warroom.core.fold import fold
from warroom.core.postmortem import MAX_TIMELINE, postmortem_data
from warroom.postmortem.library import find_template
from warroom.store.postmortem_feed import postmortem_of
from warroom.templates.sandbox import TemplateFailed

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("WARROOM_UPDATE_GOLDEN") == "1"


def _draft(runtime, incident_id: str, template: str | None = None) -> str:
    chosen = find_template(runtime.policy, runtime.paths.data, template)
    data = postmortem_of(runtime.store, incident_id, runtime.policy, as_of=NOW)
    return "".join(chosen.render(data))


def _normalised(text: str, runtime, incident_id: str) -> str:
    """Ids are made fresh by every run (UUIDv7, random suffixes): name them by role."""
    text = text.replace(incident_id, "INCIDENT")
    for n, entry in enumerate(sorted(e.risk_id for e in _risks(runtime)), 1):
        text = text.replace(entry, f"RISK-{n}")
    return text


def _risks(runtime):
    from warroom.store.followups import risk_register

    return risk_register(runtime.store)


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"differs from {path} (see the diff above)"


def test_the_demo_incident_drafts_as_its_golden_file(tmp_path):
    runtime, iid = demo_incident(tmp_path / "home")
    _golden("postmortem_demo.md", _normalised(_draft(runtime, iid), runtime, iid))


def test_an_incident_with_every_entry_kind_drafts_as_its_golden_file(tmp_path):
    runtime, iid = every_kind_incident(tmp_path / "home")
    text = _draft(runtime, iid)
    _golden("postmortem_every_kind.md", _normalised(text, runtime, iid))
    # what the draft is for, said outright as well as by the golden file
    assert "**confirmed:** The config push broke the cache keys" in text
    assert "**ruled out:** DNS is sending traffic" in text
    assert "wrong incident" not in text  # retracted entries stay out
    assert "CDN config pushed at 08:50" in text and "08:55" not in text  # corrected
    assert "just chatter" not in text and "purge queue 40k deep" not in text  # not key
    assert "skipped: page" in text and "owners already on the bridge" in text
    assert "failed: flush" in text and "flush API timed out" in text
    assert "| MTTR | 5h30m |" in text
    assert "Unchecked CDN config pushes" in text
    assert "never accepted" in text and "handed from ana to cy" in text


def test_the_same_record_gives_the_same_document(tmp_path):
    runtime, iid = every_kind_incident(tmp_path / "home")
    first = _draft(runtime, iid)
    runtime.close()
    from warroom.cli.runtime import Runtime

    again = Runtime(tmp_path / "home", "someone-else")
    assert _draft(again, iid) == first


def test_a_template_in_the_users_folder_wins_and_others_are_named(tmp_path):
    runtime, iid = every_kind_incident(tmp_path / "home")
    folder = runtime.paths.data / "postmortem"
    folder.mkdir(parents=True)
    (folder / "postmortem.md.j2").write_text("# {{ incident.title }}\n{{ incident.duration }}\n")
    (folder / "short.md.j2").write_text("{% for a in action_items %}{{ a.owner }};{% endfor %}\n")
    assert _draft(runtime, iid) == "# Edge cache serving stale \\| prices\n5h30m\n"
    assert _draft(runtime, iid, "short") == "bo;unassigned;cy;cy;"  # trim_blocks


@pytest.mark.parametrize(
    ("source", "line", "says"),
    [
        ("ok\n{{ incident.titel }}\n", 2, "titel"),
        ("{% for x in timeline %}\n{{ x.at }\n", 2, "unexpected"),
        ("a\nb\n{{ incident.__class__ }}\n", 3, "reaches into Python internals"),
        ('{% include "other.md.j2" %}\n', 1, "include is off"),
    ],
)
def test_a_broken_template_is_reported_with_its_file_and_line(tmp_path, source, line, says):
    runtime, _ = every_kind_incident(tmp_path / "home")
    path = tmp_path / "mine.md.j2"
    path.write_text(source)
    with pytest.raises(TemplateFailed) as failure:
        find_template(runtime.policy, runtime.paths.data, str(path))
    assert str(failure.value).startswith(f"{path}:{line}: ") and says in str(failure.value)


def test_the_timeline_keeps_what_mattered_and_counts_the_rest(tmp_path):
    runtime, iid = every_kind_incident(tmp_path / "home")
    state = runtime.store.state(iid)
    decision = ev.Event(
        id="x",
        incident_id=iid,
        actor="bo",
        occurred_at=NOW,
        recorded_at=NOW,
        device_id="d",
        device_seq=1,
        payload=ev.Decision(text="again"),
    )
    many = [("decision", decision.model_copy(update={"id": f"d{n}"})) for n in range(600)]
    data = postmortem_data(fold([m for _, m in many], state), many, runtime.policy)
    assert len(data["timeline"]) == MAX_TIMELINE and data["timeline_omitted"] == 100


def test_warroom_postmortem_writes_the_draft_and_refuses_in_plain_words(cli, tmp_path):
    iid = cli("declare", "Queue lag", "--severity", "SEV3", "--type", "outage").out.strip()
    cli("log", iid, "lag 20 minutes", "--kind", "observation")
    out = cli("postmortem", iid).out
    assert out.startswith("# Postmortem: Queue lag\n") and "| MTTR | unknown |" in out
    target = tmp_path / "pm.md"
    cli("postmortem", iid, "-o", str(target))
    assert target.read_text() == out and (target.stat().st_mode & 0o077) == 0
    bad = tmp_path / "bad.md.j2"
    bad.write_text("fine\n{{ nope }}\n")
    failed = cli("postmortem", iid, "--template", str(bad), check=False)
    assert failed.code != 0 and failed.out == ""
    assert f"{bad}:2:" in failed.err and "nope" in failed.err and "Traceback" not in failed.err
    missing = cli("postmortem", iid, "--template", "nosuch", check=False)
    assert missing.code != 0 and "no postmortem template named 'nosuch'" in missing.err


def test_the_pass_never_parses_what_the_draft_does_not_show(tmp_path):
    """Bounded by what is shown: chatter (and, once the timeline is full, more of what
    only the timeline shows) goes by as a kind alone, however broken its body."""
    runtime, iid = every_kind_incident(tmp_path / "home")
    state = runtime.store.state(iid)
    unreadable = "{not json"
    stream = [("note", unreadable), ("checklist_marked", unreadable), ("todo", unreadable)]
    stream *= 10_000
    data = postmortem_data(state, stream, runtime.policy)
    assert data["timeline"] == [] and data["action_items"]  # items come from the fold
    decision = ev.Event(
        id="d",
        incident_id=iid,
        actor="bo",
        occurred_at=NOW,
        recorded_at=NOW,
        device_id="d",
        device_seq=1,
        payload=ev.Decision(text="again"),
    )
    shown = [("decision", decision.model_copy(update={"id": f"d{n}"})) for n in range(MAX_TIMELINE)]
    full = postmortem_data(state, shown + [("decision", unreadable)] * 1000, runtime.policy)
    assert full["timeline_omitted"] == 1000


def test_as_of_flags_the_open_items_past_due_and_nothing_else(tmp_path):
    runtime, iid = every_kind_incident(tmp_path / "home")
    later = NOW + timedelta(days=30)
    items = postmortem_of(runtime.store, iid, runtime.policy, as_of=later)["action_items"]
    assert [(a["text"], a["overdue"]) for a in items] == [
        ("Add a cache-key check to the CDN pipeline", True),
        ("Alert on purge queue depth", False),  # no due date
        ("Document the rollback", False),  # done
        ("Retire v40 config", False),  # won't do
    ]
    unstated = postmortem_of(runtime.store, iid, runtime.policy)["action_items"]
    assert not any(a["overdue"] for a in unstated)  # no "now" unless one is passed


def test_a_backdated_entry_takes_its_place_in_the_timeline(tmp_path):
    """The pass reads in order of occurrence: one scan of the log while nothing was
    backdated, by position once something was — and both give that order."""
    runtime = Runtime(tmp_path / "home", "ana")
    room = WarRoom(runtime.store, runtime.policy, "ana", confirm_backdate=True)
    iid = room.declare("Queue lag", severity="SEV3", incident_type="outage", at=NOW).incident_id
    for minute in (10, 30):
        room.log(iid, f"decided at {minute}", kind="decision", at=NOW + timedelta(minutes=minute))

    def timeline() -> list[str]:
        data = postmortem_of(runtime.store, iid, runtime.policy, as_of=NOW)
        return [entry["text"] for entry in data["timeline"]]

    scanned = timeline()
    room.log(iid, "decided at 20", kind="decision", at=NOW + timedelta(minutes=20))
    assert timeline() == [scanned[0], "decided at 10", "decided at 20", "decided at 30"]
    assert scanned[1:] == ["decided at 10", "decided at 30"]
