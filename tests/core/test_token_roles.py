"""Which token roles a home may write with: the rule the server's push applies."""

import pytest

from warroom.core.token_roles import WRITING_ROLES, login_refusal


@pytest.mark.parametrize("role", [None, *WRITING_ROLES])
def test_writing_roles_and_unknown_ones_are_let_through(role):
    assert login_refusal(role, "https://wr.example") is None


@pytest.mark.parametrize(("role", "words"), [("viewer", "a viewer"), ("intake", "an intake")])
def test_other_roles_are_told_how_to_write(role, words):
    said = login_refusal(role, "https://wr.example")
    assert f"logged in to https://wr.example with {words} token, which may not write" in said
    assert "warroom login https://wr.example --token" in said
