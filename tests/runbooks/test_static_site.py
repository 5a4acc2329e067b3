"""Runbooks written for static-site generators, as alerts link to them, load as they are.

The fixtures under ``fixtures/static-site`` are written in the style of public runbook
repositories (Hugo front matter with ``weight``, ``aliases``, ``draft``, TOML front matter
with a table, a section page ``_index.md``), with two warnings planted: a misspelt key
and a code fence never closed.
"""

import shutil
import textwrap
from pathlib import Path

import pytest

from warroom.core.runbook import Runbook, has_errors, parse_runbook
from warroom.runbooks.library import RunbookLibrary, RunbookSource, runbook_files

SITE = Path(__file__).parent / "fixtures" / "static-site"
KUBE = SITE / "kubernetes"
CRASH = KUBE / "KubePodCrashLooping.md"
VOLUME = KUBE / "KubeletVolumeFull.md"
JOB = KUBE / "KubeJobFailed.md"
WARNINGS = [
    f"{JOB}:4: warning: unknown front matter key 'tag' kept as metadata; did you mean 'tags'?",
    f"{VOLUME}:31: warning: code block opened with '```' is never closed;"
    " it runs to the end of the file",
]


def load(path: Path) -> tuple[Runbook, list[str]]:
    runbook, problems = parse_runbook(path.read_bytes(), path)
    assert runbook is not None and not has_errors(problems), problems
    return runbook, [str(problem) for problem in problems]


def parse(text: str) -> tuple[Runbook | None, list[str]]:
    raw = textwrap.dedent(text).lstrip("\n").encode()
    runbook, problems = parse_runbook(raw, "/books/rb.md")
    assert (runbook is None) == has_errors(problems)
    return runbook, [str(problem) for problem in problems]


# The parser --------------------------------------------------------------------------


def test_hugo_front_matter_keys_are_kept_as_metadata_and_the_runbook_loads():
    runbook, problems = load(CRASH)
    assert problems == []
    assert (runbook.id, runbook.title, runbook.tags) == (
        "KubePodCrashLooping",
        "Kube Pod Crash Looping",
        ("kubernetes", "pods"),
    )
    assert runbook.metadata == {
        "weight": 20,
        "aliases": ["/runbooks/kubernetes/podcrashlooping/"],
        "description": "A container keeps exiting and the kubelet keeps restarting it.",
        "draft": False,
        "date": "2024-03-01",
    }
    assert [s.title for s in runbook.sections] == ["Meaning", "Impact", "Diagnosis", "Mitigation"]
    logs = runbook.step("diagnosis-2")
    assert logs.commands[0].code == "kubectl -n $NAMESPACE logs $POD -c $CONTAINER --previous"
    assert [child.title for child in runbook.step("diagnosis-3").children] == [
        "resource limits (an OOM kill shows as exit code 137)",
        "liveness probe port and timeout",
    ]


def test_toml_front_matter_with_a_table_and_a_fence_left_open_loads_with_a_warning():
    runbook, problems = load(VOLUME)
    assert problems == [WARNINGS[1]]
    assert runbook.metadata == {
        "weight": 30,
        "draft": True,
        "lastmod": "2024-02-10T08:00:00+00:00",
        "params": {"severity": "warning"},
    }
    last = runbook.step("mitigation-2")
    assert last.commands[0].code == "kubectl -n $NAMESPACE edit pvc $CLAIM"


def test_a_misspelt_key_is_a_warning_and_a_numeric_title_is_text():
    runbook, problems = load(JOB)
    assert problems == [WARNINGS[0]]
    assert (runbook.title, runbook.tags, runbook.metadata) == (
        "404",
        (),
        {"weight": 25, "tag": ["jobs"]},
    )


@pytest.mark.parametrize(
    ("front", "problem", "title"),
    [
        (
            "title: [a, b]",
            "warning: front matter title: expected a line of text, got a list;"
            " the title comes from the only level-1 heading, else the file name",
            "Heading",
        ),
        (
            "owner: {team: sre}",
            "warning: front matter owner: expected a line of text, got a table;"
            " the runbook has no owner",
            "Heading",
        ),
        (
            "tags: {kind: k8s}",
            "warning: front matter tags: expected a name or a list of names, got a table;"
            " the runbook has no tags",
            "Heading",
        ),
        (
            "severities: {SEV1: yes}",
            "front matter severities: expected a name or a list of names, got a table",
            None,
        ),
        (
            "incident_types: [outage, {a: 1}]",
            "front matter incident_types: expected a name or a list of names, got a table",
            None,
        ),
        (
            "services: true",
            "front matter services: expected a name or a list of names, got true",
            None,
        ),
    ],
)
def test_a_known_key_of_the_wrong_type_is_a_warning_or_an_error_by_key(front, problem, title):
    """Keys that only describe the runbook fall back (warning); routing keys refuse it."""
    runbook, problems = parse(f"---\nweight: 5\n{front}\n---\n# Heading\n- a step\n")
    assert problems == [f"/books/rb.md:3: {problem}"]
    assert (runbook.title if runbook else None) == title


# The library and the CLI ----------------------------------------------------------------


def test_the_library_keeps_a_runbook_with_warnings_and_reports_them():
    library = RunbookLibrary([RunbookSource(kind="config", path=SITE)])
    library.load()
    catalog = library.catalog
    assert sorted(catalog.entries) == ["KubeJobFailed", "KubePodCrashLooping", "KubeletVolumeFull"]
    entry = catalog.get("KubeletVolumeFull")
    assert not entry.stale and entry.runbook.content_hash
    assert [str(p) for p in entry.problems] == [WARNINGS[1]]
    assert [str(p) for p in catalog.problems] == WARNINGS
    assert KUBE / "_index.md" not in set(runbook_files(SITE))


def test_check_reports_warnings_and_exits_0(cli):
    result = cli("runbooks", "check", str(SITE))
    assert (result.code, result.out.splitlines(), result.err) == (0, WARNINGS, "")
    as_json = cli("runbooks", "check", str(SITE), "--json").json()
    assert as_json["ok"] is True
    assert [(p["line"], p["severity"]) for p in as_json["problems"]] == [
        (4, "warning"),
        (31, "warning"),
    ]


def test_check_strict_turns_warnings_into_errors(cli):
    result = cli("runbooks", "check", "--strict", str(SITE), check=False)
    assert result.code == 1
    assert result.out.splitlines() == [line.replace("warning: ", "") for line in WARNINGS]
    as_json = cli("runbooks", "check", "--strict", str(SITE), "--json", check=False)
    assert as_json.code == 1 and as_json.json()["ok"] is False
    assert cli("runbooks", "check", "--strict", str(CRASH)).out == ""


def test_check_of_every_source_and_list_count_warnings(cli, _isolated_home):
    shutil.copytree(SITE, _isolated_home / "runbooks")
    result = cli("runbooks", "check")
    assert result.code == 0 and len(result.out.splitlines()) == 2
    assert "2 warning(s) in runbook files" in cli("runbooks", "list").out
    assert cli("runbooks", "check", "--strict", check=False).code == 1


def test_show_accepts_an_absolute_or_relative_file_path(cli, tmp_path):
    shown = cli("runbooks", "show", str(VOLUME))
    assert shown.out.startswith("Kubelet Volume Full  (KubeletVolumeFull @")
    assert f"  file       {VOLUME} (file)\n" in shown.out
    assert "      $ kubectl -n $NAMESPACE edit pvc $CLAIM\n" in shown.out
    assert shown.out.endswith(f"1 warning(s):\n  {WARNINGS[1]}\n")

    shutil.copy(CRASH, tmp_path / "KubePodCrashLooping.md")  # the test runs in tmp_path
    entry = cli("runbooks", "show", "KubePodCrashLooping.md", "--json").json()
    assert (entry["id"], entry["source"], entry["problems"]) == ("KubePodCrashLooping", "file", [])
    assert entry["runbook"]["metadata"]["weight"] == 20


def test_show_of_a_file_that_does_not_load_says_why_with_file_and_line(cli, tmp_path):
    (tmp_path / "dup.md").write_text("- a {#x}\n- b {#x}\n")
    result = cli("runbooks", "show", "dup.md", check=False)
    assert result.code != 0 and result.out == ""
    assert "dup.md is not a runbook warroom can read:\n" in result.err
    assert "dup.md:2: duplicate step id 'x' (first at line 1)" in result.err
    missing = cli("runbooks", "show", str(tmp_path / "gone.md"), check=False)
    assert missing.code != 0 and "gone.md:1: cannot read: No such file or directory" in missing.err
    assert "Traceback" not in result.err + missing.err
