"""The sections of a policy file, each a model of its own: severities, roles, phases with
their checklists, update cadence, escalation rules, and the ``[access]``, ``[record]``,
``[runbooks]`` and ``[risks]`` rules.

``Policy`` (``core/policy.py``) puts them together and checks them against each other;
each section here checks only itself, so a new setting is added to its own section.
"""

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from warroom.core.errors import NotFound

Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _require_unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value.lower() in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value.lower())


class Severity(_Strict):
    name: Ident
    description: str = ""
    major: bool = False
    color: str = "white"


class Role(_Strict):
    id: Ident
    title: str
    multiple: bool = False
    """Several people may hold it at once (sector leads, SMEs, observers)."""
    required_when_major: bool = False
    """A vacancy is highlighted on SEV1/SEV2 incidents."""


class ChecklistItem(_Strict):
    id: Ident
    text: str = Field(min_length=1)


class Phase(_Strict):
    id: Ident
    owner: Ident
    items: tuple[ChecklistItem, ...] = ()

    @model_validator(mode="after")
    def _unique_items(self) -> Self:
        _require_unique([item.id for item in self.items], "checklist item id")
        return self


class Cadence(_Strict):
    severity: Ident
    audience: Ident
    every_minutes: int = Field(gt=0)
    for_first_minutes: int = Field(default=0, ge=0)


class EscalationRule(_Strict):
    id: Ident
    description: str = ""
    when: Literal["unacknowledged", "unmitigated", "update_overdue", "severity", "threshold"]
    """What the step waits for; see ``warroom.core.ladder``."""
    severities: tuple[Ident, ...] = ()
    """Empty means every severity; a ``severity`` step fires once the incident has held
    one of these for ``after_minutes``."""
    after_minutes: int = Field(ge=0)
    audience: Ident | None = None
    """An ``update_overdue`` step watches this audience's updates; none watches every one."""
    metric: str | None = None
    above: float | None = None
    action: Literal["page", "notify", "set-severity"]
    target: str = ""
    severity: Ident | None = None

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.when == "threshold" and (self.metric is None or self.above is None):
            raise ValueError("a threshold rule needs 'metric' and 'above'")
        if self.action == "set-severity" and self.severity is None:
            raise ValueError("a set-severity rule needs 'severity'")
        if self.action in ("page", "notify") and not self.target:
            raise ValueError(f"a {self.action} rule needs a 'target' (who to {self.action})")
        if self.when == "severity" and not self.severities:
            raise ValueError("a severity rule needs 'severities' (the ones that fire it)")
        return self


class AccessRules(_Strict):
    """Who may make privileged changes to an incident, checked before every append.

    Role lists name incident roles (held as primary, not as shadow); server admins may
    always. The local write path applies the same rules as a server, so a room without
    one obeys the policy exactly as a shared room does.
    """

    severity: tuple[Ident, ...] = ("commander", "deputy")
    """May change the severity."""
    roles: tuple[Ident, ...] = ("commander", "deputy")
    """May assign and release roles and hand them off (anyone may release themselves)."""
    approved_audiences: tuple[Ident, ...] = ("external",)
    """Notices to these audiences go out only once one of the ``approvers`` approved their
    exact text (``core/notices.py``); a status update to them is logged only by an approver."""
    approvers: tuple[Ident, ...] = ("commander",)
    approval_steps: tuple[Ident, ...] = ("commander", "deputy")
    """May complete a runbook step of type ``approval``."""
    declarer_while_vacant: bool = True
    """While nobody holds command, the declarer may change severity and roles, so that
    someone can seat the first commander."""
    declarer_takes_command: bool = True
    """Whoever declares an incident holds command until they hand it off: the declaration
    itself says so (``declarer_commands``), so server and clients fold the same."""
    runbooks: tuple[Ident, ...] = ("commander", "deputy")
    """May re-pin an attached runbook. A re-pin replaces the steps the approval gates and
    pinned commands are read from, so it needs a role; attaching a runbook the first time
    is open to every responder (the version they are working from goes on the record)."""


class RecordRules(_Strict):
    """How far the record's times may stray before warroom asks "are you sure?"."""

    backdate_confirm_hours: float = Field(default=24, ge=0)
    """An entry, milestone or impact time dated more than this long before the declaration
    is recorded only once confirmed (``--yes``): an easy slip when typing ``-3d``."""


class RunbookRules(_Strict):
    """What warroom may do with a runbook's commands; running them is off unless enabled."""

    allow_commands: bool = False
    """Let responders run a step's pinned command from warroom (after a confirmation)."""
    command_timeout_seconds: int = Field(default=120, gt=0, le=3600)
    """A command still running after this long is stopped and recorded as timed out."""


class RiskScales(_Strict):
    """``[risks]``: the risk register's likelihood and impact scales, least to most.

    A risk's exposure is its likelihood's place times its impact's (1-based), so the
    register sorts by it whatever the words are."""

    likelihood: tuple[Ident, ...] = Field(
        default=("rare", "unlikely", "possible", "likely", "almost-certain"), min_length=1
    )
    impact: tuple[Ident, ...] = Field(
        default=("negligible", "minor", "moderate", "major", "severe"), min_length=1
    )
    review_days: int = Field(default=90, gt=0, le=3660)
    """A risk raised without a review date is due for review this many days later."""

    def level(self, scale: str, name: str) -> str:
        """The scale's own spelling of ``name`` (any case), or ``NotFound`` listing them."""
        names: tuple[str, ...] = getattr(self, scale)
        for known in names:
            if known.lower() == name.strip().lower():
                return known
        raise NotFound(f"unknown {scale} {name!r}; the policy's scale is {', '.join(names)}")

    def exposure(self, likelihood: str, impact: str) -> int:
        """Likelihood x impact by place on the scales; 0 for a name no longer on them."""

        def place(names: tuple[str, ...], name: str) -> int:
            return names.index(name) + 1 if name in names else 0

        return place(self.likelihood, likelihood) * place(self.impact, impact)
