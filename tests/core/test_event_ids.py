"""Event ids (``warroom.core.ids.new_event_id``) are UUIDv7 written out directly: the
format and properties every store and peer relies on, checked through the standard
library's own reading of the text."""

import time
import uuid

from warroom.core.ids import new_event_id


def test_an_event_id_is_a_uuid7_in_canonical_text():
    before_ms = time.time_ns() // 1_000_000
    text = new_event_id()
    parsed = uuid.UUID(text)
    assert str(parsed) == text  # lower case, 8-4-4-4-12
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert before_ms <= parsed.int >> 80 <= time.time_ns() // 1_000_000 + 1000


def test_ids_are_strictly_increasing_and_random_below_the_time():
    ids = [new_event_id() for _ in range(5000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    times = [uuid.UUID(text).int >> 80 for text in ids]
    assert times == sorted(set(times))  # strictly increasing
    random_parts = {uuid.UUID(text).int & ((1 << 62) - 1) for text in ids}
    assert len(random_parts) == len(ids)
    # every one of the 74 random bits (12 above the variant, 62 below) takes both values
    ones = 0
    zeros = 0
    for text in ids:
        value = uuid.UUID(text).int
        bits = (value >> 64 & 0xFFF) << 62 | value & ((1 << 62) - 1)
        ones, zeros = ones | bits, zeros | ~bits
    assert ones == zeros & ((1 << 74) - 1) == (1 << 74) - 1
