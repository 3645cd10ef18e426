-- When an unchanged feed was last checked, per source: an unchanged import records that its
-- meetings were seen again here, in one row, instead of rewriting every meeting's document (at
-- 100k meetings that rewrite was most of the re-import's time). Reading a meeting takes the later
-- of its own `last_seen_at` and its source's `seen_at`; a replacing import writes every meeting
-- again and drops the source's row.
CREATE TABLE source_seen (
    source_id TEXT PRIMARY KEY NOT NULL,
    seen_at   TEXT NOT NULL
);
