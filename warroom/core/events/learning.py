"""The payloads of learning after an incident: action items and their updates, the
outcomes of hypotheses, contributing factors, the postmortem's publication and the risk
register's own log (``risk-…``).

``AFTER_CLOSE_KINDS`` is here because it names this family: the work a closed incident
still takes.
"""

from typing import Literal, Self

from pydantic import AwareDatetime, model_validator

from warroom.core.events.fields import Link, Name, Reason, Text, _Payload, _TextEntry

Priority = Literal["high", "medium", "low"]
ActionType = Literal["detective", "preventive", "corrective", "mitigating"]
"""What a follow-up action does about the failure (find it sooner, stop it happening,
fix what broke, soften the blow)."""
ActionStatus = Literal["open", "in_progress", "done", "wont_do"]
ACTION_STATUSES: tuple[str, ...] = ActionStatus.__args__


class Todo(_TextEntry):
    """A follow-up action item, possibly with an owner, a due time, a priority, a type
    and a ticket; each later change is an ``action_item_updated`` pointing at it.

    The fields after ``due`` came with the action items of "learning after" and default
    to unset, so TODOs written before them fold unchanged."""

    kind: Literal["todo"] = "todo"
    owner: Name | None = None
    due: AwareDatetime | None = None
    priority: Priority | None = None
    action_type: ActionType | None = None
    ticket: Link | None = None


class ActionItemUpdated(_Payload):
    """A change to one action item (a ``todo`` of the same log, by its event id): done,
    reassigned, re-dated, re-prioritised, its status or ticket. Unset fields do not
    change; each set one replaces the item's value (last writer in log order wins).
    "Won't do" needs the reason on the record."""

    kind: Literal["action_item_updated"] = "action_item_updated"
    target_id: Name
    status: ActionStatus | None = None
    owner: Name | None = None
    due: AwareDatetime | None = None
    priority: Priority | None = None
    action_type: ActionType | None = None
    ticket: Link | None = None
    reason: Reason = ""

    @model_validator(mode="after")
    def _meaningful(self) -> Self:
        changed = (self.status, self.owner, self.due, self.priority, self.action_type)
        if all(value is None for value in changed) and self.ticket is None:
            raise ValueError("an action item update must change something")
        if self.status == "wont_do" and not self.reason:
            raise ValueError("an action item marked won't do needs a reason")
        return self


HypothesisVerdict = Literal["confirmed", "ruled_out"]


class HypothesisOutcome(_Payload):
    """What became of a hypothesis (``target_id``, a ``hypothesis`` of the same log): the
    postmortem lists it with this outcome; a later outcome replaces an earlier one."""

    kind: Literal["hypothesis_outcome"] = "hypothesis_outcome"
    target_id: Name
    outcome: HypothesisVerdict
    reason: Reason = ""


class ContributingFactor(_TextEntry):
    """Something that made the incident possible or worse, as the scribe or the review
    names it, during the incident or after it is closed."""

    kind: Literal["contributing_factor"] = "contributing_factor"


class PostmortemPublished(_Payload):
    """The incident's postmortem went out for readers, optionally at ``url``: review
    timeliness (``warroom report``) counts from resolution to the first of these."""

    kind: Literal["postmortem_published"] = "postmortem_published"
    url: Link | None = None


AFTER_CLOSE_KINDS = (
    Todo,
    ActionItemUpdated,
    HypothesisOutcome,
    ContributingFactor,
    PostmortemPublished,
)
"""The after-incident work a closed incident still takes without being reopened: new and
changed follow-ups, outcomes of hypotheses, contributing factors, the postmortem's
publication (the postmortem is written after the close)."""

RiskStatus = Literal["open", "mitigating", "accepted", "closed"]
RISK_STATUSES: tuple[str, ...] = RiskStatus.__args__


class RiskRaised(_Payload):
    """Opens one risk of the register: the first event of a ``risk-…`` log, as a
    declaration is of an incident's. Likelihood and impact are names on the policy's
    ``[risks]`` scales."""

    kind: Literal["risk_raised"] = "risk_raised"
    title: Text
    likelihood: Name
    impact: Name
    owner: Name | None = None
    review_at: AwareDatetime | None = None
    description: Reason = ""


class RiskUpdated(_Payload):
    """A change to the risk of this log; unset fields do not change."""

    kind: Literal["risk_updated"] = "risk_updated"
    title: Text | None = None
    likelihood: Name | None = None
    impact: Name | None = None
    owner: Name | None = None
    review_at: AwareDatetime | None = None
    status: RiskStatus | None = None
    reason: Reason = ""

    @model_validator(mode="after")
    def _meaningful(self) -> Self:
        fields = (self.title, self.likelihood, self.impact, self.owner, self.review_at)
        if all(value is None for value in fields) and self.status is None:
            raise ValueError("a risk update must change something")
        return self


class RiskLinked(_Payload):
    """Links the risk to an incident where it materialised or, with ``action_id``, to an
    action item of that incident that mitigates it; ``removed`` takes a link back."""

    kind: Literal["risk_linked"] = "risk_linked"
    incident_ref: Name
    action_id: Name | None = None
    removed: bool = False
