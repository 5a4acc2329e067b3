"""Notice templates: shipped defaults, user overrides, live reload, the sandbox, escaping."""

import os

import pytest

from warroom.core.errors import NotFound
from warroom.core.policy import default_policy
from warroom.templates.escape import escape
from warroom.templates.library import SHIPPED_DIR, TemplateLibrary, sample_context

POLICY = default_policy()
HOSTILE = (
    "<script>alert(1)</script> **bold** [link](http://evil.example) @channel <!here>"
    " @everyone \x1b[2J\x1b]52;c;cGFzdGU=\x07 \u202eevil\n# heading\n1. list\n> quote"
)


def _library(user_dir):
    return TemplateLibrary(POLICY, (SHIPPED_DIR, user_dir)).refresh()


def _write(path, text):
    """Write and move the file's time on, so a rewrite within one clock tick is seen."""
    path.write_text(text, encoding="utf-8")
    stamp = path.stat().st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(stamp, stamp))


def test_the_shipped_templates_cover_every_audience_and_external_status(tmp_path):
    library = _library(tmp_path)
    assert library.problems == []
    assert library.for_audience("internal", "investigating").name == "internal"
    assert library.for_audience("executive", "monitoring").name == "executive"
    for status in ("investigating", "identified", "monitoring", "resolved"):
        template = library.for_audience("external", status)
        assert template.name == f"external-{status}"
        text = template.render(sample_context(POLICY, "external"))
        assert text.startswith(f"{status.capitalize()}: sample-service")
    internal = library.for_audience("internal", "investigating")
    report = internal.render(sample_context(POLICY, "internal"))
    for heading in ("**Conditions**", "**Actions**", "**Needs**", "Next update: "):
        assert heading in report
    assert "sample decision" in report and "sample need" in report


def test_a_user_template_overrides_and_reloads_live(tmp_path):
    library = _library(tmp_path)
    user = tmp_path / "external.txt.j2"
    _write(user, "Hello {{ incident.title }}\n")
    library.refresh()
    assert library.for_audience("external", "closed").render(sample_context(POLICY, "x")) == (
        "Hello Sample incident\n"
    )
    _write(tmp_path / "external-identified.txt.j2", "Ours: {{ incident.status }}\n")
    assert library.for_audience("external", "identified").path.parent == tmp_path
    _write(user, "Changed {{ incident.id }}\n")
    assert library.for_audience("external", "closed").render({"incident": {"id": "i"}}) == (
        "Changed i\n"
    )


def test_a_broken_template_is_reported_with_file_and_line_and_the_last_good_stays(tmp_path):
    library = _library(tmp_path)
    user = tmp_path / "internal.md.j2"
    _write(user, "line one\n{{ incident.title }}\n{% for x in decisions %}\n{{ x.text }\n")
    library.refresh()
    (problem,) = library.problems
    assert str(problem).startswith(f"{user}:4: ")
    # never compiled: the shipped internal template stays in use
    assert library.for_audience("internal", "investigating").path.parent == SHIPPED_DIR
    _write(user, "good {{ incident.id }}\n")
    assert library.refresh().problems == []
    assert library.for_audience("internal", "x").path == user
    _write(user, "one\ntwo\n{{ incident.titel }}\n")  # a misspelt name, found on reading
    (problem,) = library.refresh().problems
    assert str(problem) == f"{user}:3: 'dict object' has no attribute 'titel'"
    assert library.for_audience("internal", "x").render({"incident": {"id": "i"}}) == "good i\n"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ incident['__class__'] }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ self._TemplateReference__context }}",
        "{% set x = _secret %}{{ x }}",
    ],
)
def test_a_template_reaching_python_internals_is_refused(tmp_path, source):
    path = tmp_path / "internal.md.j2"
    _write(path, "Fine line\n" + source + "\n")
    (problem,) = _library(tmp_path).problems
    assert str(problem).startswith(f"{path}:2: refused: ")
    assert "Python internals" in problem.message


@pytest.mark.parametrize(
    "source",
    [
        "{{ '{0.__class__}'.format(incident) }}",  # an underscore only inside a string
        "{{ decisions.append(1) }}",  # the data is read-only
    ],
)
def test_the_sandbox_refuses_what_the_compile_check_cannot_see(tmp_path, source):
    """Unsafe access without an underscore name in the source: the sandbox's own check
    stops it at render time, reported with the line."""
    path = tmp_path / "internal.md.j2"
    _write(path, "x\n" + source + "\n")
    (problem,) = _library(tmp_path).problems
    assert str(problem).startswith(f"{path}:2: refused: the template reaches outside")


@pytest.mark.parametrize(
    "source", ['{% include "other.j2" %}', '{% import "x" as x %}', '{% extends "base" %}']
)
def test_a_template_is_self_contained(tmp_path, source):
    _write(tmp_path / "internal.md.j2", source)
    (problem,) = _library(tmp_path).problems
    assert "self-contained" in problem.message


def test_a_file_without_a_format_is_reported(tmp_path):
    _write(tmp_path / "external.j2", "x")
    (problem,) = _library(tmp_path).problems
    assert "names no format" in str(problem)


def _rendered(tmp_path, extension):
    _write(tmp_path / f"internal.{extension}.j2", "Title: {{ incident.title }}\n")
    context = sample_context(POLICY, "internal")
    context["incident"]["title"] = HOSTILE
    return _library(tmp_path).for_audience("internal", "x").render(context)


def _inert_everywhere(text):
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "␛" in text and "␇" in text  # the escape sequences are visible, not acted on
    for mention in ("@channel", "!here", "@everyone"):
        assert mention not in text
    assert "@\u200bchannel" in text


def test_hostile_text_is_inert_in_plain(tmp_path):
    text = _rendered(tmp_path, "txt")
    _inert_everywhere(text)
    assert "<script>" in text  # plain text is shown as text: nothing interprets it


def test_hostile_text_is_inert_in_html(tmp_path):
    text = _rendered(tmp_path, "html")
    _inert_everywhere(text)
    assert "<" not in text.removeprefix("Title: ").split("\n")[0].replace("&lt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_hostile_text_is_inert_in_markdown(tmp_path):
    text = _rendered(tmp_path, "md")
    _inert_everywhere(text)
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert r"\*\*bold\*\*" in text and r"\[link\](http://evil.example)" in text
    lines = text.splitlines()
    assert lines[1:4] == [r"\# heading", r"1\. list", "&gt; quote"]


def test_markup_a_value_carries_is_escaped_too():
    from markupsafe import Markup

    assert escape(Markup("<b>x</b>"), "html") == "&lt;b&gt;x&lt;/b&gt;"


def test_an_oversized_render_is_refused(tmp_path):
    path = tmp_path / "internal.txt.j2"
    _write(path, "{% for i in range(20000) %}xx{% endfor %}")
    (problem,) = _library(tmp_path).problems
    assert "a notice holds at most 10,000" in str(problem)


def test_no_template_for_an_audience_says_where_to_add_one(tmp_path):
    library = TemplateLibrary(POLICY, (tmp_path,)).refresh()
    with pytest.raises(NotFound, match=f"add press.txt.j2 to {tmp_path}"):
        library.for_audience("press", "investigating")
