"""Which runbooks fit an incident, ranked, with the reasons they matched."""

from collections.abc import Iterable

from warroom.core.runbook.model import Frozen, Runbook


class Suggestion(Frozen):
    """A runbook ranked for an incident, with the reasons it matched."""

    runbook_id: str
    title: str
    score: int
    reasons: tuple[str, ...]


WEIGHTS = {"incident_type": 4, "service": 3, "tag": 2, "severity": 1}
"""What a match is worth: a runbook for this kind of incident beats one for a service."""


def suggest(
    runbooks: Iterable[Runbook],
    incident_type: str,
    services: Iterable[str] = (),
    keywords: Iterable[str] = (),
    severity: str | None = None,
) -> list[Suggestion]:
    """Runbooks that fit an incident, best first (ties by id).

    A runbook must match the incident type, a service or a keyword (compared with its
    tags; callers pass words of the incident title) to be suggested; a matching
    severity only raises the rank of a runbook that already fits.
    """
    kind = incident_type.strip().lower()
    wanted_services = {s.strip().lower() for s in services}
    wanted_words = {k.strip().lower() for k in keywords}
    results = []
    for runbook in runbooks:
        score, reasons = 0, []
        if kind and kind in _lower(runbook.incident_types):
            score += WEIGHTS["incident_type"]
            reasons.append(f"incident type {incident_type}")
        for service in sorted(wanted_services & _lower(runbook.services)):
            score += WEIGHTS["service"]
            reasons.append(f"service {service}")
        for tag in sorted(wanted_words & _lower(runbook.tags)):
            score += WEIGHTS["tag"]
            reasons.append(f"tag {tag}")
        if not score:
            continue
        if severity and severity.strip().lower() in _lower(runbook.severities):
            score += WEIGHTS["severity"]
            reasons.append(f"written for {severity}")
        results.append(
            Suggestion(runbook_id=runbook.id, title=runbook.title, score=score, reasons=reasons)
        )
    return sorted(results, key=lambda s: (-s.score, s.runbook_id))


def _lower(values: Iterable[str]) -> set[str]:
    return {v.lower() for v in values}
