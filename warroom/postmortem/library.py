"""Which postmortem template is used: the shipped default, the user's over it, or a file.

``postmortem.md.j2`` ships with warroom; a file of the same name in the user's
``postmortem`` folder (beside ``layouts``; ``warroom locate`` prints the home) wins over
it, and other names there are further templates (``--template short``). A template
can also be named by its path. Each is compiled and tried on a sample draft with one
entry in every section when it is read, so a misspelt field is reported with its
``file:line`` before anyone relies on the document.
"""

from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path

from warroom.core import events as ev
from warroom.core.errors import NotFound
from warroom.core.fold import fold
from warroom.core.learning_state import RiskLink, RiskState
from warroom.core.policy import Policy
from warroom.core.postmortem import postmortem_data
from warroom.core.runbook import RunbookStep
from warroom.postmortem.render import SUFFIX, DraftTemplate, compile_template
from warroom.templates.sandbox import read_source

SHIPPED_DIR = Path(str(files("warroom.postmortem").joinpath("shipped")))
DEFAULT = "postmortem"


def user_dir(data: Path) -> Path:
    """The user's postmortem templates in the home's data folder."""
    return data / "postmortem"


def find_template(policy: Policy, data: Path, template: str | None = None) -> DraftTemplate:
    """The template named ``template`` (a name or a file path; the default when None),
    read and checked; ``TemplateFailed`` (``file:line``) or ``NotFound`` say why not."""
    wanted = template or DEFAULT
    as_path = Path(wanted).expanduser()
    if as_path.suffix == ".j2" or "/" in wanted:
        if not as_path.is_file():
            raise NotFound(f"no postmortem template file {wanted}")
        return load_template(as_path, policy)
    for folder in (user_dir(data), SHIPPED_DIR):
        path = folder / f"{wanted}{SUFFIX}"
        if path.is_file():
            return load_template(path, policy)
    known = sorted(
        p.name.removesuffix(SUFFIX)
        for d in {user_dir(data), SHIPPED_DIR}
        if d.is_dir()
        for p in d.glob(f"*{SUFFIX}")
    )
    raise NotFound(
        f"no postmortem template named {wanted!r}; there are: {', '.join(known)}"
        f" (add {wanted}{SUFFIX} to {user_dir(data)})"
    )


def load_template(path: Path, policy: Policy) -> DraftTemplate:
    """Read, compile and trial-render one template file."""
    template = compile_template(path, read_source(path))
    for _ in template.render(sample_data(policy)):
        pass
    return template


def sample_data(policy: Policy) -> dict:
    """A draft's data with an entry in every section, to try a template on."""
    at = datetime(2000, 1, 1, tzinfo=UTC)
    step = RunbookStep(id="s1", title="sample step", line=1)
    payloads: list = [
        ev.Declaration(
            title="Sample",
            incident_type=policy.incident_types[0],
            severity=policy.severities[0].name,
            services=("sample-service",),
            declarer_commands=True,
        ),
        ev.Observation(text="sample observation"),
        ev.Decision(text="sample decision"),
        ev.Hypothesis(text="sample hypothesis"),
        ev.HypothesisOutcome(target_id="sample-4", outcome="confirmed", reason="sample"),
        ev.ContributingFactor(text="sample factor"),
        ev.Todo(text="sample action", owner="sample"),
        ev.StatusUpdate(text="sample update", audience="external"),
        ev.Escalation(target="sample-team"),
        ev.Handoff(role="commander", to_person="other"),
        ev.RunbookAttached(runbook_id="rb", title="rb", content_hash="0" * 64, steps=(step,)),
        ev.RunbookStepMarked(runbook_id="rb", step_id="s1", action="skip", note="sample"),
        ev.StatusChanged(status="resolved"),
    ]
    events = [
        ev.Event(
            id=f"sample-{n}",
            incident_id="inc-sample",
            actor="sample",
            occurred_at=at + timedelta(minutes=n),
            recorded_at=at + timedelta(minutes=n),
            device_id="sample",
            device_seq=n,
            payload=payload,
        )
        for n, payload in enumerate(payloads, 1)
    ]
    state = fold(events)
    risk = RiskState(
        title="sample risk",
        likelihood="sample",
        impact="sample",
        raised_by="sample",
        raised_at=at,
        updated_at=at,
        incidents=[RiskLink(incident_id=state.id, by="sample", at=at)],
    )
    stream = ((e.kind, e) for e in events)
    return postmortem_data(state, stream, policy, [("risk-sample", risk)], as_of=at)
