-- Leases: who may run a piece of work (such as importing one source) across every process sharing
-- this database. A holder keeps its lease until it releases it or `expires_at` (milliseconds since
-- the Unix epoch, by SQLite's clock) passes; then anyone may take it, so a crashed holder blocks
-- the work for one lease period at most.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY NOT NULL,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
