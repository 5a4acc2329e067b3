"""The statements of the PostgreSQL writer's group commit (``writer`` says when each
runs); each takes arrays, so its text never varies with the size of a group and it is
prepared once per connection."""

LOCK_HEADS = (
    "SELECT incident_id, seq, hash FROM incident_heads WHERE incident_id = ANY(%s)"
    " ORDER BY incident_id FOR UPDATE"
)
NEW_HEADS = (
    "INSERT INTO incident_heads SELECT * FROM unnest(%s::text[], %s::bigint[], %s::text[])"
    " ON CONFLICT DO NOTHING"
)
SEEN = (
    "SELECT event_id, incident_id, seq, hash, NULL FROM events WHERE event_id = ANY(%(ids)s)"
    " UNION ALL SELECT event_id, incident_id, NULL, NULL, reason FROM rejections"
    " WHERE event_id = ANY(%(ids)s)"
)
"""The original outcome of every event of the group the database already has (an id is
never both applied and rejected)."""
COUNTERS = (
    "SELECT device_id, device_seq, event_id FROM device_counters"
    " WHERE (device_id, device_seq) IN (SELECT * FROM unnest(%s::text[], %s::bigint[]))"
)
OWNERS = "SELECT device_id, owner FROM devices WHERE device_id = ANY(%s)"
HIGHEST = "SELECT COALESCE(MAX(device_seq), 0) FROM device_counters WHERE device_id = %s"
INSERT_REJECTIONS = (
    "INSERT INTO rejections SELECT i, inc, r, b, t, %s FROM"
    " unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[]) AS u(i, inc, r, b, t)"
)
INSERT_DEVICES = "INSERT INTO devices SELECT * FROM unnest(%s::text[], %s::text[])"
INSERT_COUNTERS = (
    "INSERT INTO device_counters SELECT * FROM unnest(%s::text[], %s::bigint[], %s::text[])"
)
INSERT_EVENTS = """
WITH head AS (UPDATE feed_head SET pos = pos + %(n)s WHERE id = 1 RETURNING pos),
inserted AS (
    INSERT INTO events
    SELECT head.pos - %(n)s + e.ord, e.incident_id, e.seq, e.event_id, e.hash, e.token_id,
           %(now)s, '{"cursor":"' || (head.pos - %(n)s + e.ord) || '",' || e.rest
    FROM head, unnest(%(incidents)s::text[], %(seqs)s::bigint[], %(ids)s::text[],
                      %(hashes)s::text[], %(tokens)s::text[], %(rests)s::text[])
               WITH ORDINALITY AS e(incident_id, seq, event_id, hash, token_id, rest, ord)
)
SELECT pos, pg_notify(%(channel)s, %(replica)s || ':' || pos) FROM head"""
"""Take the group's ``n`` global positions, insert its events with them (each record is
completed with its cursor here) and hint the other replicas, in one statement."""
MOVE_HEADS = (
    "UPDATE incident_heads AS h SET seq = u.seq, hash = u.hash"
    " FROM unnest(%s::text[], %s::bigint[], %s::text[]) AS u(incident_id, seq, hash)"
    " WHERE h.incident_id = u.incident_id"
)
