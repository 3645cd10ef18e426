-- Editing by hand: the same shape as migrations/sqlite/0005_editing.sql (API keys, sources kept by
-- hand, corrections over imported meetings, reports, the audit trail), each record its JSON
-- document with the columns lookups need beside it.
CREATE TABLE api_keys (
    id   TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    doc  TEXT NOT NULL
);

CREATE TABLE local_sources (
    id  TEXT COLLATE "C" PRIMARY KEY,
    doc TEXT NOT NULL
);

CREATE TABLE overlays (
    meeting_id TEXT COLLATE "C" PRIMARY KEY,
    source_id  TEXT NOT NULL,
    doc        TEXT NOT NULL
);

CREATE INDEX overlays_by_source ON overlays (source_id);

CREATE TABLE reports (
    id         BIGSERIAL PRIMARY KEY,
    meeting_id TEXT NOT NULL,
    source_id  TEXT NOT NULL,
    status     TEXT NOT NULL,
    doc        TEXT NOT NULL
);

CREATE INDEX reports_by_meeting ON reports (meeting_id, id);
CREATE INDEX reports_by_status ON reports (status, id);

CREATE TABLE audit (
    id         BIGSERIAL PRIMARY KEY,
    at         TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    meeting_id TEXT,
    source_id  TEXT,
    doc        TEXT NOT NULL
);

CREATE INDEX audit_by_meeting ON audit (meeting_id, id);
CREATE INDEX audit_by_source ON audit (source_id, id);
