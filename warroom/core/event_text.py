"""An event's canonical text written field by field: ``chain.canonical_text``'s fast way.

``canonical_text(event)`` is ``ENCODE(event.model_dump(mode="json"))``: sorted keys,
no whitespace, UTF-8 text. Every server pays it for every event it appends, and
``model_dump`` of a whole event spends most of its time routing the payload through the
``Payload`` union (a Python call, ``_payload_tag``, per event), the encoder much of its
own on sorting the envelope's keys. Here the same values are written by the same
functions — pydantic's serializers for the payload and the two times, the C encoder's
for strings, integers and the payload's dict — with the envelope's keys in their sorted
order, so the text is byte for byte the same (property-tested over hostile values).
Anything unusual (a payload whose ``kind`` would pick another class, a value the
serializers refuse) takes the general way, which then gives its answer or its error.
"""

import json
from collections.abc import Callable
from typing import Any

from pydantic import AwareDatetime, ConfigDict, TypeAdapter

from warroom.core.canonical_json import ENCODE
from warroom.core.events import KINDS, Event, UnknownPayload


class _PayloadDumps(dict[type, Callable[..., Any]]):
    """Per payload class, its ``model_dump(mode="json")`` as ``Event``'s does it: NaN
    and infinities kept (``ser_json_inf_nan`` is the outermost model's setting; a
    payload's own would write null), through an adapter of a one-item list, which may
    carry a config where a model's adapter may not."""

    def __missing__(self, kind: type) -> Callable[..., Any]:
        config = ConfigDict(ser_json_inf_nan=Event.model_config["ser_json_inf_nan"])
        self[kind] = dump = TypeAdapter(list[kind], config=config).serializer.to_python
        return dump


_payload_dumps = _PayloadDumps()
_time = TypeAdapter(AwareDatetime).serializer.to_python
_string = json.encoder.encode_basestring
"""The function the C encoder (``canonical_json.ENCODE``) writes every string with."""


def event_text(event: Event) -> str | None:
    """``canonical_text(event)``, or ``None`` when it must take the general way."""
    payload = event.payload
    kind = type(payload)
    try:
        if KINDS.get(payload.kind, UnknownPayload) is not kind:
            return None  # Payload's discriminator would not pick this class
        body = "".join(ENCODE(_payload_dumps[kind]([payload], mode="json")[0], 0))
        return (
            f'{{"actor":{_string(event.actor)},"device_id":{_string(event.device_id)}'
            f',"device_seq":{int.__repr__(event.device_seq)},"id":{_string(event.id)}'
            f',"incident_id":{_string(event.incident_id)}'
            f',"occurred_at":{_string(_time(event.occurred_at, mode="json"))}'
            f',"payload":{body}'
            f',"recorded_at":{_string(_time(event.recorded_at, mode="json"))}}}'
        )
    except Exception:
        return None
