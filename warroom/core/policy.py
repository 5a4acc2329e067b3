"""Policy: the organisation's vocabulary and rules, as validated data.

Severities, incident types, roles, phases with their checklists, update cadence and
escalation rules all come from a TOML file. The defaults ship inside the package
(``default_policy.toml``); a user's file replaces whole sections it defines, so a team
can change only its severity scale and keep everything else.
"""

import re
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from warroom.core.alert_rules import AlertRule, check_rules
from warroom.core.errors import InvalidInput, NotFound
from warroom.core.review_policy import ReviewTarget, canonical_targets
from warroom.core.tomlpos import locate
from warroom.core.wording import field_path, plain_message

Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class Policy(_Strict):
    statuses: tuple[Ident, ...] = Field(min_length=1)
    incident_types: tuple[Ident, ...] = Field(min_length=1)
    audiences: tuple[Ident, ...] = Field(min_length=1)
    severities: tuple[Severity, ...] = Field(min_length=1)
    roles: tuple[Role, ...] = Field(min_length=1)
    phases: tuple[Phase, ...] = Field(min_length=1)
    cadence: tuple[Cadence, ...] = ()
    escalations: tuple[EscalationRule, ...] = ()
    access: AccessRules = AccessRules()
    record: RecordRules = RecordRules()
    runbooks: RunbookRules = RunbookRules()
    risks: RiskScales = RiskScales()
    rules: tuple[AlertRule, ...] = ()
    """What alerts do: see ``warroom.core.alert_rules``."""
    review: dict[str, ReviewTarget] = Field(default_factory=dict)
    """``[review]``: postmortem due after resolution, per severity (``core/review_policy``)."""

    @field_validator("review")
    @classmethod
    def _review_severities(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        names = [s.name for s in info.data.get("severities", ())]
        return canonical_targets(value, names) if names else value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _require_unique([s.name for s in self.severities], "severity")
        _require_unique([r.id for r in self.roles], "role")
        _require_unique([p.id for p in self.phases], "phase")
        _require_unique([e.id for e in self.escalations], "escalation id")
        if "commander" not in {r.id for r in self.roles}:
            raise ValueError("roles must include 'commander'; command is always explicit")
        role_ids = {r.id for r in self.roles}
        severities = {s.name for s in self.severities}
        for phase in self.phases:
            if phase.owner not in role_ids:
                raise ValueError(f"phase {phase.id!r} is owned by unknown role {phase.owner!r}")
        for rule in self.cadence:
            if rule.severity not in severities:
                raise ValueError(f"cadence names unknown severity {rule.severity!r}")
            if rule.audience not in self.audiences:
                raise ValueError(f"cadence names unknown audience {rule.audience!r}")
        for field in ("severity", "roles", "approvers", "approval_steps", "runbooks"):
            unknown_roles = set(getattr(self.access, field)) - role_ids
            if unknown_roles:
                raise ValueError(f"access.{field} names unknown role {sorted(unknown_roles)}")
        if set(self.access.approved_audiences) - set(self.audiences):
            raise ValueError("access.approved_audiences names an unknown audience")
        for esc in self.escalations:
            unknown = set(esc.severities) - severities | ({esc.severity} - severities - {None})
            if unknown:
                raise ValueError(f"escalation {esc.id!r} names unknown severity {sorted(unknown)}")
            if esc.audience is not None and esc.audience not in self.audiences:
                raise ValueError(f"escalation {esc.id!r} names unknown audience {esc.audience!r}")
        check_rules(self.rules, self)
        return self

    # Lookups that turn a user's typing into a canonical value or a clear error.

    def severity(self, name: str) -> Severity:
        for severity in self.severities:
            if severity.name.lower() == name.strip().lower():
                return severity
        raise InvalidInput(f"unknown severity {name!r}; choose one of {self._names_sev()}")

    def severity_rank(self, name: str) -> int:
        """Position in the scale; 0 is the worst."""
        return [s.name for s in self.severities].index(self.severity(name).name)

    def is_major(self, name: str) -> bool:
        try:
            return self.severity(name).major
        except InvalidInput:
            return False

    def role(self, role_id: str) -> Role:
        wanted = role_id.strip().lower()
        for role in self.roles:
            if role.id.lower() == wanted or role.title.lower() == wanted:
                return role
        choices = ", ".join(r.id for r in self.roles)
        raise NotFound(f"unknown role {role_id!r}; choose one of {choices}")

    def phase(self, phase_id: str) -> Phase:
        for phase in self.phases:
            if phase.id.lower() == phase_id.strip().lower():
                return phase
        choices = ", ".join(p.id for p in self.phases)
        raise NotFound(f"unknown phase {phase_id!r}; choose one of {choices}")

    def checklist_item(self, ref: str, current_phase: str) -> tuple[Phase, ChecklistItem]:
        """Resolve ``item`` (in the current phase first) or ``phase/item``."""
        if "/" in ref:
            phase_id, item_id = ref.split("/", 1)
            candidates = [self.phase(phase_id)]
        else:
            item_id = ref
            current = [p for p in self.phases if p.id == current_phase]
            candidates = current + [p for p in self.phases if p.id != current_phase]
        for phase in candidates:
            for item in phase.items:
                if item.id.lower() == item_id.strip().lower():
                    return phase, item
        raise NotFound(
            f"unknown checklist item {ref!r}; see `warroom status` for the items of each phase"
        )

    def status(self, name: str) -> str:
        for status in self.statuses:
            if status.lower() == name.strip().lower():
                return status
        raise InvalidInput(f"unknown status {name!r}; choose one of {', '.join(self.statuses)}")

    def incident_type(self, name: str) -> str:
        for kind in self.incident_types:
            if kind.lower() == name.strip().lower():
                return kind
        choices = ", ".join(self.incident_types)
        raise InvalidInput(f"unknown incident type {name!r}; choose one of {choices}")

    def audience(self, name: str) -> str:
        for audience in self.audiences:
            if audience.lower() == name.strip().lower():
                return audience
        raise InvalidInput(f"unknown audience {name!r}; choose one of {', '.join(self.audiences)}")

    def _names_sev(self) -> str:
        return ", ".join(s.name for s in self.severities)


class PolicyProblem(BaseModel):
    """One problem in a policy file, located for a human: ``file:line: field: message``."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f" {self.field}:" if self.field else ""
        return f"{self.file}:{self.line}:{where} {self.message}"


class PolicyError(InvalidInput):
    """A policy file that cannot be used; carries every problem found."""

    def __init__(self, problems: list[PolicyProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _require_unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value.lower() in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value.lower())


DEFAULT_POLICY_TEXT = files("warroom.core").joinpath("default_policy.toml").read_text("utf-8")


def default_policy() -> Policy:
    return Policy.model_validate(tomllib.loads(DEFAULT_POLICY_TEXT))


SEVERITY_BOUND_SECTIONS = ("cadence", "escalations", "rules", "review")
"""Default sections written for the default scale; a new scale starts without them."""


def parse_policy(text: str, source: str) -> Policy:
    """Validate policy text over the defaults; raise ``PolicyError`` listing every problem.

    Sections present in ``text`` replace the default sections of the same name. A file
    that replaces the severity scale also drops the default cadence, escalations and rules,
    which name the default severities and would otherwise make the file invalid; one
    that replaces the incident types drops the default rules, which declare them.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _decode_error_line(str(exc))
        raise PolicyError(
            [PolicyProblem(file=source, line=line, field="", message=str(exc))]
        ) from None
    defaults = tomllib.loads(DEFAULT_POLICY_TEXT)
    if "severities" in data:
        for section in SEVERITY_BOUND_SECTIONS:
            defaults.pop(section, None)
    if "incident_types" in data:
        defaults.pop("rules", None)  # the default rules declare default incident types
    merged = defaults | data
    try:
        return Policy.model_validate(merged)
    except ValidationError as exc:
        problems = []
        errors = exc.errors()
        failing_prefixes = {tuple(e["loc"][:1]) for e in errors if len(e["loc"]) > 1}
        for error in errors:
            loc = tuple(error["loc"])
            if error["type"] == "too_short" and loc in failing_prefixes:
                continue  # a consequence of a broken element, already reported
            in_user_file = bool(loc) and loc[0] in data
            problems.append(
                PolicyProblem(
                    file=source if in_user_file or not loc else "(built-in defaults)",
                    line=_line_of(text, loc, error["msg"]) if in_user_file or not loc else 1,
                    field=field_path(loc),
                    message=plain_message(error),
                )
            )
        raise PolicyError(problems) from None


def load_policy(path: Path | None) -> Policy:
    """The policy in ``path``, or the defaults when no path is given."""
    if path is None:
        return default_policy()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError(
            [PolicyProblem(file=str(path), line=1, field="", message=exc.strerror or str(exc))]
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = PolicyProblem(
            file=str(path),
            line=raw[: exc.start].count(b"\n") + 1,
            field="",
            message="not UTF-8 text",
        )
        raise PolicyError([problem]) from None
    return parse_policy(text, str(path))


def _line_of(text: str, loc: tuple, message: str) -> int:
    """Line for a field error; for whole-policy errors, the line of the value they quote."""
    if loc:
        return locate(text, loc)
    quoted = re.findall(r"'([^']+)'", message)
    for value in reversed(quoted):  # the offending value is named last
        for number, line in enumerate(text.splitlines(), 1):
            if f'"{value}"' in line or f"'{value}'" in line:
                return number
    return 1


def _decode_error_line(message: str) -> int:
    marker = "at line "
    if marker in message:
        digits = message.split(marker, 1)[1].split(",", 1)[0].split(")", 1)[0]
        if digits.strip().isdigit():
            return int(digits)
    return 1
