"""The intake answer (``warroom.server.intake.take``) is written with ``json.dumps``; its
bytes are exactly those the OpenAPI document's ``IntakeResult`` model would write, for
any text an alert can carry (quotes, controls, non-ASCII, line separators, emoji)."""

import asyncio
import json

from warroom.intake.apply import Applied
from warroom.server.intake import AppliedAlert, IntakeResult, take

AWKWARD = 'quote " backslash \\ tab \t newline \n nul \x00 del \x7f é ü 中文 \u2028 🚨 </script>'


class _Desk:
    """What ``take`` needs of an ``IntakeDesk``: the decisions, as already made."""

    def __init__(self, applied: list[Applied]) -> None:
        self.applied = applied

    async def receive(self, alerts) -> list[Applied]:
        return self.applied


def test_the_answer_is_the_models_bytes():
    applied = [
        Applied("fp-1", "firing", AWKWARD, "new", "inc-7k2m9q", ["declared", AWKWARD]),
        Applied("fp-2", "resolved", "", "resolution", "", []),
        Applied("fp-" + AWKWARD, "firing", "x", "repeat"),
    ]
    answer = asyncio.run(take(_Desk(applied), []))  # type: ignore[arg-type]
    model = IntakeResult(alerts=[AppliedAlert(**vars(one)) for one in applied])
    assert answer == model.model_dump_json().encode()
    assert json.loads(answer)["alerts"][0]["summary"] == AWKWARD
