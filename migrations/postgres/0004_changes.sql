-- The change log behind /v1/changes (see migrations/sqlite/0006_changes.sql for the why): one row
-- per meeting at its latest change; `seq` is the data version of the write, whose row lock
-- serialises writers, so `seq` grows in commit order.
CREATE TABLE changes (
    id          TEXT COLLATE "C" PRIMARY KEY,
    seq         BIGINT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('updated', 'deleted')),
    changed_ms  BIGINT NOT NULL,
    fingerprint BIGINT
);

CREATE INDEX changes_in_order ON changes (seq, id);
CREATE INDEX changes_by_time ON changes (changed_ms);

INSERT INTO changes (id, seq, state, changed_ms, fingerprint)
SELECT id, (SELECT version FROM data_version WHERE id = 1), 'updated',
       (extract(epoch FROM clock_timestamp()) * 1000)::bigint, NULL
FROM meetings;
