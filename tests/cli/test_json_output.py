"""``--json`` output is written by a compiled encoder where it gives the same text
(issue 11: the standard library's indenting encoder is pure Python, ~60 µs an incident
of ``warroom list --json`` at 10,000 incidents)."""

import json
from datetime import UTC, datetime

import pytest

from warroom.cli.output import emit_json


def _refuse(*args, **kwargs):
    raise AssertionError("the pure-Python indenting encoder ran")


def test_plain_values_skip_the_pure_python_encoder(monkeypatch, capsys) -> None:
    rows = [{"id": f"inc-{n}", "title": "é ✓", "events": n, "drill": False} for n in range(50)]
    monkeypatch.setattr(json.encoder, "_make_iterencode", _refuse)
    emit_json(rows)
    monkeypatch.undo()
    assert capsys.readouterr().out == json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("value", [{"at": datetime(2026, 11, 24, tzinfo=UTC)}, {"x": 0.1}])
def test_other_values_keep_the_standard_librarys_text(value, capsys) -> None:
    emit_json(value)
    expected = json.dumps(value, indent=2, ensure_ascii=False, default=lambda v: v.isoformat())
    assert capsys.readouterr().out == expected + "\n"
