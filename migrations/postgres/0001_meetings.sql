-- The same shape as the SQLite schema (see migrations/sqlite/), in one step: meetings as their
-- full JSON document with the columns queries and maintenance need beside it, the import history,
-- and the data version.
--
-- Ids compare byte by byte (COLLATE "C"), as SQLite compares them, so "ordered by id" is the same
-- order on both backends whatever the server's locale.
CREATE TABLE meetings (
    id           TEXT COLLATE "C" PRIMARY KEY,
    source_id    TEXT NOT NULL,
    fellowship   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    -- TEXT, not JSONB: the document is only ever read back whole, and JSONB would re-encode it
    -- on every write of a 100k import for nothing.
    doc          TEXT NOT NULL
);

CREATE INDEX meetings_by_source ON meetings (source_id);

CREATE TABLE imports (
    id         BIGSERIAL PRIMARY KEY,
    source_id  TEXT NOT NULL,
    started_at TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    doc        TEXT NOT NULL
);

CREATE INDEX imports_by_source ON imports (source_id, id);
CREATE INDEX imports_by_outcome ON imports (source_id, outcome, id);

-- One row, bumped in the transaction of every write of meetings (whose commit also sends the new
-- version to listening replicas, see postgres.rs). `identity` is random, made once per database.
CREATE TABLE data_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    identity TEXT NOT NULL,
    version  BIGINT NOT NULL
);

INSERT INTO data_version (id, identity, version)
VALUES (1, replace(gen_random_uuid()::text, '-', ''), 0);
