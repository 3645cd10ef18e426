#!/usr/bin/env bash
# The PostGIS peer of load.sh's search figure: the same 100,000 demo meetings (demo-data, seed 1)
# in PostgreSQL 15 + PostGIS 3 with a GiST index on geography, and the same query mix around the
# same 2,000 points (benches/points.py: AA and NA, open, in person or hybrid, 10 km, nearest
# first, 100 rows), driven by pgbench with 4 clients. It is the database alone (no HTTP, no JSON,
# ids and distances only): a lower bound on what a PostGIS-backed service could serve, to set
# beside load.sh's end-to-end req/s. Run both in one sitting (benches/load.sh then this) on the
# same machine. Everything listens on 127.0.0.1 only and stops by itself.
#
#   benches/postgis-peer.sh [DURATION_SECONDS] [SQLITE_DATABASE]
#
# Without SQLITE_DATABASE the release build writes the demo directory first. As root, the cluster
# runs as the `postgres` user the Debian package creates.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-20}
database=${2:-}
port=55432
pg=/usr/lib/postgresql/15/bin
work=$(mktemp -d)
chmod 755 "$work"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  as_pg "$pg/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

[ -e /usr/share/postgresql/15/extension/postgis.control ] ||
  { apt-get update -qq && apt-get install -y -qq postgresql-15-postgis-3 >/dev/null; }
if [ -z "$database" ]; then
  cargo build --release --quiet
  database="$work/load.db"
  "${CARGO_TARGET_DIR:-target}/release/meetingmap" demo-data --meetings 100000 --seed 1 --database "$database" >/dev/null
fi

# The meetings as the search sees them: fellowship, access, attendance and position (meetings
# without a position are never within a radius, so they are left out).
python3 - "$database" > "$work/meetings.csv" <<'PY'
import csv, sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(
    "SELECT id, json_extract(doc, '$.fellowship'), json_extract(doc, '$.access'),"
    " json_extract(doc, '$.attendance'), json_extract(doc, '$.location.lat'),"
    " json_extract(doc, '$.location.lon') FROM meetings")
out = csv.writer(sys.stdout)
for id, fellowship, access, attendance, lat, lon in rows:
    if lat is not None and lon is not None:
        out.writerow([id, fellowship, access, attendance, f"SRID=4326;POINT({lon} {lat})"])
PY
# The same points as load.sh, in its order.
python3 benches/points.py 2000 | python3 -c '
import sys, urllib.parse
for i, line in enumerate(sys.stdin, 1):
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(line.strip()).query)
    lat, lon = q["lat"][0], q["lon"][0]
    print(f"{i},SRID=4326;POINT({lon} {lat})")' > "$work/points.csv"

mkdir "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres "$work/pg"
as_pg "$pg/initdb" -D "$work/pg" -A trust -U bench >/dev/null
as_pg "$pg/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w \
  -o "-p $port -k $work/pg -c listen_addresses=127.0.0.1 -c shared_buffers=256MB" start >/dev/null
psql=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U bench)
"${psql[@]}" -d postgres -c "CREATE DATABASE peer"
"${psql[@]}" -d peer <<SQL
CREATE EXTENSION postgis;
CREATE TABLE meetings (
  id text PRIMARY KEY, fellowship text NOT NULL, access text NOT NULL, attendance text NOT NULL,
  geog geography(Point, 4326) NOT NULL);
CREATE TABLE points (i int PRIMARY KEY, geog geography(Point, 4326) NOT NULL);
\copy meetings FROM '$work/meetings.csv' CSV
\copy points FROM '$work/points.csv' CSV
CREATE INDEX meetings_geog ON meetings USING gist (geog);
VACUUM ANALYZE;
SQL
# Spherical distances (use_spheroid false), as meetingmap measures them.
cat > "$work/mix.sql" <<'SQL'
\set i random(1, 2000)
SELECT m.id, ST_Distance(m.geog, p.geog, false) AS metres
FROM points p JOIN meetings m ON ST_DWithin(m.geog, p.geog, 10000, false)
WHERE p.i = :i AND m.fellowship IN ('aa', 'na') AND m.access = 'open'
  AND m.attendance IN ('in_person', 'hybrid')
ORDER BY metres, m.id
LIMIT 100;
SQL
echo "== PostGIS $("${psql[@]}" -d peer -Atc 'SELECT postgis_lib_version()'), $(wc -l < "$work/meetings.csv") meetings, plan of one query:"
"${psql[@]}" -d peer -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $(sed -e '1d' -e 's/:i/1/' "$work/mix.sql")"
echo "== rows per query over the first 200 points: $("${psql[@]}" -d peer -Atc "
  SELECT round(avg(n), 1) FROM (SELECT (SELECT count(*) FROM (SELECT 1 FROM meetings m
    WHERE ST_DWithin(m.geog, p.geog, 10000, false) AND m.fellowship IN ('aa', 'na')
      AND m.access = 'open' AND m.attendance IN ('in_person', 'hybrid') LIMIT 100) x) AS n
  FROM points p WHERE p.i <= 200) y")"
echo "== pgbench: ${duration}s, 4 clients, 2 threads"
pgbench -n -c 4 -j 2 -T "$duration" -f "$work/mix.sql" -h 127.0.0.1 -p "$port" -U bench peer |
  grep -E 'latency|tps|transactions|failed'
