"""The statements of the PostgreSQL writer's group commit (``writer`` says when each
runs); each takes arrays, so its text never varies with the size of a group and it is
prepared once per connection.

The arrays go in binary (``%b``): in text, every element is quoted and escaped by a
regular expression in Python, most of the writer's CPU for the records' JSON (which is
full of quotes); in binary, each is just its bytes with a length (``arrays`` packs them).
Each statement costs the writer's thread and the database a fixed amount whatever its
size (about 50 us of psycopg alone), so what can share a statement does: the whole write
of a group is one call of a function kept in the database (``WRITE_FUNCTION``), which is
all a group on cached heads runs (``writer``); a group that must lock and look up first
runs ``BEGIN``, ``LOCK_HEADS``, ``LOOK_UP``, ``WRITE``, ``COMMIT``."""

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

WRITE = (
    "SELECT warroom_write(%(expected)b::text[], %(expected_seqs)b::bigint[], %(now)s,"
    " %(rejected)b::text[], %(rejected_incidents)b::text[], %(reasons)b::text[],"
    " %(bodies)b::text[], %(rejected_tokens)b::text[],"
    " %(devices)b::text[], %(owners)b::text[],"
    " %(counter_devices)b::text[], %(counter_seqs)b::bigint[], %(counter_events)b::text[],"
    " %(incidents)b::text[], %(seqs)b::bigint[], %(ids)b::text[], %(hashes)b::text[],"
    " %(tokens)b::text[], %(rests)b::text[],"
    " %(touched)b::text[], %(head_seqs)b::bigint[], %(head_hashes)b::text[],"
    " %(channel)s, %(replica)s)"
)
"""The write of a group: one call of ``warroom_write`` (``WRITE_FUNCTION``)."""

WRITE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION warroom_write(
    expected text[], expected_seqs bigint[], now timestamptz,
    rejected text[], rejected_incidents text[], reasons text[], bodies text[],
    rejected_tokens text[],
    devices text[], owners text[],
    counter_devices text[], counter_seqs bigint[], counter_events text[],
    incidents text[], seqs bigint[], ids text[], hashes text[], tokens text[], rests text[],
    touched text[], head_seqs bigint[], head_hashes text[],
    channel text, replica text
) RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    n integer := cardinality(ids);
    last bigint;
BEGIN
    IF (SELECT count(*) FROM (
            SELECT incident_id, seq FROM incident_heads WHERE incident_id = ANY(expected)
            ORDER BY incident_id FOR UPDATE) AS locked
        JOIN unnest(expected, expected_seqs) AS e(incident_id, seq) USING (incident_id)
        WHERE locked.seq = e.seq) <> cardinality(expected)
    THEN
        RAISE EXCEPTION 'an incident moved since its head was read'
            USING ERRCODE = 'serialization_failure';
    END IF;
    IF EXISTS (SELECT 1 FROM rejections WHERE event_id = ANY(ids))
        OR EXISTS (SELECT 1 FROM events WHERE event_id = ANY(rejected))
    THEN
        RAISE EXCEPTION 'an event of the group already has an outcome'
            USING ERRCODE = 'unique_violation';
    END IF;
    IF cardinality(rejected) > 0 THEN
        INSERT INTO rejections SELECT i, inc, r, b, t, now FROM
            unnest(rejected, rejected_incidents, reasons, bodies, rejected_tokens)
            AS u(i, inc, r, b, t);
    END IF;
    IF cardinality(devices) > 0 THEN
        INSERT INTO devices SELECT * FROM unnest(devices, owners);
    END IF;
    IF cardinality(counter_devices) > 0 THEN
        INSERT INTO device_counters
            SELECT * FROM unnest(counter_devices, counter_seqs, counter_events);
    END IF;
    IF n = 0 THEN
        RETURN NULL;
    END IF;
    UPDATE feed_head SET pos = pos + n WHERE id = 1 RETURNING pos INTO last;
    INSERT INTO events
        SELECT last - n + e.ord, e.incident_id, e.seq, e.event_id, e.hash, e.token_id, now,
               '{"cursor":"' || (last - n + e.ord) || '",' || e.rest
        FROM unnest(incidents, seqs, ids, hashes, tokens, rests)
             WITH ORDINALITY AS e(incident_id, seq, event_id, hash, token_id, rest, ord);
    UPDATE incident_heads AS h SET seq = u.seq, hash = u.hash
        FROM unnest(touched, head_seqs, head_hashes) AS u(incident_id, seq, hash)
        WHERE h.incident_id = u.incident_id;
    PERFORM pg_notify(channel, replica || ':' || last);
    RETURN last;
END
$$"""
"""A group's whole write, in one statement, whether or not a transaction is open around
it (``writer``): lock the heads of the incidents the group was judged against, in
incident order (two replicas never deadlock on them), and refuse (SQLSTATE 40001) if
any moved from the ``expected`` seq the judging saw; refuse (23505) if an event judged
new already has an outcome in the other table (an insert into its own table would fail
on its key anyway); insert the rejections, devices and counters (a device or counter
another replica claimed meanwhile fails on its key: the group is judged again); only
then take the ``n`` global positions, ``UPDATE feed_head``, whose row lock is held until
commit, so positions are dense and in commit order (the bigserial trap of
reference/sync-protocols.md §3.2); insert the events with them (each record completed
with its cursor), move the heads, and hint the other replicas. Each statement of a
PL/pgSQL function takes a fresh snapshot, so the look-ups after the locks see whatever
the previous holder of a lock committed. Returns the last position taken (NULL when
nothing was applied)."""
