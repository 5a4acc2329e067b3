"""The statements of the PostgreSQL writer's group commit (``writer`` says when each
runs); each takes arrays, so its text never varies with the size of a group and it is
prepared once per connection.

The arrays go in binary (``%b``): in text, every element is quoted and escaped by a
regular expression in Python, most of the writer's CPU for the records' JSON (which is
full of quotes); in binary, each is just its bytes with a length (``arrays`` packs them).
A typical group runs four statements between ``BEGIN`` and ``COMMIT`` (``LOCK_HEADS``,
``LOOK_UP``; ``INSERT_COUNTERS``, ``INSERT_EVENTS``): each costs the writer's thread and
the database a fixed amount whatever its size, so what can share a statement does."""

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
LOOK_UP = (
    "SELECT 'applied', event_id, incident_id, seq, hash FROM events"
    " WHERE event_id = ANY(%(ids)b::text[])"
    " UNION ALL SELECT 'rejected', event_id, incident_id, NULL, reason FROM rejections"
    " WHERE event_id = ANY(%(ids)b::text[])"
    " UNION ALL SELECT 'counter', device_id, event_id, device_seq, NULL FROM device_counters"
    " WHERE (device_id, device_seq) IN"
    " (SELECT * FROM unnest(%(devices)b::text[], %(device_seqs)b::bigint[]))"
    " UNION ALL SELECT 'owner', device_id, owner, NULL, NULL FROM devices"
    " WHERE device_id = ANY(%(unknown)b::text[])"
)
"""What the database already holds of a group, in one statement (run after the locks, so
its snapshot sees whatever another replica committed before it let go of them), a row
of ``(kind, key, text, number, text)`` each: the original outcome of each of the group's
events the database has (``applied``: id, incident, seq, hash; ``rejected``: id,
incident, reason; an id is never both), the holder of each device counter the group's
events name (``counter``: device, event, seq) and the owner of each device asked about
(``owner``: device, owner)."""
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
),
moved AS (
    UPDATE incident_heads AS h SET seq = u.seq, hash = u.hash
    FROM unnest(%(touched)b::text[], %(head_seqs)b::bigint[], %(head_hashes)b::text[])
         AS u(incident_id, seq, hash)
    WHERE h.incident_id = u.incident_id
)
SELECT pos, pg_notify(%(channel)s, %(replica)s || ':' || pos) FROM head"""
"""Take the group's ``n`` global positions, insert its events with them (each record is
completed with its cursor here), move the heads of the incidents they extend (rows this
transaction has locked: nothing to wait for) and hint the other replicas, in one
statement."""
