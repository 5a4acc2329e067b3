"""Validation problems reach people in their words, never pydantic's: real layout and
policy files, and entries through the write path."""

import re
from pathlib import Path

import pytest

from warroom.actions import WarRoom
from warroom.core.errors import InvalidInput
from warroom.core.policy import PolicyError, default_policy, load_policy
from warroom.store.local import LocalStore
from warroom.tui.layouts import load_layouts

PYDANTIC = re.compile(
    r"should|Input|validation|Field required|Extra inputs|Tuple|String|pydantic", re.IGNORECASE
)


def _problems_of_policy(path: Path, text: str) -> list[str]:
    path.write_text(text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    return [str(problem) for problem in info.value.problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("severities = []\n", "p.toml:1: severities: needs at least 1 item; it has none"),
        ('[[roles]]\nid = "commander"\n', "p.toml:1: roles.0.title: is required and missing"),
        (
            "[runbooks]\ncommand_timeout_seconds = 99999\n",
            "p.toml:2: runbooks.command_timeout_seconds: must be at most 3600; it is 99999",
        ),
        (
            '[[escalations]]\nid = "x"\nwhen = "sometimes"\nafter_minutes = 1\naction = "page"\n',
            "p.toml:3: escalations.0.when: 'sometimes' is not one of the choices:"
            " 'unacknowledged', 'unmitigated', 'update_overdue', 'severity' or 'threshold'",
        ),
        ('statuses = ["not ok"]\n', "p.toml:1: statuses.0: 'not ok' is not a valid name"),
        ("[record]\nbackdate_confirm_hours = -1\n", "must be at least 0; it is -1"),
    ],
)
def test_policy_file_problems_are_worded_for_people(tmp_path, text, expected):
    problems = _problems_of_policy(tmp_path / "p.toml", text)
    assert any(expected in line.replace(str(tmp_path) + "/", "") for line in problems), problems
    assert not any(PYDANTIC.search(line.split(": ", 1)[1]) for line in problems), problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('name = "empty"\nsections = []\n', "empty.toml:2: sections: needs at least 1 item"),
        (
            'name = "wrong"\nsplit = "diagonal"\n[[sections]]\npanes = ["timeline"]\n',
            "wrong.toml:2: split: 'diagonal' is not one of the choices: 'columns' or 'rows'",
        ),
        (
            'name = "extra"\nfavourite = 1\n[[sections]]\npanes = ["timeline"]\n',
            "extra.toml:2: favourite: is not a known setting here (check its spelling)",
        ),
        ('name = "nopanes"\n[[sections]]\npanes = []\n', "sections.0.panes: needs at least 1"),
    ],
)
def test_layout_file_problems_are_worded_for_people(tmp_path, text, expected):
    name = expected.split(".toml", 1)[0].rsplit(" ", 1)[-1] if ".toml" in expected else "x"
    (tmp_path / f"{name}.toml").write_text(text)
    problems = load_layouts(tmp_path).problems
    assert any(expected in line for line in problems), problems
    assert not any(PYDANTIC.search(line.split(": ", 1)[1]) for line in problems), problems


def test_too_long_and_empty_entries_are_worded_for_people(tmp_path):
    room = WarRoom(LocalStore(tmp_path / "w.db"), default_policy(), "dora")
    incident = room.declare("DNS", severity="SEV2", incident_type="outage").incident_id
    with pytest.raises(InvalidInput) as info:
        room.log(incident, "x" * 12_034)
    assert str(info.value) == "entry is 12,034 characters; the limit is 10,000"
    with pytest.raises(InvalidInput) as info:
        room.log(incident, "   ")
    assert str(info.value) == "entry: must not be empty"
    with pytest.raises(InvalidInput) as info:
        room.declare("t" * 10_001, severity="SEV2", incident_type="outage")
    assert str(info.value) == "title is 10,001 characters; the limit is 10,000"
