-- Editing by hand (see src/domain/editing.rs): API keys, sources kept by hand, corrections over
-- imported meetings, problems people report, and the audit trail of every change. Each record is
-- its JSON document with the columns lookups need beside it, as meetings are.

-- A key's secret is never stored: only the SHA-256 of it, compared in constant time.
CREATE TABLE api_keys (
    id   TEXT PRIMARY KEY NOT NULL,
    hash TEXT NOT NULL,
    doc  TEXT NOT NULL
);

CREATE TABLE local_sources (
    id  TEXT PRIMARY KEY NOT NULL,
    doc TEXT NOT NULL
);

CREATE TABLE overlays (
    meeting_id TEXT PRIMARY KEY NOT NULL,
    source_id  TEXT NOT NULL,
    doc        TEXT NOT NULL
);

CREATE INDEX overlays_by_source ON overlays (source_id);

-- No address, hash of one or other trace of the reporter: rate limiting happens in memory.
CREATE TABLE reports (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    meeting_id TEXT NOT NULL,
    source_id  TEXT NOT NULL,
    status     TEXT NOT NULL,
    doc        TEXT NOT NULL
);

CREATE INDEX reports_by_meeting ON reports (meeting_id, id);
CREATE INDEX reports_by_status ON reports (status, id);

CREATE TABLE audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    meeting_id TEXT,
    source_id  TEXT,
    doc        TEXT NOT NULL
);

CREATE INDEX audit_by_meeting ON audit (meeting_id, id);
CREATE INDEX audit_by_source ON audit (source_id, id);
