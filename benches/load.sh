#!/usr/bin/env bash
# End-to-end load test: the release server over a 100,000-meeting demo directory, driven by wrk
# with the benchmark query mix (AA+NA, open, in person, 10 km, 100 results) around
# population-weighted GB points. Prints the demo-data load time, wrk's latency distribution and
# the server's resident memory. Everything runs on 127.0.0.1 and stops by itself.
#
#   benches/load.sh [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-20}
connections=${2:-32}
port=18181
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet

echo "== demo-data load, 100,000 meetings"
/usr/bin/time -f "wall %e s, max RSS %M KB" target/release/meetingmap demo-data --meetings 100000 --seed 1 --database "$work/load.db"

python3 benches/points.py 2000 > "$work/paths.txt"
target/release/meetingmap serve --database "$work/load.db" --bind "127.0.0.1:$port" > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.2; done
curl -s "http://127.0.0.1:$port/ready"; echo
echo "== RSS after start: $(grep VmRSS /proc/$server/status)"

echo "== wrk: ${duration}s, $connections connections, 2 threads"
PATHS_FILE="$work/paths.txt" wrk -t2 -c"$connections" -d"${duration}s" --latency -s benches/load.lua "http://127.0.0.1:$port"
echo "== RSS after load: $(grep -E 'VmRSS|VmHWM' /proc/$server/status | tr '\n' ' ')"
