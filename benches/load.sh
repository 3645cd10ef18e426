#!/usr/bin/env bash
# End-to-end load test: the release server over a 100,000-meeting demo directory, driven by wrk
# with the benchmark query mix (AA+NA, open, in person, 10 km, 100 results) around
# population-weighted GB points, then the same points asking `/v1/occurrences` for 7 days, then
# search again with `Accept-Encoding: gzip` and `br`. Prints the demo-data load time, wrk's latency
# distribution for each, one summary line each (req/s, p50/p90/p99, errors, bytes per response)
# and the server's resident memory after start and after load. Everything runs on 127.0.0.1 and
# stops by itself.
#
#   [MEETINGMAP_BIN=path] benches/load.sh [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-20}
connections=${2:-32}
port=18181
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
# MEETINGMAP_BIN runs a given build instead (another revision's, to compare in one sitting);
# otherwise this tree's release build, where cargo puts it, also when CARGO_TARGET_DIR points elsewhere.
if [ -n "${MEETINGMAP_BIN:-}" ]; then
  bin=$MEETINGMAP_BIN
else
  cargo build --release --quiet
  bin=${CARGO_TARGET_DIR:-target}/release/meetingmap
fi

echo "== demo-data load, 100,000 meetings"
/usr/bin/time -f "wall %e s, max RSS %M KB" "$bin" demo-data --meetings 100000 --seed 1 --database "$work/load.db"

python3 benches/points.py 2000 > "$work/paths.txt"
python3 benches/points.py 2000 occurrences > "$work/occurrences.txt"
"$bin" serve --database "$work/load.db" --bind "127.0.0.1:$port" > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.2; done
curl -s "http://127.0.0.1:$port/ready"; echo
echo "== RSS after start: $(grep VmRSS /proc/$server/status)"

echo "== wrk: ${duration}s each, $connections connections, 2 threads"
LABEL=search PATHS_FILE="$work/paths.txt" wrk -t2 -c"$connections" -d"${duration}s" --latency -s benches/load.lua "http://127.0.0.1:$port" | tee "$work/search.out"
LABEL=occurrences PATHS_FILE="$work/occurrences.txt" wrk -t2 -c"$connections" -d"${duration}s" --latency -s benches/load.lua "http://127.0.0.1:$port" | tee "$work/occurrences.out"
rss_after=$(grep -E 'VmRSS|VmHWM' /proc/$server/status | tr '\n' ' ')
for encoding in gzip br; do
  ENCODING=$encoding LABEL="search $encoding" PATHS_FILE="$work/paths.txt" wrk -t2 -c"$connections" -d"${duration}s" --latency -s benches/load.lua "http://127.0.0.1:$port" | tee "$work/search-$encoding.out"
done
echo "== summary"
for run in search occurrences search-gzip search-br; do tail -n1 "$work/$run.out"; done
echo "== RSS after search and occurrences: $rss_after"
echo "== RSS after every run: $(grep -E 'VmRSS|VmHWM' /proc/$server/status | tr '\n' ' ')"
