"""The statements of the PostgreSQL writer's group commit (``writer`` says when each
runs); each takes arrays, so its text never varies with the size of a group and it is
prepared once per connection.

The arrays go in binary (``%b``): in text, every element is quoted and escaped by a
regular expression in Python, most of the writer's CPU for the records' JSON (which is
full of quotes); in binary, each is just its bytes with a length."""

LOCK_HEADS = (
    "SELECT incident_id, seq, hash FROM incident_heads"
    " WHERE incident_id = ANY(%b::text[])"
    " ORDER BY incident_id FOR UPDATE"
)
NEW_HEADS = (
    "INSERT INTO incident_heads"
    " SELECT * FROM unnest(%b::text[], %b::bigint[], %b::text[])"
    " ON CONFLICT DO NOTHING"
)
SEEN = (
    "SELECT event_id, incident_id, seq, hash, NULL FROM events"
    " WHERE event_id = ANY(%(ids)b::text[])"
    " UNION ALL SELECT event_id, incident_id, NULL, NULL, reason FROM rejections"
    " WHERE event_id = ANY(%(ids)b::text[])"
)
"""The original outcome of every event of the group the database already has (an id is
never both applied and rejected)."""
COUNTERS = (
    "SELECT device_id, device_seq, event_id FROM device_counters"
    " WHERE (device_id, device_seq) IN (SELECT * FROM unnest(%b::text[], %b::bigint[]))"
)
OWNERS = "SELECT device_id, owner FROM devices WHERE device_id = ANY(%b::text[])"
HIGHEST = "SELECT COALESCE(MAX(device_seq), 0) FROM device_counters WHERE device_id = %s"
INSERT_REJECTIONS = (
    "INSERT INTO rejections SELECT i, inc, r, b, t, %s FROM"
    " unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[]) AS u(i, inc, r, b, t)"
)
INSERT_DEVICES = "INSERT INTO devices SELECT * FROM unnest(%b::text[], %b::text[])"
INSERT_COUNTERS = (
    "INSERT INTO device_counters SELECT * FROM unnest(%b::text[], %b::bigint[], %b::text[])"
)
INSERT_EVENTS = """
WITH head AS (UPDATE feed_head SET pos = pos + %(n)s WHERE id = 1 RETURNING pos),
inserted AS (
    INSERT INTO events
    SELECT head.pos - %(n)s + e.ord, e.incident_id, e.seq, e.event_id, e.hash, e.token_id,
           %(now)s, '{"cursor":"' || (head.pos - %(n)s + e.ord) || '",' || e.rest
    FROM head, unnest(%(incidents)b::text[], %(seqs)b::bigint[], %(ids)b::text[],
                      %(hashes)b::text[], %(tokens)b::text[], %(rests)b::text[])
               WITH ORDINALITY AS e(incident_id, seq, event_id, hash, token_id, rest, ord)
)
SELECT pos, pg_notify(%(channel)s, %(replica)s || ':' || pos) FROM head"""
"""Take the group's ``n`` global positions, insert its events with them (each record is
completed with its cursor here) and hint the other replicas, in one statement."""
MOVE_HEADS = (
    "UPDATE incident_heads AS h SET seq = u.seq, hash = u.hash"
    " FROM unnest(%b::text[], %b::bigint[], %b::text[]) AS u(incident_id, seq, hash)"
    " WHERE h.incident_id = u.incident_id"
)
