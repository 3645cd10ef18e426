#!/usr/bin/env bash
# The shared-store benchmarks of docs/benchmarks.md, on loopback:
#  1. writing 100,000 meetings (`demo-data`, then `load` of its export) into SQLite and into
#     PostgreSQL (.ci/postgres.sh, started here with durable settings: fsync on, as in production);
#  2. search throughput through HAProxy (deploy/haproxy.cfg) with 1 and with 3 replicas on that
#     PostgreSQL, driven by wrk with the benchmark query mix (benches/load.lua).
#
#   benches/cluster.sh [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-15}
connections=${2:-32}
work=$(mktemp -d)
chmod 755 "$work"
pids=()
export PGDIR="$work/pg" PGPORT=55499 PG_DURABLE=1
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; .ci/postgres.sh stop; rm -rf "$work"' EXIT

cargo build --release --quiet
bin=target/release/meetingmap
[ -n "${CARGO_TARGET_DIR:-}" ] && bin="$CARGO_TARGET_DIR/release/meetingmap"
admin=$(.ci/postgres.sh start)
pg="${admin%/postgres}/bench"
psql -q "$admin" -c "CREATE DATABASE bench"
timed() { /usr/bin/time -f "   wall %e s, max RSS %M KB" "$@" >/dev/null; }

echo "== 100,000 meetings written by demo-data (generate, write, index)"
echo "-- SQLite";     timed "$bin" demo-data --meetings 100000 --seed 1 --database "$work/bench.db"
echo "-- PostgreSQL"; timed "$bin" demo-data --meetings 100000 --seed 1 --database "$pg"
echo "== the same again over the existing 100,000 (replace the source)"
echo "-- SQLite";     timed "$bin" demo-data --meetings 100000 --seed 1 --database "$work/bench.db"
echo "-- PostgreSQL"; timed "$bin" demo-data --meetings 100000 --seed 1 --database "$pg"
"$bin" export --database "$work/bench.db" --output "$work/export.json" >/dev/null
echo "== load of a 100,000-meeting export into an empty database (read, write, index)"
psql -q "$admin" -c "CREATE DATABASE empty"
echo "-- SQLite";     timed "$bin" load "$work/export.json" --database "$work/empty.db"
echo "-- PostgreSQL"; timed "$bin" load "$work/export.json" --database "${admin%/postgres}/empty"

python3 benches/points.py 2000 > "$work/paths.txt"
ports=(18201 18202 18203)
started=$(date +%s.%N)
for port in "${ports[@]}"; do
  "$bin" serve --database "$pg" --bind "127.0.0.1:$port" --no-refresh > "$work/serve-$port.log" 2>&1 &
  pids+=($!)
done
for port in "${ports[@]}"; do
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.05; done
done
echo "== three replicas started together over 100,000 meetings, all ready after $(awk "BEGIN {print $(date +%s.%N) - $started}") s"

# A new data version committed while the replicas serve (bumped as a write of meetings bumps
# it, by hand so that the clock starts at the commit): how long until every replica serves it
# (notification, full reload of the 100,000 meetings, rebuild, swap).
etag() { curl -sI "http://127.0.0.1:$1/v1/meetings?limit=1" | tr -d '\r' | awk 'tolower($1) == "etag:" {print $2}'; }
before=$(etag "${ports[0]}")
psql -q "$pg" -c "WITH bumped AS (UPDATE data_version SET version = version + 1 RETURNING version)
                  SELECT pg_notify('meetingmap_data_version', version::text) FROM bumped" >/dev/null
committed=$(date +%s.%N)
for port in "${ports[@]}"; do
  for _ in $(seq 400); do [ "$(etag "$port")" != "$before" ] && break; sleep 0.02; done
done
echo "== a new version of 100,000 meetings served by all three replicas $(awk "BEGIN {print $(date +%s.%N) - $committed}") s after its commit"

balance() {  # balance PORT REPLICA1 REPLICA2 REPLICA3: HAProxy on PORT over those replicas
  LB_BIND="127.0.0.1:$1" REPLICA1="$2" REPLICA2="$3" REPLICA3="$4" haproxy -db -f deploy/haproxy.cfg >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$1/ready" >/dev/null && break; sleep 0.1; done
}
one=127.0.0.1:${ports[0]}
# One replica: the same server three times in the backend list, so HAProxy's work is the same.
balance 18210 "$one" "$one" "$one"
balance 18211 "127.0.0.1:${ports[0]}" "127.0.0.1:${ports[1]}" "127.0.0.1:${ports[2]}"

echo "== wrk direct to one replica: ${duration}s, $connections connections, 2 threads"
PATHS_FILE="$work/paths.txt" wrk -t2 -c"$connections" -d"${duration}s" --latency -s benches/load.lua "http://$one"
echo "== wrk through HAProxy, 1 replica"
PATHS_FILE="$work/paths.txt" wrk -t2 -c"$connections" -d"${duration}s" --latency -s benches/load.lua "http://127.0.0.1:18210"
echo "== wrk through HAProxy, 3 replicas"
PATHS_FILE="$work/paths.txt" wrk -t2 -c"$connections" -d"${duration}s" --latency -s benches/load.lua "http://127.0.0.1:18211"
for i in 0 1 2; do
  echo "== replica $((i + 1)) RSS: $(grep -E 'VmRSS' /proc/${pids[$i]}/status | tr -s ' ')"
done
