from pathlib import Path

import pytest

from warroom.core.errors import InvalidInput, NotFound
from warroom.core.policy import PolicyError, default_policy, load_policy, parse_policy


def test_defaults_cover_the_spec_vocabulary():
    policy = default_policy()
    assert [s.name for s in policy.severities] == ["SEV1", "SEV2", "SEV3", "SEV4", "SEV5"]
    assert [s.name for s in policy.severities if s.major] == ["SEV1", "SEV2"]
    assert [p.id for p in policy.phases] == ["triage", "containment", "eradication", "recovery"]
    assert policy.statuses == ("investigating", "identified", "monitoring", "resolved", "closed")
    role_ids = {r.id for r in policy.roles}
    assert {
        "commander",
        "deputy",
        "scribe",
        "comms",
        "sector-lead",
        "recovery-owner",
        "logistics",
        "sme",
        "observer",
    } <= role_ids
    assert policy.role("sector-lead").multiple and not policy.role("commander").multiple
    assert all(phase.items and phase.owner in role_ids for phase in policy.phases)
    assert any(c.severity == "SEV1" and c.audience == "external" for c in policy.cadence)
    assert policy.escalations


def test_lookups_are_case_insensitive_and_errors_list_choices():
    policy = default_policy()
    assert policy.severity("sev1").name == "SEV1"
    assert policy.role("Incident commander").id == "commander"
    with pytest.raises(InvalidInput, match="SEV1, SEV2"):
        policy.severity("P0")
    with pytest.raises(NotFound, match="commander"):
        policy.role("captain")
    with pytest.raises(NotFound):
        policy.phase("panic")


def test_checklist_item_prefers_current_phase_and_accepts_phase_prefix():
    policy = default_policy()
    phase, item = policy.checklist_item("fix", "triage")
    assert (phase.id, item.id) == ("eradication", "fix")
    phase, item = policy.checklist_item("recovery/all-clear", "triage")
    assert (phase.id, item.id) == ("recovery", "all-clear")
    with pytest.raises(NotFound):
        policy.checklist_item("triage/fix", "triage")


def test_user_sections_replace_defaults_others_stay():
    policy = parse_policy(
        """
[[severities]]
name = "critical"
major = true
[[severities]]
name = "major"
[[severities]]
name = "minor"
""",
        "scale.toml",
    )
    assert [s.name for s in policy.severities] == ["critical", "major", "minor"]
    assert [p.id for p in policy.phases] == ["triage", "containment", "eradication", "recovery"]
    assert policy.cadence == () and policy.escalations == ()  # they named the old scale


def test_cadence_naming_removed_severity_is_reported(tmp_path: Path):
    file = tmp_path / "p.toml"
    file.write_text(
        '[[severities]]\nname = "critical"\n\n'
        '[[cadence]]\nseverity = "SEV1"\naudience = "internal"\nevery_minutes = 30\n'
    )
    with pytest.raises(PolicyError) as info:
        load_policy(file)
    assert str(info.value) == f"{file}:5: cadence names unknown severity 'SEV1'"


def test_every_problem_reported_with_file_line_and_field(tmp_path: Path):
    file = tmp_path / "bad.toml"
    file.write_text(
        """statuses = ["investigating", "resolved"]

[[roles]]
id = "commander"
title = "IC"
multiple = "maybe"

[[roles]]
id = "scribe"
title = "Scribe"
colour = "blue"
"""
    )
    with pytest.raises(PolicyError) as info:
        load_policy(file)
    lines = [str(p) for p in info.value.problems]
    assert f"{file}:6: roles.0.multiple: must be true or false" in lines
    assert f"{file}:11: roles.1.colour: is not a known setting here (check its spelling)" in lines
    assert len(lines) == 2


def test_toml_syntax_error_has_its_line(tmp_path: Path):
    file = tmp_path / "broken.toml"
    file.write_text('statuses = ["a"]\n\n[[roles]\nid = 1\n')
    with pytest.raises(PolicyError) as info:
        load_policy(file)
    assert info.value.problems[0].line == 3


def test_missing_commander_and_unknown_phase_owner_are_located():
    with pytest.raises(PolicyError) as info:
        parse_policy('[[phases]]\nid = "triage"\nowner = "nobody"\n', "p.toml")
    assert str(info.value) == "p.toml:3: phase 'triage' is owned by unknown role 'nobody'"
    with pytest.raises(PolicyError, match="must include 'commander'"):
        parse_policy('[[roles]]\nid = "boss"\ntitle = "Boss"\n', "p.toml")


def test_unreadable_and_binary_files_are_problems_not_crashes(tmp_path: Path):
    with pytest.raises(PolicyError, match="No such file"):
        load_policy(tmp_path / "missing.toml")
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"a = 1\n\xff\xfe\x00")
    with pytest.raises(PolicyError, match=r"bin\.toml:2: not UTF-8"):
        load_policy(binary)
