-- Leases: who may run a piece of work (such as importing one source) across every replica.
-- A holder keeps its lease until it releases it or `expires_at` passes; then anyone may take it,
-- so a crashed holder blocks the work for one lease period at most. Times are the database's
-- clock, the one clock every replica shares.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
