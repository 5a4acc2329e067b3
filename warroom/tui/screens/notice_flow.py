"""The war-room screen's notices: ``:update AUDIENCE`` writes one, ``:notice`` reviews one.

``:update external`` renders the audience's template for the incident on a worker
thread (it reads the timeline and the template files) and opens the editor on the
result; what is submitted goes to the writer thread like every other change. A draft
the write path refuses comes back in the editor with the reason, so no text is lost.
``:notice`` (the strip names the notices waiting) shows the exact text to the approver,
who approves it, sends it back with a reason, or revises it. Mixed into
``WarRoomScreen``.
"""

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.message import Message

from warroom.core.errors import InvalidInput, WarroomError
from warroom.core.notices import awaiting_approval, needs_approval, standing
from warroom.tui.screens.compose import ComposeNotice, Decision, Draft, NoticeReview

if TYPE_CHECKING:
    from warroom.core.events import Event
    from warroom.core.state import IncidentState, NoticeState
    from warroom.templates.library import TemplateLibrary
    from warroom.tui.commands import ParsedCommand
    from warroom.tui.host import WarroomHost


@dataclass(frozen=True)
class NoticeRequest:
    """A notice change on its way to the writer; ``draft`` comes back if it is refused."""

    draft: Draft | None = None


class NoticePrefilled(Message):
    def __init__(self, draft: Draft) -> None:
        super().__init__()
        self.draft = draft


class NoticeFlow:
    app: "WarroomHost"
    state: "IncidentState | None"
    _notice_templates: "TemplateLibrary | None" = None

    def _cmd_update(self, cmd: "ParsedCommand") -> None:
        iid = self._require_incident()
        audience = self.app.config.policy.audience(cmd.arg(0, "audience"))
        work = partial(self._prefill, iid, audience, cmd.optional(1) or None)
        self.run_worker(work, thread=True, group="notice-prefill", exit_on_error=False)

    def _templates(self) -> "TemplateLibrary":
        from warroom.templates.library import notice_library

        if self._notice_templates is None:
            config = self.app.config
            self._notice_templates = notice_library(config.policy, config.paths.templates)
        return self._notice_templates

    def _prefill(self, incident_id: str, audience: str, template: str | None) -> None:
        """On a worker thread: the template rendered for the incident as it stands."""
        from warroom.store.local import LocalStore
        from warroom.templates.library import prefill

        try:
            with LocalStore(self.app.config.paths.database) as store:
                state, events = store.state(incident_id), store.events(incident_id)
            chosen, text = prefill(self._templates(), state, events, audience, template)
        except WarroomError as exc:
            self.app.call_from_thread(self._refused, exc)
            return
        draft = Draft(incident_id, audience, text, chosen.name, chosen.fmt)
        self.post_message(NoticePrefilled(draft))

    def on_notice_prefilled(self, message: NoticePrefilled) -> None:
        """(Named, not ``@on``: a mixin's decorated handlers are not collected.)"""
        self.edit_notice(message.draft)

    def edit_notice(self, draft: Draft) -> None:
        self.app.push_screen(ComposeNotice(draft), partial(self._composed, draft))

    def _composed(self, draft: Draft, text: str | None) -> None:
        if text is None:
            self.app.notify("draft discarded; nothing recorded", timeout=3)
            return
        kept = Draft(**{**draft.__dict__, "text": text})
        self.write(
            NoticeRequest(kept),
            lambda room, at: room.draft_notice(
                draft.incident_id,
                draft.audience,
                text,
                draft_id=draft.draft_id,
                template=draft.template,
                at=at,
            ),
        )

    def notice_refused(self, request: NoticeRequest) -> None:
        """The write path refused a draft: back into the editor, text and all."""
        if request.draft is not None:
            self.edit_notice(request.draft)

    def notice_recorded(self, event: "Event") -> None:
        payload = event.payload
        roles = needs_approval(self.app.config.policy, getattr(payload, "audience", ""))
        words = {"notice_approved": "approved", "notice_returned": "sent back"}
        if event.kind in words:
            said = words[event.kind]
        elif roles:
            said = f"recorded; it goes out once the {' or '.join(roles)} approves it"
        else:
            said = "recorded"
        self.app.notify(f"Notice {payload.draft_id} {said}", timeout=4)

    def _cmd_notice(self, cmd: "ParsedCommand") -> None:
        self._require_incident()
        notice = self._notice(cmd.optional(0))
        policy, state = self.app.config.policy, self.state
        roles = needs_approval(policy, notice.audience)
        may_decide = bool(roles) and bool(state.roles_of(self.app.config.actor) & set(roles))
        review = NoticeReview(notice, standing(policy, notice), may_decide)
        self.app.push_screen(review, partial(self._reviewed, state.id, notice))

    def _notice(self, ref: str) -> "NoticeState":
        """The notice named, else the first awaiting approval, else the newest."""
        notices = self.state.notices
        if ref:
            if ref not in notices:
                raise InvalidInput(f"{self.state.id} has no notice {ref!r}")
            return notices[ref]
        waiting = awaiting_approval(self.state, self.app.config.policy)
        if waiting:
            return waiting[0]
        if not notices:
            raise InvalidInput(f"{self.state.id} has no notices; write one with :update AUDIENCE")
        return list(notices.values())[-1]

    def _reviewed(self, iid: str, notice: "NoticeState", decision: Decision | None) -> None:
        if decision is None:
            return
        if decision.action == "revise":
            known = self._notice_templates.by_name if self._notice_templates else {}
            template = known.get(notice.template)
            fmt = template.fmt if template else "plain"
            self.edit_notice(
                Draft(
                    iid,
                    notice.audience,
                    notice.text,
                    notice.template,
                    fmt,
                    notice.draft_id,
                    notice.revision,
                )
            )
            return
        draft_id, value = decision.draft_id, decision.value
        if decision.action == "approve":
            self.write(
                NoticeRequest(),
                lambda room, at: room.approve_notice(iid, draft_id, digest=value),
            )
        else:
            self.write(NoticeRequest(), lambda room, at: room.return_notice(iid, draft_id, value))
