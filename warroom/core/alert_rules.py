"""Policy rules for alerts: which alerts declare or feed incidents, and what follows.

A policy's ``[[rules]]`` are tried in order, like Alertmanager's routes: a rule fires
when all its matchers and thresholds hold, and the first rule that fires ends the walk
unless it says ``continue = true``. A rule's actions:

- ``declare``: declare an incident (severity, type, a title template, services from a
  named label) — or, when an open incident already holds an alert of the same group or
  one of the same services, attach the alert to it instead (``attach_to_open = false``
  always declares anew);
- ``raise_severity``: raise the incident's severity; never lowers it, that stays a human
  decision;
- ``page`` a target, ``notify`` an audience, ``todo`` (text, owner role, time box),
  ``runbook`` (an id, or ``from_annotation = "runbook_url"``).

What a rule would do to an alert is ``warroom.core.alert_eval``'s to say.
"""

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Protocol, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from warroom.core.alert_match import MatcherField, ThresholdField, check_template


class Vocabulary(Protocol):
    """What rules need of the policy that holds them (``warroom.core.policy.Policy``,
    which imports this module, so it is named by its shape, not imported)."""

    rules: tuple["AlertRule", ...]

    def severity(self, name: str) -> Any: ...
    def severity_rank(self, name: str) -> int: ...
    def incident_type(self, name: str) -> str: ...
    def audience(self, name: str) -> str: ...
    def role(self, role_id: str) -> Any: ...


ACTIONS = ("declare", "raise_severity", "page", "notify", "todo", "runbook")
_SETTINGS = {"id", "description", "match", "thresholds", "continue"}


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, arbitrary_types_allowed=True
    )


class DeclareAction(_Strict):
    severity: str
    type: str = "outage"
    title: Annotated[str, AfterValidator(check_template)] = "{summary}"
    services_label: str = "service"
    """The label naming the affected service (several, comma-separated, are several)."""
    attach_to_open: bool = True
    """Attach to an open incident holding alerts of the same group or service instead."""


class TodoAction(_Strict):
    text: Annotated[str, AfterValidator(check_template)] = Field(min_length=1)
    owner: str = ""
    """An incident role; empty leaves it to the commander."""
    minutes: int = Field(default=0, ge=0)
    """A time box; 0 is none."""


class RunbookAction(_Strict):
    id: str = ""
    from_annotation: str = ""

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if bool(self.id) == bool(self.from_annotation):
            raise ValueError('name a runbook id, or from_annotation = "runbook_url"; not both')
        return self


def _runbook(value: object) -> object:
    return {"id": value} if isinstance(value, str) else value


class AlertRule(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    description: str = ""
    match: tuple[MatcherField, ...] = ()
    thresholds: tuple[ThresholdField, ...] = ()
    continue_: bool = Field(default=False, alias="continue")
    declare: DeclareAction | None = None
    raise_severity: str | None = None
    page: str | None = None
    notify: str | None = None
    todo: TodoAction | None = None
    runbook: RunbookAction | None = None

    @model_validator(mode="before")
    @classmethod
    def _known_actions(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - _SETTINGS - set(ACTIONS))
            if unknown:
                raise ValueError(
                    f"unknown action {unknown[0]!r}; the actions are {', '.join(ACTIONS)}"
                )
            if "runbook" in data:
                data = {**data, "runbook": _runbook(data["runbook"])}
        return data

    @model_validator(mode="after")
    def _does_something(self) -> Self:
        if not any(getattr(self, action) is not None for action in ACTIONS):
            raise ValueError(f"rule {self.id!r} has no action; give one of {', '.join(ACTIONS)}")
        return self


def check_rules(rules: Sequence[AlertRule], policy: Vocabulary) -> None:
    """Every name a rule uses is one the policy knows; ``ValueError`` names the field."""
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        where = f"rules.{index}"
        if rule.id.lower() in seen:
            raise ValueError(f"{where}.id: duplicate rule id {rule.id!r}")
        seen.add(rule.id.lower())
        checks = [
            ("declare.severity", rule.declare and rule.declare.severity, policy.severity),
            ("declare.type", rule.declare and rule.declare.type, policy.incident_type),
            ("raise_severity", rule.raise_severity, policy.severity),
            ("notify", rule.notify, policy.audience),
            ("todo.owner", rule.todo and rule.todo.owner, policy.role),
        ]
        for name, value, lookup in checks:
            if value:
                try:
                    lookup(value)
                except Exception as exc:  # InvalidInput or NotFound: a clear message
                    raise ValueError(f"{where}.{name}: {exc}") from None
