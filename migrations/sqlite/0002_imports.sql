-- One row per import attempt of a source: the import history behind /v1/sources. The run's
-- details (counts, rejected records, unknown codes) are kept as JSON like meetings are.
CREATE TABLE imports (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id  TEXT NOT NULL,
    started_at TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    doc        TEXT NOT NULL
);

CREATE INDEX imports_by_source ON imports (source_id, id);
