"""What a rule tests on an alert: label matchers, value thresholds, title templates.

Matchers are written in Alertmanager's own syntax, so a team can copy them from its
routing tree: ``severity="critical"``, ``service=~"checkout.*"``, ``env!="staging"``,
``team!~"x|y"``. The value is a double-quoted string with ``\\"``, ``\\\\`` and ``\\n``
escapes and any UTF-8; a label name is Prometheus-style or, as Alertmanager 0.27 allows,
double-quoted UTF-8. Regular expressions are fully anchored, as Alertmanager anchors
them (``^(?:…)$``), and a missing label reads as the empty string, as it does there.

Thresholds compare a number the alert carries — a Grafana ``values`` entry, else an
annotation, else a label parsed as a number — with a constant: ``p99_latency_ms > 2000``.

Titles are filled by plain substitution of ``{labels.NAME}``, ``{annotations.NAME}`` and
``{summary}`` (``{{ labels.NAME }}`` also reads): never code, whatever the alert says.
"""

import math
import operator
import re
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BeforeValidator, PlainSerializer

from warroom.core.alerts import Alert

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_MATCHER = re.compile(rf'^\s*({_NAME}|"(?:[^"\\]|\\.)*")\s*(=~|!~|!=|=)\s*(.*?)\s*$', re.S)
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n"}
_EXAMPLE = 'e.g. severity="critical", service=~"checkout.*", env!="staging"'

MatchOp = Literal["=", "!=", "=~", "!~"]


def _unquote(text: str, what: str) -> str:
    """A double-quoted string with Alertmanager's escapes, as its value."""
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        raise ValueError(f"the {what} must be in double quotes")
    body, out, index = text[1:-1], [], 0
    while index < len(body):
        char = body[index]
        if char == '"':
            raise ValueError(f'a " inside the {what} must be escaped as \\"')
        if char == "\\":
            escaped = body[index + 1 : index + 2]
            if escaped not in _ESCAPES:
                raise ValueError(f"unknown escape \\{escaped} in the {what}")
            out.append(_ESCAPES[escaped])
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


class Matcher:
    """One label matcher, parsed from its text (kept, to explain a match)."""

    def __init__(self, text: str) -> None:
        found = _MATCHER.match(text)
        if not found:
            raise ValueError(f"not a matcher: {text!r} ({_EXAMPLE})")
        name, op, value = found.groups()
        try:
            self.name = _unquote(name, "label name") if name.startswith('"') else name
            self.value = _unquote(value, "value")
        except ValueError as exc:
            raise ValueError(f"not a matcher: {text!r}: {exc} ({_EXAMPLE})") from None
        self.op: MatchOp = op  # type: ignore[assignment]  # the regex admits only these
        self.text = text.strip()
        self.pattern: re.Pattern[str] | None = None
        if op in ("=~", "!~"):
            try:
                self.pattern = re.compile(f"^(?:{self.value})$", re.S)
            except re.error as exc:
                raise ValueError(
                    f"not a matcher: {text!r}: not a valid regular expression: {exc}"
                ) from None

    def matches(self, labels: dict[str, str]) -> bool:
        observed = labels.get(self.name, "")
        if self.pattern is not None:
            return bool(self.pattern.match(observed)) == (self.op == "=~")
        return (observed == self.value) == (self.op == "=")

    def __repr__(self) -> str:
        return f"Matcher({self.text!r})"


_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
_THRESHOLD = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.:-]*)\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*$")


def _number(text: str) -> float | None:
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _shown(number: float) -> str:
    return str(int(number)) if number.is_integer() else f"{number:g}"


class Threshold:
    """``name OP number``, tested on the number the alert carries under ``name``."""

    def __init__(self, text: str) -> None:
        found = _THRESHOLD.match(text)
        limit = _number(found.group(3)) if found else None
        if not found or limit is None:
            raise ValueError(
                f"not a threshold: {text!r} (a value name, one of > >= < <= == !=, and a"
                " number, e.g. p99_latency_ms > 2000)"
            )
        self.name, self.op, self.limit = found.group(1), found.group(2), limit
        self.text = text.strip()

    def observed(self, alert: Alert) -> float | None:
        """The alert's number for this name: ``values``, then annotations, then labels."""
        if self.name in alert.values:
            return alert.values[self.name]
        for source in (alert.annotations, alert.labels):
            if self.name in source:
                return _number(source[self.name])
        return None

    def check(self, alert: Alert) -> tuple[bool, str]:
        """Whether it holds, and why, in words: ``p99_latency_ms 2450 > 2000``."""
        value = self.observed(alert)
        if value is None:
            return False, f"{self.name} is not a number the alert carries"
        verdict = _OPS[self.op](value, self.limit)
        shown = f"{self.name} {_shown(value)} {self.op} {_shown(self.limit)}"
        return verdict, shown if verdict else f"{shown} does not hold"

    def __repr__(self) -> str:
        return f"Threshold({self.text!r})"


def _parsed(kind: type) -> Callable[[object], object]:
    def parse(value: object) -> object:
        if isinstance(value, kind):
            return value
        if not isinstance(value, str):
            raise ValueError(f"must be text in quotes, {_EXAMPLE}")
        return kind(value)

    return parse


MatcherField = Annotated[
    Matcher, BeforeValidator(_parsed(Matcher)), PlainSerializer(lambda m: m.text)
]
ThresholdField = Annotated[
    Threshold, BeforeValidator(_parsed(Threshold)), PlainSerializer(lambda t: t.text)
]

_PLACEHOLDER = re.compile(
    r"\{\{\s*(labels|annotations)\.([^{}\s]+)\s*\}\}|\{(labels|annotations)\.([^{}\s]+)\}"
    r"|\{\{\s*summary\s*\}\}|\{summary\}"
)


def check_template(template: str) -> str:
    """A title template whose every brace is a known placeholder."""
    leftover = _PLACEHOLDER.sub("", template)
    if "{" in leftover or "}" in leftover:
        raise ValueError(
            f"{template!r} has a brace that is not a placeholder; use {{labels.NAME}},"
            " {annotations.NAME} or {summary}"
        )
    return template


def render_template(template: str, alert: Alert) -> str:
    """The template filled from the alert; a missing label or annotation reads ``?``."""

    def fill(found: re.Match[str]) -> str:
        space = found.group(1) or found.group(3)
        if space is None:
            return alert.summary
        name = found.group(2) or found.group(4)
        source = alert.labels if space == "labels" else alert.annotations
        return source.get(name, "?")

    return " ".join(_PLACEHOLDER.sub(fill, template).split())


def runbook_from_url(url: str) -> str:
    """The runbook id a ``runbook_url`` names: its last path segment, without a file
    extension, query or fragment (``…/kubernetes/kubepodcrashlooping`` →
    ``kubepodcrashlooping``); matched to a runbook id case-insensitively."""
    path = url.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    segment = path.rsplit("/", 1)[-1]
    return re.sub(r"\.(md|markdown|html?)$", "", segment, flags=re.I)
