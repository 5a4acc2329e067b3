"""Identifiers that stay unique when people work offline on different machines.

Event ids are UUIDv7: time-ordered, so they sort roughly by creation, and random enough
to be the idempotency key for sync. Incident ids must also be short enough to type
during an outage, so they are a prefix plus six Crockford base32 characters (30 random
bits): two machines declaring offline collide with odds of about one in a billion.
"""

import secrets
import uuid

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
INCIDENT_PREFIX = "inc-"


def new_event_id() -> str:
    """A fresh UUIDv7 as a string. (``uuid6`` loads on first use: ~40 ms that reading
    commands such as ``warroom list`` need not pay.)"""
    import uuid6

    return str(uuid6.uuid7())


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
