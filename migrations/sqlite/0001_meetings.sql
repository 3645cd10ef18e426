-- Meetings are stored as their full JSON representation (the API's own, see domain::Meeting),
-- with the columns queries and maintenance need pulled out beside it. Reads are served from the
-- in-memory search snapshot, so the database only has to load everything, replace a source's
-- meetings and back up; a document column keeps that simple and keeps backends alike.
CREATE TABLE meetings (
    id           TEXT PRIMARY KEY NOT NULL,
    source_id    TEXT NOT NULL,
    fellowship   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    doc          TEXT NOT NULL
);

CREATE INDEX meetings_by_source ON meetings (source_id);
