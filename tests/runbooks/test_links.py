"""``runbook_for_url``: an alert's ``runbook_url`` annotation to the runbook id it names."""

import pytest

from warroom.core.runbook import runbook_for_url

IDS = ["KubePodCrashLooping", "dns-misconfiguration", "disk-full"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping",
            "KubePodCrashLooping",
        ),
        ("https://runbooks.example/kubernetes/kubepodcrashlooping/", "KubePodCrashLooping"),
        (
            "https://github.com/org/runbooks/blob/main/content/runbooks/kubernetes/"
            "KubePodCrashLooping.md",
            "KubePodCrashLooping",
        ),
        (
            "https://wiki.example/ops/KUBEPODCRASHLOOPING.MD?plain=1#diagnosis",
            "KubePodCrashLooping",
        ),
        ("https://wiki.example/runbooks/DNS-Misconfiguration.html", "dns-misconfiguration"),
        ("https://wiki.example/runbooks/disk%2Dfull", "disk-full"),
        ("  https://wiki.example/runbooks/disk-full  ", "disk-full"),
        ("disk-full.md", "disk-full"),
    ],
)
def test_the_last_path_segment_names_the_runbook_case_insensitively(url, expected):
    assert runbook_for_url(url, IDS) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://runbooks.example/kubernetes/KubeNodeNotReady",
        "https://runbooks.example/",
        "https://runbooks.example",
        "https://runbooks.example/runbook.md#alert-name-kubepodcrashlooping",  # an anchor only
        "https://runbooks.example/kubepodcrashlooping/extra",
        "http://[::1/kubepodcrashlooping",  # not a URL
        "",
        None,
    ],
)
def test_no_match_is_none(url):
    assert runbook_for_url(url, IDS) is None


def test_ids_differing_only_in_case_prefer_the_exact_spelling_then_sorted_order():
    ids = ["kubepodcrashlooping", "KubePodCrashLooping"]
    assert runbook_for_url("https://x/KubePodCrashLooping", ids) == "KubePodCrashLooping"
    assert runbook_for_url("https://x/kubepodcrashlooping", reversed(ids)) == "kubepodcrashlooping"
    assert runbook_for_url("https://x/KUBEPODCRASHLOOPING", ids) == "KubePodCrashLooping"
