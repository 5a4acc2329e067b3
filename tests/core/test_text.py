from datetime import UTC, datetime, timedelta

import pytest

from warroom.core.errors import InvalidInput
from warroom.core.sanitize import visible
from warroom.core.timeparse import format_duration, parse_when

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-5m", NOW - timedelta(minutes=5)),
        ("5m ago", NOW - timedelta(minutes=5)),
        ("-2h", NOW - timedelta(hours=2)),
        ("-30s", NOW - timedelta(seconds=30)),
        ("now", NOW),
        ("2026-11-24T11:00:00Z", NOW - timedelta(hours=1)),
    ],
)
def test_parse_when(text, expected):
    assert parse_when(text, NOW) == expected


def test_clock_time_is_today_or_yesterday_never_future():
    parsed = parse_when("00:00", NOW)
    assert parsed <= NOW and NOW - parsed < timedelta(days=1)


@pytest.mark.parametrize("bad", ["5m", "yesterday-ish", "25:00", ""])
def test_bad_times_are_clear_errors(bad):
    with pytest.raises(InvalidInput):
        parse_when(bad, NOW)


def test_format_duration():
    assert format_duration(None) == "unknown"
    assert format_duration(timedelta(seconds=42)) == "42s"
    assert format_duration(timedelta(minutes=65)) == "1h05m"
    assert format_duration(timedelta(days=2, hours=3)) == "2d03h"


def test_visible_neutralises_terminal_control():
    hostile = "ok\x1b[2J\x1b]52;c;ZXZpbA==\x07\x08\rX\u202egnp.exe\x9b31m"
    shown = visible(hostile)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert "\u202e" not in shown
    assert "␛[2J" in shown and "<U+202E>" in shown and "␇" in shown


def test_visible_keeps_newlines_only_when_asked():
    assert visible("a\nb") == "a⏎b"
    assert visible("a\nb", single_line=False) == "a\nb"
    assert visible("[bold]x[/]") == "[bold]x[/]"
