"""Policy: the organisation's vocabulary and rules, as validated data.

Severities, incident types, roles, phases with their checklists, update cadence and
escalation rules all come from a TOML file. Each section is a model of
``core/policy_sections.py``; ``Policy`` here checks them against each other, and the
functions below read the file. The defaults ship inside the package
(``default_policy.toml``); a user's file replaces whole sections it defines, so a team
can change only its severity scale and keep everything else.
"""

import re
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Self

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from warroom.core.alert_rules import AlertRule, check_rules
from warroom.core.errors import InvalidInput, NotFound
from warroom.core.policy_sections import (
    AccessRules,
    Cadence,
    ChecklistItem,
    EscalationRule,
    Ident,
    Phase,
    RecordRules,
    RiskScales,
    Role,
    RunbookRules,
    Severity,
    _require_unique,
    _Strict,
)
from warroom.core.review_policy import ReviewTarget, canonical_targets
from warroom.core.tomlpos import locate
from warroom.core.wording import field_path, plain_message


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
