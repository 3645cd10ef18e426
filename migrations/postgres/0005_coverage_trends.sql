-- One compact coverage summary per successful import (issue 14): per area (district, upper tier,
-- nation) and fellowship, the meetings counted there, residents, and residents within 5 km of a
-- meeting, as a JSON array. Reports read the last on or before a date and the newest, to show
-- the change between them. `taken_at` is RFC 3339 UTC to the second, so text order is time order.
CREATE TABLE coverage_trends (
    id       BIGSERIAL PRIMARY KEY,
    taken_at TEXT NOT NULL,
    doc      TEXT NOT NULL
);

CREATE INDEX coverage_trends_by_time ON coverage_trends (taken_at);
