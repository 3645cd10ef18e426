-- The change log behind /v1/changes: one row per meeting that ever existed, at its latest change.
-- Every write of meetings upserts the rows of the meetings whose content it changed, in the write's
-- own transaction, with `seq` = the data version that write moved to. Writers are serialised by the
-- data version bump (the first statement of each write), so `seq` grows in commit order and a reader
-- paging by (seq, id) never has a change committed behind its position.
--
-- `fingerprint` is a hash of the meeting's document without `last_seen_at` (which every import moves
-- on): a write that only confirms a meeting records nothing. NULL for rows made here from meetings
-- stored before the log existed, and for tombstones; the first write compares those documents instead.
CREATE TABLE changes (
    id          TEXT PRIMARY KEY NOT NULL,
    seq         INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('updated', 'deleted')),
    -- Milliseconds since the Unix epoch, by the writer's clock: what `since=` is compared with.
    changed_ms  INTEGER NOT NULL,
    fingerprint INTEGER
);

CREATE INDEX changes_in_order ON changes (seq, id);
CREATE INDEX changes_by_time ON changes (changed_ms);

-- Meetings already stored are announced once, as of the current version.
INSERT INTO changes (id, seq, state, changed_ms, fingerprint)
SELECT id, (SELECT version FROM data_version WHERE id = 1), 'updated',
       CAST(unixepoch('subsec') * 1000 AS INTEGER), NULL
FROM meetings;
