"""``isinstance`` of a payload against a few payload classes, at the cost of a dict look-up.

pydantic's model classes have a metaclass with an ``__instancecheck__`` written in
Python (ABCMeta's), so each ``isinstance(payload, SomeModel)`` — and each class pattern
of a ``match`` — is a Python call: about 0.1 us per class tried. The access rules ask
a dozen such questions of every event the server appends, nearly always answered "no".
A ``KindTable`` answers from the payload's type, remembered on first sight.
"""

from collections.abc import Mapping
from typing import TypeVar

V = TypeVar("V")


class KindTable(dict[type, V]):
    """``table[type(x)]`` is the value of the first of ``cases`` that ``x`` is an
    instance of (in their order, as a ``match`` tries them), or ``default``. A new type
    is checked with ``issubclass`` once, then remembered: a class's bases never change."""

    def __init__(self, cases: Mapping[type, V], default: V) -> None:
        super().__init__()
        self.cases = tuple(cases.items())
        self.default = default

    def __missing__(self, kind: type) -> V:
        answer = next((v for cls, v in self.cases if issubclass(kind, cls)), self.default)
        self[kind] = answer
        return answer


def kind_test(*classes: type) -> KindTable[bool]:
    """``test[type(x)]`` is ``isinstance(x, classes)``."""
    return KindTable(dict.fromkeys(classes, True), False)
