"""Identifiers that stay unique when people work offline on different machines.

Event ids are UUIDv7: time-ordered, so they sort roughly by creation, and random enough
to be the idempotency key for sync. Incident ids must also be short enough to type
during an outage, so they are a prefix plus six Crockford base32 characters (30 random
bits): two machines declaring offline collide with odds of about one in a billion.
"""

import os
import secrets
import time
import uuid

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
INCIDENT_PREFIX = "inc-"


_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0x2 << 62
_RANDOM_74 = ((1 << 76) - 1) & ~(0x3 << 62)
"""The 76 bits below the timestamp less the variant's two: 74 random bits (the
version's four lie above them)."""
_last_ms = 0


def new_event_id() -> str:
    """A fresh UUIDv7 as a string: 48 bits of Unix milliseconds, strictly increasing in
    this process (a call within the same millisecond as the last takes the next one, as
    the ``uuid6`` package does), then the version, the variant and 74 random bits.

    Written out directly: ``str(uuid6.uuid7())`` builds and checks two UUID objects to
    print the same 36 characters, a cost paid for every entry (intake writes three per
    alert). The random bits come straight from ``os.urandom``, the source ``secrets``
    draws on, without its per-call wrapping."""
    global _last_ms
    now_ms = time.time_ns() // 1_000_000
    _last_ms = now_ms if now_ms > _last_ms else _last_ms + 1
    value = (
        (_last_ms & 0xFFFFFFFFFFFF) << 80
        | _VERSION_7
        | _VARIANT_RFC
        | (int.from_bytes(os.urandom(10), "big") & _RANDOM_74)
    )
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


_DERIVED_NAMESPACE = uuid.UUID("5d0c3a1e-8f4b-4c2a-9e1d-7a6b2c9f0e31")


def derived_event_id(*parts: str) -> str:
    """A UUIDv5 named by ``parts``: the same parts give the same id on every machine.

    For a write that must happen once however many writers race to make it (a ladder
    step's firing, named by incident, step and what it writes): the second one is the
    same event id, which every store's idempotence on event id drops.
    """
    return str(uuid.uuid5(_DERIVED_NAMESPACE, "\x1f".join(parts)))


def new_incident_id() -> str:
    """A short, typeable incident id such as ``inc-7k2m9q``."""
    return INCIDENT_PREFIX + "".join(secrets.choice(_CROCKFORD) for _ in range(6))


RISK_PREFIX = "risk-"
"""The risk register keeps each risk in a log of its own, named like an incident's."""


def new_risk_id() -> str:
    """A short, typeable risk id such as ``risk-3fq8zc``: the id of the risk's own log."""
    return RISK_PREFIX + "".join(secrets.choice(_CROCKFORD) for _ in range(6))


def is_risk_stream(stream_id: str) -> bool:
    """A risk's log rather than an incident's (listings of incidents leave these out)."""
    return stream_id.startswith(RISK_PREFIX)


def new_device_id() -> str:
    """A random id naming one installation (one WARROOM_HOME)."""
    return "dev-" + secrets.token_hex(6)


def new_draft_id() -> str:
    """A short notice id such as ``u-7k2m``: typed beside its incident's id, and random so
    two people drafting offline do not revise each other's notice (20 bits)."""
    return "u-" + "".join(secrets.choice(_CROCKFORD) for _ in range(4))
