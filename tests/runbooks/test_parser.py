"""The runbook parser: every rule of the format, every hostile input, the shipped files."""

import hashlib
import textwrap
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.core.runbook import (
    MAX_BYTES,
    STEP_TYPES,
    Runbook,
    RunbookProblem,
    has_errors,
    parse_runbook,
    suggest,
)

SHIPPED = Path(__file__).resolve().parents[2] / "runbooks"


def parse(text: str, name: str = "rb.md", **kwargs) -> tuple[Runbook | None, list[str]]:
    raw = textwrap.dedent(text).lstrip("\n").encode()
    runbook, problems = parse_runbook(raw, f"/books/{name}", **kwargs)
    assert (runbook is None) == has_errors(problems)
    return runbook, [str(p) for p in problems]


def ok(text: str, **kwargs) -> Runbook:
    runbook, problems = parse(text, **kwargs)
    assert problems == []
    return runbook


def ids(runbook: Runbook) -> list[str]:
    return [step.id for step in runbook.walk()]


# Front matter ---------------------------------------------------------------------------


def test_yaml_front_matter_sets_every_key():
    runbook = ok(
        """
        ---
        title: Database failover
        owner: data-platform
        services: [postgres, patroni]
        incident_types: [outage]
        severities: [SEV1, SEV2]
        tags: [db, failover]
        last_reviewed: 2025-01-15
        ---
        - do it
        """
    )
    assert runbook.title == "Database failover"
    assert runbook.owner == "data-platform"
    assert runbook.services == ("postgres", "patroni")
    assert runbook.incident_types == ("outage",)
    assert runbook.severities == ("SEV1", "SEV2")
    assert runbook.tags == ("db", "failover")
    assert runbook.last_reviewed == date(2025, 1, 15)


def test_toml_front_matter():
    runbook = ok(
        """
        +++
        title = "DNS"
        services = ["dns"]
        last_reviewed = 2024-12-01
        +++
        - check it
        """
    )
    assert (runbook.title, runbook.services) == ("DNS", ("dns",))
    assert runbook.last_reviewed == date(2024, 12, 1)


def test_single_values_and_hyphenated_keys_are_accepted():
    runbook = ok(
        """
        ---
        services: checkout
        incident-types: outage
        last-reviewed: 2025-02-01
        ---
        """
    )
    assert runbook.services == ("checkout",)
    assert runbook.incident_types == ("outage",)
    assert runbook.last_reviewed == date(2025, 2, 1)


def test_empty_front_matter_and_yaml_end_marker():
    assert ok("---\n---\n- a\n").steps[0].title == "a"
    assert ok("---\ntitle: T\n...\n- a\n").title == "T"


def test_an_unknown_key_like_a_known_one_is_kept_with_a_warning_at_its_line():
    runbook, problems = parse(
        """
        ---
        title: T
        service: checkout
        ---
        """
    )
    assert problems == [
        "/books/rb.md:3: warning: unknown front matter key 'service' kept as metadata;"
        " did you mean 'services'?"
    ]
    assert runbook.metadata == {"service": "checkout"} and runbook.services == ()


def test_wrong_type_is_reported_at_the_key():
    _, problems = parse(
        """
        ---
        title: T
        owner: ops
        services:
          a: 1
        last_reviewed: yesterday
        ---
        """
    )
    assert problems == [
        "/books/rb.md:4: front matter services: expected a name or a list of names, got a table",
        "/books/rb.md:6: warning: front matter last_reviewed: expected a date such as"
        " 2024-05-31, got 'yesterday'; the runbook counts as never reviewed",
    ]


def test_invalid_yaml_is_reported_at_its_line():
    _, problems = parse(
        """
        ---
        title: T
        tags: [a, b
        owner: x
        ---
        - step
        """
    )
    assert len(problems) == 1
    assert problems[0].startswith("/books/rb.md:4: invalid YAML front matter")


def test_invalid_toml_is_reported_at_its_line():
    _, problems = parse('+++\ntitle = "T"\nowner = \ntags = []\n+++\n')
    assert problems[0].startswith("/books/rb.md:3: invalid TOML front matter: Invalid value")
    _, problems = parse('+++\ntitle = "T"\nowner = \n+++\n')
    assert problems[0].startswith("/books/rb.md:3: invalid TOML front matter")


def test_front_matter_that_is_not_a_table():
    _, problems = parse("---\n- a\n- b\n---\n")
    assert problems == [
        "/books/rb.md:2: front matter must be a table of keys (title, owner, services, ...)"
    ]


def test_unclosed_front_matter():
    _, problems = parse("---\ntitle: T\n\n- a step\n")
    assert problems == ["/books/rb.md:1: front matter opened with '---' is never closed"]


# Title, summary, sections ---------------------------------------------------------------


def test_title_comes_from_front_matter_then_the_only_h1_then_the_file_name():
    assert ok("---\ntitle: Meta\n---\n# Heading\n").title == "Meta"
    assert ok("# Heading\n\n## Section\n").title == "Heading"
    two_h1 = ok("# Meaning\ntext\n# Impact\n- a\n")
    assert two_h1.title == "rb"
    assert [s.title for s in two_h1.sections] == ["Meaning", "Impact"]
    assert two_h1.steps[0].id == "impact-1"
    later_h1 = ok("## First\n# Second\n")
    assert later_h1.title == "rb"


def test_summary_is_the_prose_before_the_first_section():
    runbook = ok(
        """
        # Title

        Use this when things break.

        ## Triage
        Look first.
        """
    )
    assert runbook.summary == "Use this when things break."
    assert runbook.sections[0].text == "Look first."


def test_a_heading_inside_a_code_block_is_not_a_section():
    runbook = ok(
        """
        # Title
        ```bash
        # a comment
        - not a step
        ```
        """
    )
    assert runbook.sections == ()
    assert runbook.steps == ()
    assert "# a comment" in runbook.summary


# Steps ----------------------------------------------------------------------------------


def test_every_list_style_is_a_step():
    runbook = ok(
        """
        - [ ] task
        - [x] done task
        * star
        + plus
        1. numbered
        2) paren
        """
    )
    assert [s.title for s in runbook.steps] == [
        "task",
        "done task",
        "star",
        "plus",
        "numbered",
        "paren",
    ]
    assert ids(runbook) == [f"step-{n}" for n in range(1, 7)]


def test_nested_items_are_sub_steps():
    runbook = ok(
        """
        ## Triage
        1. parent
           - child one
             - grandchild
           - child two
        2. second
        """
    )
    assert ids(runbook) == ["triage-1", "triage-1.1", "triage-1.1.1", "triage-1.2", "triage-2"]
    assert runbook.step("triage-1.1.1").title == "grandchild"
    assert [c.title for c in runbook.steps[0].children] == ["child one", "child two"]


def test_tabs_count_as_indentation():
    assert ids(ok("- parent\n\t- child\n")) == ["step-1", "step-1.1"]


def test_nesting_deeper_than_the_limit_is_reported():
    text = "".join("  " * level + f"- level {level}\n" for level in range(7))
    _, problems = parse(text)
    assert problems == ["/books/rb.md:7: steps are nested deeper than 6 levels"]


def test_the_first_paragraph_is_the_title_and_later_paragraphs_are_detail():
    runbook = ok(
        """
        - Roll back the release
          to the previous revision {#rollback}

          Detail one,
          continued.

          Detail two.
        - lazy
        continuation
        """
    )
    first, second = runbook.steps
    assert (first.id, first.title) == ("rollback", "Roll back the release to the previous revision")
    assert first.text == "Detail one,\ncontinued.\n\nDetail two."
    assert second.title == "lazy continuation"


def test_an_unindented_paragraph_after_a_blank_line_ends_the_list():
    runbook = ok(
        """
        ## Mitigation
        - step

        Some prose.

        ```bash
        echo reference
        ```
        """
    )
    step = runbook.steps[0]
    assert step.text == "" and step.commands == ()
    assert runbook.sections[0].text == "Some prose.\n\n```bash\necho reference\n```"


def test_a_rule_or_heading_ends_the_list():
    runbook = ok(
        """
        - one
        ---
        text after the rule
        * * *
        """
    )
    assert ids(runbook) == ["step-1"]
    assert runbook.steps[0].text == ""


def test_empty_items_are_ignored():
    assert ids(ok("- \n-\n- real\n")) == ["step-1"]


# Code blocks ----------------------------------------------------------------------------


def test_a_code_block_right_after_a_step_belongs_to_it():
    runbook = ok(
        """
        - [command] restart
        ```Bash
        systemctl restart app
        ```
        - indented and after blank lines
          detail

          ```
          echo one
          ```
          ~~~sh
          echo two
          ~~~
        """
    )
    first, second = runbook.steps
    assert [(c.language, c.code, c.line) for c in first.commands] == [
        ("bash", "systemctl restart app", 2)
    ]
    assert [(c.language, c.code) for c in second.commands] == [("", "echo one"), ("sh", "echo two")]
    assert all(c.is_shell for c in second.commands)


def test_a_code_block_indented_under_a_sub_step_belongs_to_the_sub_step():
    runbook = ok(
        """
        - parent
          ```
          parent command
          ```
          - child
            ```sql
            select 1;
            ```
        """
    )
    parent = runbook.steps[0]
    assert [c.code for c in parent.commands] == ["parent command"]
    child = parent.children[0]
    assert [(c.language, c.code) for c in child.commands] == [("sql", "select 1;")]
    assert not child.commands[0].is_shell


def test_a_longer_fence_may_contain_a_shorter_one():
    runbook = ok(
        """
        - show the snippet
        ````markdown
        ```bash
        echo hi
        ```
        ````
        """
    )
    assert runbook.steps[0].commands[0].code == "```bash\necho hi\n```"


def test_inline_triple_backticks_are_not_a_fence():
    runbook = ok("- run ```echo hi``` now\n- next\n")
    assert ids(runbook) == ["step-1", "step-2"]


def test_an_unterminated_code_block_runs_to_the_end_with_a_warning_at_its_opening_line():
    runbook, problems = parse("# T\n\n- step\n  ```bash\n  echo one\n\n  echo two\n")
    assert problems == [
        "/books/rb.md:4: warning: code block opened with '```' is never closed;"
        " it runs to the end of the file"
    ]
    (block,) = runbook.steps[0].commands
    assert (block.language, block.code, block.line) == ("bash", "echo one\n\necho two", 4)


# Phases ---------------------------------------------------------------------------------


def test_phase_headings_put_their_steps_in_the_phase():
    runbook = ok(
        """
        # Title
        ## TRIAGE
        - a
        ## 2. Containment
        - b
        ### Option A: drain
        - c
        ## Phase 3: Eradication
        - d
        ## Recovery and follow-up
        - e
        ## Triage-notes
        - f
        """
    )
    assert [(s.id, s.phase) for s in runbook.steps] == [
        ("triage-1", "triage"),
        ("containment-1", "containment"),
        ("containment-2", "containment"),
        ("eradication-1", "eradication"),
        ("recovery-1", "recovery"),
        ("triage-notes-1", None),
    ]
    assert runbook.steps[2].section == "Option A: drain"
    assert [s.phase for s in runbook.sections] == [
        "triage",
        "containment",
        "containment",
        "eradication",
        "recovery",
        None,
    ]


def test_phases_come_from_the_caller():
    runbook = ok("## Stabilise\n- a\n## Triage\n- b\n", phases=("Stabilise",))
    assert [(s.id, s.phase) for s in runbook.steps] == [
        ("stabilise-1", "Stabilise"),
        ("triage-1", None),
    ]


# Step types -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", STEP_TYPES)
def test_every_type_tag(kind):
    code = "\n  ```\n  true\n  ```" if kind == "command" else ""
    step = ok(f"- [ ] [{kind}] Do the thing{code}\n").steps[0]
    assert (step.type, step.title) == (kind, "Do the thing")


@pytest.mark.parametrize(
    ("tag", "kind"),
    [("verify", "check"), ("flag", "feature-flag"), ("LB", "load-balancer"), ("gate", "approval")],
)
def test_type_aliases(tag, kind):
    assert ok(f"- [{tag}] x\n").steps[0].type == kind


def test_unmarked_steps_are_actions_and_other_brackets_stay_in_the_title():
    runbook = ok("- plain\n- [WIP] not a tag\n- [docs](https://example.com) first\n")
    assert [(s.type, s.title) for s in runbook.steps] == [
        ("action", "plain"),
        ("action", "[WIP] not a tag"),
        ("action", "[docs](https://example.com) first"),
    ]


def test_unknown_lowercase_tag_is_reported():
    _, problems = parse("- ok\n- [rolback] undo it\n")
    assert len(problems) == 1
    assert problems[0].startswith("/books/rb.md:2: unknown step type [rolback]; known types:")


def test_a_step_with_only_a_tag_is_reported():
    _, problems = parse("- [check]\n")
    assert problems == ["/books/rb.md:1: step has no text"]


def test_a_command_step_needs_a_code_block():
    _, problems = parse("- [command] run something\n")
    assert problems == ["/books/rb.md:1: [command] step has no fenced code block after it"]


# Ids ------------------------------------------------------------------------------------


def test_generated_ids_count_per_phase_per_section_or_step():
    runbook = ok(
        """
        # Title
        - before any section
        ## Diagnosis
        - d1
        ### Deeper
        - d2
        ## Triage
        - t1
        ## Diagnosis
        - d3
        """
    )
    assert ids(runbook) == ["step-1", "diagnosis-1", "diagnosis-2", "triage-1", "diagnosis-3"]


def test_explicit_ids_override_and_keep_the_numbering_of_others():
    runbook = ok(
        """
        ## Containment
        - [load-balancer] Drain the target {#drain-lb}
          - sub
        - next
        """
    )
    assert ids(runbook) == ["drain-lb", "drain-lb.1", "containment-2"]
    assert runbook.step("DRAIN-LB ").title == "Drain the target"
    assert runbook.step("nope") is None


def test_duplicate_explicit_ids_are_reported_with_both_lines():
    _, problems = parse("- a {#x}\n- b\n- c {#x}\n")
    assert problems == ["/books/rb.md:3: duplicate step id 'x' (first at line 1)"]


def test_an_explicit_id_that_collides_with_a_generated_one_is_reported():
    _, problems = parse("- a\n- b {#step-1}\n")
    assert problems == ["/books/rb.md:2: duplicate step id 'step-1' (first at line 1)"]


def test_invalid_explicit_id():
    _, problems = parse("- a {#Bad Id}\n")
    assert problems[0].startswith("/books/rb.md:1: invalid step id {#Bad Id}")


# Plain team runbooks --------------------------------------------------------------------

PLAIN = """
# HighErrorRate

## Meaning

The service answers more than 5% of requests with an error.

## Impact

Customers see failed page loads.
- Checkout is the most visible.

## Diagnosis

- Check the dashboards for the error
  breakdown by endpoint.
- Read the logs:
  ```
  kubectl logs deploy/api --since=10m
  ```

## Mitigation

1. Roll back the last deploy.
2. Scale out if saturated.
"""


def test_a_plain_meaning_impact_diagnosis_mitigation_runbook_loads():
    runbook = ok(PLAIN)
    assert runbook.title == "HighErrorRate"
    assert [s.title for s in runbook.sections] == ["Meaning", "Impact", "Diagnosis", "Mitigation"]
    assert runbook.sections[0].text == "The service answers more than 5% of requests with an error."
    assert runbook.sections[1].text == "Customers see failed page loads."
    assert ids(runbook) == [
        "impact-1",
        "diagnosis-1",
        "diagnosis-2",
        "mitigation-1",
        "mitigation-2",
    ]
    assert runbook.step("diagnosis-1").title == (
        "Check the dashboards for the error breakdown by endpoint."
    )
    assert runbook.step("diagnosis-2").commands[0].code == "kubectl logs deploy/api --since=10m"
    assert all(step.phase is None and step.type == "action" for step in runbook.walk())


# Identity and hostile input -------------------------------------------------------------


def test_id_is_the_stem_and_hash_is_sha256_of_the_bytes():
    raw = b"# T\n- a\n"
    runbook, _ = parse_runbook(raw, Path("/x/db-failover.md"))
    assert runbook.id == "db-failover"
    assert runbook.path == "/x/db-failover.md"
    assert runbook.content_hash == hashlib.sha256(raw).hexdigest()


def test_a_file_name_that_cannot_be_an_id():
    _, problems = parse("- a\n", name="my runbook.md")
    assert problems[0].startswith("/books/my runbook.md:1: file name 'my runbook' cannot be")


def test_problem_prints_like_a_compiler_error():
    assert str(RunbookProblem(file="a.md", line=3, message="bad")) == "a.md:3: bad"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"# T\n- a\n\x00\x01binary", "rb.md:3: binary file (contains NUL bytes)"),
        (b"# T\n\n- caf\xe9\n", "rb.md:3: not UTF-8 text"),
        (b"# T\n- \x1b[2Jclear\n", "rb.md:2: control character U+001B in text"),
        (
            "- x\n```\nrm -rf /tmp/\u202e \n```\n".encode(),
            "rb.md:3: control character U+202E in text",
        ),
        (
            b"x" * (MAX_BYTES + 1),
            "rb.md:1: file is larger than 1 MiB; runbooks are limited to 1 MiB",
        ),
    ],
)
def test_hostile_files_are_problems_not_exceptions(raw, expected):
    runbook, problems = parse_runbook(raw, "rb.md")
    assert runbook is None
    assert [str(p) for p in problems] == [expected]


def test_bom_and_crlf_are_fine():
    runbook, problems = parse_runbook(b"\xef\xbb\xbf---\r\ntitle: T\r\n---\r\n- a\r\n", "rb.md")
    assert problems == []
    assert (runbook.title, runbook.steps[0].title, runbook.steps[0].line) == ("T", "a", 4)


def test_several_problems_are_all_reported():
    _, problems = parse("- [oops] a\n- b {#x}\n- c {#x}\n- [command] d\n")
    lines = [p.split(": ")[0].rsplit(":", 1)[1] for p in problems]
    assert lines == ["1", "3", "4"]


MARKDOWNISH = st.lists(
    st.sampled_from(
        [
            "---",
            "+++",
            "# H",
            "## Triage",
            "- [ ] [check] x {#a}",
            "  - sub",
            "1. n",
            "```",
            "~~~",
            "",
            "text",
            "\t- tab",
            "- [command] c",
            "title: [",
            "  ```sh",
            "* * *",
        ]
    )
    | st.text(max_size=20),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(MARKDOWNISH)
def test_parsing_never_raises_on_markdown_like_text(lines):
    runbook, problems = parse_runbook("\n".join(lines).encode("utf-8", "surrogatepass"), "f.md")
    assert (runbook is None) == has_errors(problems)
    assert all(p.line >= 1 for p in problems)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=500))
def test_parsing_never_raises_on_arbitrary_bytes(raw):
    runbook, problems = parse_runbook(raw, "f.md")
    assert (runbook is None) == has_errors(problems)


# Shipped runbooks -----------------------------------------------------------------------


def shipped_files() -> list[Path]:
    return sorted(p for p in SHIPPED.glob("*.md") if p.name != "README.md")


def test_at_least_ten_runbooks_are_shipped():
    assert len(shipped_files()) >= 10


@pytest.mark.parametrize("path", shipped_files(), ids=lambda p: p.stem)
def test_every_shipped_runbook_parses_without_problems(path):
    runbook, problems = parse_runbook(path.read_bytes(), path)
    assert [str(p) for p in problems] == []
    assert runbook.steps


@pytest.mark.parametrize(
    "path",
    [p for p in shipped_files() if p.read_bytes().startswith(b"---")],
    ids=lambda p: p.stem,
)
def test_shipped_runbooks_with_front_matter_use_phases_gates_and_checks(path):
    runbook, _ = parse_runbook(path.read_bytes(), path)
    steps = list(runbook.walk())
    assert {s.phase for s in steps} >= {"triage", "containment", "recovery"}
    assert {"approval", "check"} <= {s.type for s in steps}
    assert any(s.commands for s in steps)
    assert runbook.incident_types and runbook.tags and runbook.last_reviewed


def test_the_plain_style_example_has_no_front_matter():
    path = SHIPPED / "kube-pod-crash-looping.md"
    assert not path.read_bytes().startswith((b"---", b"+++"))
    runbook, _ = parse_runbook(path.read_bytes(), path)
    assert [s.title for s in runbook.sections] == ["Meaning", "Impact", "Diagnosis", "Mitigation"]


# Suggestions ----------------------------------------------------------------------------


def _book(runbook_id: str, **meta) -> Runbook:
    return Runbook(
        id=runbook_id, path=f"{runbook_id}.md", content_hash="0", title=runbook_id, **meta
    )


def test_suggest_ranks_by_type_services_and_tags_with_reasons():
    books = [
        _book("dns", incident_types=("outage",), tags=("dns",), severities=("SEV1",)),
        _book("db", services=("Postgres",), incident_types=("outage",)),
        _book("tls", tags=("tls", "certificate")),
        _book("unrelated", incident_types=("security",), severities=("SEV1",)),
    ]
    result = suggest(
        books, "Outage", services=["postgres"], keywords=["certificate", "expired"], severity="sev1"
    )
    assert [(s.runbook_id, s.score) for s in result] == [("db", 7), ("dns", 5), ("tls", 2)]
    assert result[0].reasons == ("incident type Outage", "service postgres")
    assert result[1].reasons == ("incident type Outage", "written for sev1")
    assert result[2].reasons == ("tag certificate",)


def test_suggest_breaks_ties_by_id_and_needs_a_real_match():
    books = [_book("b", tags=("x",)), _book("a", tags=("x",)), _book("c", severities=("SEV1",))]
    assert [s.runbook_id for s in suggest(books, "", keywords=["x"], severity="SEV1")] == [
        "a",
        "b",
    ]
    assert suggest(books, "outage") == []
