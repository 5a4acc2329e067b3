"""Alert rules: Alertmanager matchers, thresholds, order and continue, the planned
actions and their reasons, dedup, and policy files with file:line errors."""

from pathlib import Path

import pytest

from warroom.core.alert_eval import IncidentSummary, classify, evaluate, evaluate_all
from warroom.core.alert_match import Matcher, Threshold, render_template, runbook_from_url
from warroom.core.alerts import parse_alerts
from warroom.core.policy import PolicyError, default_policy, load_policy, parse_policy


def _alert(labels=None, annotations=None, values=None, status="firing", fingerprint="fp1"):
    body = {
        "status": status,
        "groupKey": '{}:{alertname="X"}',
        "alerts": [
            {
                "status": status,
                "labels": labels or {},
                "annotations": annotations or {},
                "fingerprint": fingerprint,
                "values": values or {},
            }
        ],
    }
    return parse_alerts(body)[0]


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ('severity="critical"', {"severity": "critical"}, True),
        ('severity="critical"', {"severity": "critical-ish"}, False),
        ('service=~"checkout.*"', {"service": "checkout-eu"}, True),
        ('service=~"checkout"', {"service": "checkout-eu"}, False),  # anchored
        ('service=~"eu"', {"service": "checkout-eu"}, False),
        ('env!="staging"', {"env": "prod"}, True),
        ('env!="staging"', {"env": "staging"}, False),
        ('env!="staging"', {}, True),  # a missing label is ""
        ('team!~"x|y"', {"team": "z"}, True),
        ('team!~"x|y"', {"team": "y"}, False),
        ('team!~"x|y"', {"team": "xy"}, True),
        ('team=""', {}, True),
        ('region="Zürich — ☃"', {"region": "Zürich — ☃"}, True),
        (r'msg="say \"hi\" \\ now"', {"msg": 'say "hi" \\ now'}, True),
        (r'msg="two\nlines"', {"msg": "two\nlines"}, True),
        ('"service.name"="checkout"', {"service.name": "checkout"}, True),
        ('  severity = "critical"  ', {"severity": "critical"}, True),
    ],
)
def test_matchers_read_and_match_like_alertmanager(text, labels, expected):
    assert Matcher(text).matches(labels) is expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("severity=critical", "the value must be in double quotes"),
        ('severity=="critical"', "the value must be in double quotes"),
        ('severity~"x"', "not a matcher: 'severity~\"x\"' (e.g."),
        ('="critical"', "not a matcher"),
        ('msg="a"b"', 'a " inside the value must be escaped'),
        (r'msg="\q"', r"unknown escape \q in the value"),
        ('team=~"(x"', "not a valid regular expression"),
    ],
)
def test_bad_matchers_say_what_is_wrong(text, why):
    with pytest.raises(ValueError, match=r"^not a matcher") as info:
        Matcher(text)
    assert why in str(info.value)


@pytest.mark.parametrize(
    ("text", "value", "holds"),
    [
        ("p99_latency_ms > 2000", 2450, True),
        ("p99_latency_ms > 2000", 2000, False),
        ("error_rate_pct >= 5", 5, True),
        ("error_rate_pct >= 5", 4.99, False),
        ("free_pct < 10", 9.5, True),
        ("free_pct <= 10", 10, True),
        ("free_pct <= 10", 10.1, False),
        ("replicas == 0", 0, True),
        ("replicas != 0", 0, False),
        ("replicas != 0", 3, True),
    ],
)
def test_threshold_operators(text, value, holds):
    verdict, why = Threshold(text).check(_alert(values={text.split()[0]: value}))
    assert verdict is holds
    assert why.startswith(f"{text.split()[0]} {value:g} {text.split()[1]}")


def test_threshold_reads_values_then_annotations_then_labels():
    threshold = Threshold("p99_latency_ms > 2000")
    assert threshold.check(_alert(annotations={"p99_latency_ms": " 2450 "})) == (
        True,
        "p99_latency_ms 2450 > 2000",
    )
    assert threshold.check(_alert(labels={"p99_latency_ms": "2100.5"}))[1] == (
        "p99_latency_ms 2100.5 > 2000"
    )
    both = _alert(values={"p99_latency_ms": 10}, annotations={"p99_latency_ms": "9999"})
    assert threshold.check(both) == (False, "p99_latency_ms 10 > 2000 does not hold")
    assert threshold.check(_alert(annotations={"p99_latency_ms": "high"}))[0] is False
    assert threshold.check(_alert()) == (False, "p99_latency_ms is not a number the alert carries")
    for bad in ("p99 >> 3", "p99 > fast", "> 3", "p99 > nan"):
        with pytest.raises(ValueError, match=r"^not a threshold"):
            Threshold(bad)


def test_templates_substitute_and_never_execute():
    alert = _alert(labels={"alertname": "HighLatency", "service": "checkout"})
    assert render_template("{{ labels.alertname }} on {labels.service}", alert) == (
        "HighLatency on checkout"
    )
    assert render_template("{annotations.nope} / {summary}", alert) == "? / HighLatency"
    hostile = _alert(labels={"service": "{labels.service}{__import__('os')}"})
    assert render_template("{labels.service}", hostile) == "{labels.service}{__import__('os')}"


def test_runbook_id_from_its_url():
    base = "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/"
    assert runbook_from_url(base + "kubepodcrashlooping") == "kubepodcrashlooping"
    assert runbook_from_url(base + "kubepodcrashlooping/") == "kubepodcrashlooping"
    assert runbook_from_url(base + "KubePodCrashLooping.md?x=1#steps") == "KubePodCrashLooping"


RULES = """
[[rules]]
id = "ignore-staging"
match = ['env="staging"']
notify = "internal"

[[rules]]
id = "checkout-latency"
match = ['service=~"checkout.*"', 'severity="critical"']
thresholds = ["p99_latency_ms > 2000"]
continue = true
page = "checkout-oncall"

[rules.declare]
severity = "SEV2"
type = "degradation"
title = "{labels.alertname} on {labels.service}"

[[rules]]
id = "very-slow"
thresholds = ["p99_latency_ms >= 5000"]
raise_severity = "SEV1"

[rules.todo]
text = "Shed load on {labels.service}"
owner = "sector-lead"
minutes = 15

[[rules]]
id = "runbooks"
match = ['service=~"checkout.*"']
runbook = { from_annotation = "runbook_url" }

[[rules]]
id = "never"
page = "nobody"
"""


@pytest.fixture
def policy():
    return parse_policy(RULES, "rules.toml")


def _checkout(p99: float, **labels):
    return _alert(
        labels={"alertname": "Slow", "service": "checkout", "severity": "critical", **labels},
        annotations={"runbook_url": "https://r.example/runbooks/kubernetes/kubepodcrashlooping"},
        values={"p99_latency_ms": p99},
    )


def test_first_match_stops_unless_continue(policy):
    staging = evaluate(policy, _checkout(9000, env="staging"))
    assert [f.rule for f in staging.fired] == ["ignore-staging"]
    decision = evaluate(policy, _checkout(2450))
    assert [f.rule for f in decision.fired] == ["checkout-latency", "runbooks"]
    assert decision.not_fired == [
        'ignore-staging: env="staging" does not match (env is absent)',
        "very-slow: p99_latency_ms 2450 >= 5000 does not hold",
    ]
    first = decision.fired[0]
    assert first.why == [
        'service=~"checkout.*" matched',
        'severity="critical" matched',
        "p99_latency_ms 2450 > 2000",
    ]
    assert [a.text for a in first.actions] == [
        "declare a new SEV2 degradation incident 'Slow on checkout' (services: checkout)",
        "page checkout-oncall for the new incident",
    ]
    assert decision.declares and decision.fired[1].actions[0].details == {
        "runbook": "kubepodcrashlooping"
    }


def test_raise_todo_and_runbook_resolution(policy):
    decision = evaluate(policy, _checkout(6000), runbook_ids=["KubePodCrashLooping"])
    actions = [a for f in decision.fired for a in f.actions]
    assert [f.rule for f in decision.fired] == ["checkout-latency", "very-slow"]
    assert [a.kind for a in actions] == ["declare", "page", "raise_severity", "todo"]
    assert actions[2].text == "raise the new incident to SEV1 from SEV2"
    todo = {"text": "Shed load on checkout", "owner": "sector-lead", "minutes": 15}
    assert actions[3].details == todo
    assert "within 15 min" in actions[3].text


def test_attach_to_an_open_incident_of_the_same_service_and_only_raise(policy):
    open_sev1 = IncidentSummary(id="INC-7", severity="SEV1", services=("checkout",))
    decision = evaluate(policy, _checkout(6000), [open_sev1])
    actions = [a for f in decision.fired for a in f.actions]
    assert actions[0].kind == "attach" and actions[0].incident == "INC-7"
    assert "service checkout" in actions[0].text and not decision.declares
    assert actions[2].kind == "raise_severity" and actions[2].text.startswith("keep SEV1")
    sev3 = IncidentSummary(id="INC-8", severity="SEV3", group_keys=('{}:{alertname="X"}',))
    raised = evaluate(policy, _checkout(6000, service="checkout-eu"), [sev3])
    planned = [a for f in raised.fired for a in f.actions]
    assert "the same alert group" in planned[0].text
    assert planned[2].text == "raise INC-8 to SEV1 from SEV3" and planned[2].incident == "INC-8"


def test_repeat_changes_nothing_and_resolution_is_recorded(policy):
    holding = IncidentSummary(id="INC-7", severity="SEV2", alerts={"fp1": "firing"})
    repeat = evaluate(policy, _checkout(9000), [holding])
    assert repeat.news == "repeat" and repeat.fired == [] and repeat.incident == "INC-7"
    resolved = evaluate(policy, _alert(status="resolved"), [holding])
    assert resolved.news == "resolution" and resolved.fired == []
    assert [a.text for a in resolved.actions] == ["record the resolution on INC-7"]
    assert evaluate(policy, _alert(status="resolved")).actions == []  # never seen: nothing


def test_classify():
    firing, resolved = _alert(), _alert(status="resolved")
    assert classify(firing, {}) == "new"
    assert classify(firing, {"fp1": "firing"}) == "repeat"
    assert classify(resolved, {"fp1": "firing"}) == "resolution"
    assert classify(resolved, {"fp1": "resolved"}) == "repeat"
    assert classify(firing, {"fp1": "resolved"}) == "new"  # it fired again
    assert classify(firing, {"other": "firing"}) == "new"


def test_a_storm_for_one_service_declares_one_incident(policy):
    alerts = [_checkout(2450 + n) for n in range(50)]
    alerts = [a.model_copy(update={"fingerprint": f"fp{n}"}) for n, a in enumerate(alerts)]
    decisions = evaluate_all(policy, alerts)
    assert sum(d.declares for d in decisions) == 1
    assert {d.incident for d in decisions[1:]} == {"new-1"}


def test_default_rules_carry_the_latency_and_error_rate_escalations():
    policy = default_policy()
    assert [r.id for r in policy.rules] == ["latency-p99", "error-rate"]
    slow = evaluate(policy, _alert(labels={"service": "api"}, values={"p99_latency_ms": 2001}))
    assert [f.rule for f in slow.fired] == ["latency-p99"]
    assert [a.kind for a in slow.fired[0].actions][:1] == ["declare"]
    errors = evaluate(policy, _alert(annotations={"error_rate_pct": "7.5"}))
    assert [f.rule for f in errors.fired] == ["error-rate"]
    assert evaluate(policy, _alert(values={"error_rate_pct": 5})).fired == []
    assert evaluate(policy, _alert()).fired == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '[[rules]]\nid = "a"\npage = "x"\nmatch = [\n  \'env!="s"\',\n'
            "  'severity=critical',\n]\n",
            "policy.toml:6: rules.0.match.1: not a matcher: 'severity=critical': the value"
            " must be in double quotes",
        ),
        (
            '# one\n[[rules]]\nid = "a"\npage = "x"\nmatch = [\'team=~"(x"\']\n',
            "policy.toml:5: rules.0.match.0: not a matcher: 'team=~\"(x\"': not a valid"
            " regular expression",
        ),
        (
            '[[rules]]\nid = "a"\npage = "x"\n\n[[rules]]\nid = "b"\nreboot = true\n',
            "policy.toml:5: rules.1: unknown action 'reboot'; the actions are declare,",
        ),
        (
            '[[rules]]\nid = "a"\npage = "x"\n\n[rules.declare]\nseverity = "SEV9"\n',
            "policy.toml:6: rules.0.declare.severity: unknown severity 'SEV9'; choose one of",
        ),
        (
            '[[rules]]\nid = "a"\nnotify = "everyone"\n',
            "policy.toml:3: rules.0.notify: unknown audience 'everyone'",
        ),
        (
            '[[rules]]\nid = "a"\nthresholds = ["p99 >> 3"]\npage = "x"\n',
            "policy.toml:3: rules.0.thresholds.0: not a threshold: 'p99 >> 3'",
        ),
        (
            '[[rules]]\nid = "a"\nmatch = [\'x="1"\']\n',
            "policy.toml:1: rules.0: rule 'a' has no action",
        ),
        (
            '[[rules]]\nid = "a"\n[rules.declare]\nseverity = "SEV2"\ntitle = "{x}"\n',
            "policy.toml:5: rules.0.declare.title: '{x}' has a brace that is not a placeholder",
        ),
        (
            '[[rules]]\nid = "a"\nrunbook = {id = "r", from_annotation = "runbook_url"}\n',
            "policy.toml:3: rules.0.runbook: name a runbook id, or from_annotation",
        ),
    ],
)
def test_policy_file_errors_say_file_line_and_field(tmp_path: Path, body, expected):
    file = tmp_path / "policy.toml"
    file.write_text(body, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(file)
    shown = str(info.value).replace(str(tmp_path) + "/", "")
    assert shown.startswith(expected), shown


def test_a_new_severity_scale_drops_the_default_rules():
    policy = parse_policy('[[severities]]\nname = "P1"\n', "scale.toml")
    assert policy.rules == ()


def test_new_incident_types_drop_the_default_rules_that_declare_the_old_ones():
    policy = parse_policy('incident_types = ["outage", "drill"]\n', "types.toml")
    assert policy.rules == ()
    kept = parse_policy('incident_types = ["outage"]\n[[rules]]\nid = "a"\npage = "x"\n', "t")
    assert [r.id for r in kept.rules] == ["a"]
