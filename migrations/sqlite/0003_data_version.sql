-- The data version: one row, bumped in the same transaction as every write of meetings, so a
-- process sharing this database can tell cheaply whether its snapshot is stale, and a snapshot's
-- version (hence cursors and ETags) stays the same across restarts while the data does.
--
-- `identity` is random, made once with the database: two different databases that happen to be at
-- the same version must never accept each other's cursors. A copy of the file keeps the identity,
-- which is right, since it also keeps the data.
CREATE TABLE data_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    identity TEXT NOT NULL,
    version  INTEGER NOT NULL
);

INSERT INTO data_version (id, identity, version) VALUES (1, lower(hex(randomblob(16))), 0);

-- "When did this source last import successfully" is asked for every source on /v1/sources and
-- every hand-out: answer it from an index rather than by scanning the history.
CREATE INDEX imports_by_outcome ON imports (source_id, outcome, id);
