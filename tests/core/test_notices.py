"""Notices: the fold, the approval rules and what is ready to send (pure)."""

from tests.factories import declaration, make_event
from warroom.core.access import check_append
from warroom.core.fold import fold
from warroom.core.notices import (
    awaiting_approval,
    needs_approval,
    ready_notices,
    text_digest,
)
from warroom.core.policy import default_policy, parse_policy

POLICY = default_policy()
INC = "inc-test01"
TEXT = "We are investigating errors at checkout.\n"

SEATED = (
    make_event("role_assigned", INC, actor="dora", role="commander", person="carl"),
    make_event("role_assigned", INC, actor="carl", role="deputy", person="dave"),
    make_event("role_assigned", INC, actor="carl", role="comms", person="cleo"),
)


def _draft(text=TEXT, audience="external", actor="cleo", draft_id="u-1"):
    return make_event(
        "notice_drafted", INC, actor=actor, draft_id=draft_id, audience=audience, text=text
    )


def _approve(text=TEXT, actor="carl", draft_id="u-1"):
    return make_event(
        "notice_approved", INC, actor=actor, draft_id=draft_id, digest=text_digest(text)
    )


def _state(*events):
    return fold([declaration(INC, actor="dora"), *SEATED, *events])


def _check(state, event, *, admin=False, policy=POLICY):
    return check_append(policy, state, event, author=event.actor, admin=admin)


def test_external_needs_the_commander_by_default():
    assert needs_approval(POLICY, "external") == ("commander",)
    assert needs_approval(POLICY, "internal") == ()


def test_a_draft_folds_with_its_exact_text_and_digest():
    text = "  Indented first line, trailing blank line kept\n\n"
    notice = _state(_draft(text)).notices["u-1"]
    assert notice.text == text  # byte for byte: nothing stripped
    assert notice.digest == text_digest(text)
    assert (notice.status, notice.drafted_by, notice.revision) == ("drafted", "cleo", 1)


def test_an_external_notice_is_ready_only_once_the_commander_approved_that_text():
    drafted = _state(_draft())
    assert ready_notices(drafted, POLICY) == []
    assert [n.draft_id for n in awaiting_approval(drafted, POLICY)] == ["u-1"]
    approved = fold([_approve()], drafted)
    (ready,) = ready_notices(approved, POLICY)
    assert (ready.draft_id, ready.audience, ready.text) == ("u-1", "external", TEXT)
    assert ready.digest == text_digest(TEXT)
    assert awaiting_approval(approved, POLICY) == []


def test_a_draft_changed_after_approval_is_not_ready():
    approved = _state(_draft(), _approve())
    revised = fold([_draft(TEXT + " ")], approved)  # one trailing space
    notice = revised.notices["u-1"]
    assert (notice.status, notice.revision, notice.approved_by) == ("drafted", 2, None)
    assert ready_notices(revised, POLICY) == []
    # approving the old text again is refused: it is not what the notice says now
    refusal = _check(revised, _approve(TEXT))
    assert "not the one approved" in refusal and "revision 2" in refusal
    assert _check(revised, _approve(TEXT + " ")) is None


def test_an_approval_of_an_older_text_folds_but_approves_nothing():
    """A stale approval that reached the log anyway (it raced a revision) does not count."""
    raced = _state(_draft(), _draft("Second text"), _approve(TEXT))
    assert raced.notices["u-1"].status == "drafted"
    assert ready_notices(raced, POLICY) == []


def test_a_responder_cannot_approve_or_return_an_external_notice():
    state = _state(_draft())
    for actor in ("cleo", "dave"):  # the comms lead, the deputy
        refusal = _check(state, _approve(actor=actor))
        assert (
            refusal
            == f"approving a notice to external needs the commander of {INC}; {actor} is not"
        )
    back = make_event("notice_returned", INC, actor="cleo", draft_id="u-1", reason="typo")
    assert "sending back a notice to external needs the commander" in _check(state, back)
    assert _check(state, _approve(actor="carl")) is None
    assert _check(state, _approve(actor="cleo"), admin=True) is None


def test_internal_notices_need_no_approval():
    state = _state(_draft(audience="internal", actor="dave"))
    assert [n.draft_id for n in ready_notices(state, POLICY)] == ["u-1"]
    assert awaiting_approval(state, POLICY) == []


def test_sending_back_clears_the_approval_until_a_revision():
    returned = _state(
        _draft(),
        _approve(),
        make_event("notice_returned", INC, actor="carl", draft_id="u-1", reason="name the region"),
    )
    notice = returned.notices["u-1"]
    assert (notice.status, notice.returned_reason, notice.approved_digest) == (
        "returned",
        "name the region",
        None,
    )
    assert ready_notices(returned, POLICY) == []
    assert "needs a revision" in _check(returned, _approve())
    revised = fold([_draft("EU checkout is failing; we are on it.")], returned)
    assert (revised.notices["u-1"].status, revised.notices["u-1"].returned_reason) == (
        "drafted",
        "",
    )


def test_notice_rules_that_bind_admins_too():
    state = _state(_draft())
    missing = _check(state, _approve(draft_id="u-9"), admin=True)
    assert missing == f"{INC} has no notice 'u-9'; `warroom update list {INC}` shows them"
    moved = _check(state, _draft(audience="internal"), admin=True)
    assert "is for external; a revision keeps its audience" in moved
    unknown = _check(state, _draft(audience="press", draft_id="u-2"), admin=True)
    assert "unknown audience 'press'" in unknown


def test_the_policy_names_who_approves_which_audience():
    policy = parse_policy(
        '[access]\napproved_audiences = ["external", "executive"]\n'
        'approvers = ["commander", "deputy"]\n',
        "p.toml",
    )
    state = _state(_draft(audience="executive"))
    assert needs_approval(policy, "executive") == ("commander", "deputy")
    assert _check(state, _approve(actor="dave"), policy=policy) is None
    assert "needs the commander or deputy" in _check(state, _approve(actor="cleo"), policy=policy)
    assert ready_notices(state, policy) == []
