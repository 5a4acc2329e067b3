"""The scribe's entry line, the ``:`` command line and the timeline filter, without a
screen: what a line means is decided here, so it is tested here."""

from datetime import UTC, datetime, timedelta

import pytest

from warroom.core.errors import InvalidInput
from warroom.tui.commands import complete, expected, palette_entries, parse_command
from warroom.tui.entry import parse_entry
from warroom.tui.rows import Row, TimelineFilter

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "kind", "text", "back"),
    [
        ("the cache is warm", "note", "the cache is warm", None),
        ("o: p99 is 4s", "observation", "p99 is 4s", None),
        ("-5m d: fail over", "decision", "fail over", 5),
        ("d: -5m fail over", "decision", "fail over", 5),
        ("-90s OBS: flapping", "observation", "flapping", 1.5),
        ("http://x is down", "note", "http://x is down", None),
        ("-2h h: the deploy", "hypothesis", "the deploy", 120),
    ],
)
def test_entry_prefixes_and_backdating(line, kind, text, back):
    draft = parse_entry(line, NOW)
    assert (draft.kind, draft.text) == (kind, text)
    assert draft.at == (NOW - timedelta(minutes=back) if back else None)


def test_entry_owner_audience_stage_and_clock_time():
    assert parse_entry("t: @dee rotate keys", NOW).owner == "dee"
    assert parse_entry("s: @external we are on it", NOW).audience == "external"
    assert parse_entry("r: rollback done", NOW).stage == "result"
    assert parse_entry("@09:45 o: it started", NOW).at.astimezone(UTC).minute == 45
    assert "backdated 5m" in parse_entry("-5m d: x", NOW).describe(NOW)
    with pytest.raises(InvalidInput):
        parse_entry("d:   ", NOW)


def test_commands_parse_with_the_rest_of_the_line():
    command = parse_command("sev SEV1 EU customers cannot pay")
    assert command.spec.name == "severity"
    assert command.args == ("SEV1", "EU customers cannot pay")
    assert parse_command(":assign scribe Ana María").args == ("scribe", "Ana María")
    with pytest.raises(InvalidInput, match="missing person"):
        parse_command("assign scribe").arg(1, "person")
    with pytest.raises(InvalidInput, match="unknown command"):
        parse_command("launch missiles")


def test_completion_and_hints():
    choices = {"severity": ["SEV1", "SEV2"], "phase": ["triage", "recovery"]}.get

    def values(source):
        return choices(source) or []

    assert complete("ph", values) == ["phase "]  # the separating space comes with it
    assert complete("phase r", values) == ["phase recovery"]
    assert complete("sev SEV1 because", values) == []  # free text: nothing to offer
    assert "SEV1 SEV2" in expected("severity ", values)
    entries = {e.title: e for e in palette_entries(values)}
    assert entries["severity SEV1"].run and not entries["assign"].run
    assert entries["phase recovery"].line == "phase recovery"


def row(kind, text, actor="bo"):
    return Row(seq=1, id="e1", kind=kind, actor=actor, at=NOW, text=text)


def test_filter_by_kind_and_text():
    decisions = TimelineFilter.parse("d: fail")
    assert decisions.kinds == {"decision"} and decisions.text == "fail"
    assert decisions.matches(row("decision", "we FAIL over"))
    assert not decisions.matches(row("observation", "fail"))
    assert TimelineFilter.parse("o,h:").kinds == {"observation", "hypothesis"}
    url = TimelineFilter.parse("http://x")
    assert not url.kinds and url.text == "http://x"
    assert TimelineFilter.parse("ana").matches(row("note", "x", actor="ana"))
    assert TimelineFilter.parse("11%").matches(row("note", "9%"), fixed_text="down to 11%")
    assert not TimelineFilter.parse("  ").active
