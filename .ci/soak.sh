#!/usr/bin/env bash
# A short, bounded soak: the server at saturation on the search mix (wrk, the load test's paths)
# for 60 s on 127.0.0.1, while imports of a 5,000-meeting Meeting Guide feed run back to back
# against the same database (each one a write the server must notice and swap in). Passes with
# 0 request errors and RSS not growing between the second and the last third of the run; prints
# the figures docs/reliability.md quotes. Stops by itself; about 90 s with the build done.
#
#   .ci/soak.sh [DURATION_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-60}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --quiet --bin meetingmap
bin="${CARGO_TARGET_DIR:-target}/debug/meetingmap"
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
trap 'kill ${server:-} ${importer:-} ${sampler:-} 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

# Two versions of one feed, so every import changes the data.
python3 - "$work" <<'PY'
import json, random, sys
rng = random.Random(7)
base = [(53.0462 + rng.uniform(-2, 2), -2.2 + rng.uniform(-1.5, 1.5)) for _ in range(5000)]
for version in (1, 2):
    feed = [{
        "slug": f"soak-{i}", "name": f"Soak meeting {i} v{version}", "day": i % 7,
        "time": f"{18 + i % 4:02}:{(i * 15) % 60:02}", "types": ["O"] if i % 2 else ["C"],
        "latitude": lat, "longitude": lon, "formatted_address": f"{i} High Street, Town, GB",
    } for i, (lat, lon) in enumerate(base) if version == 1 or i % 10]
    json.dump(feed, open(f"{sys.argv[1]}/feed{version}.json", "w"))
PY
"$bin" demo-data --meetings 20000 --seed 1 --database "sqlite://$work/soak.db" >/dev/null
python3 benches/points.py 2000 >"$work/paths.txt"
"$bin" serve --database "sqlite://$work/soak.db" --bind "127.0.0.1:$port" --no-refresh --watch-ms 500 \
  >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.2; done

# RSS once a second, in KB.
(while kill -0 "$server" 2>/dev/null; do awk '/VmRSS/ {print $2}' "/proc/$server/status"; sleep 1; done) \
  >"$work/rss.txt" 2>/dev/null &
sampler=$!
# Imports back to back, alternating the two versions, until the load stops.
(n=0; while :; do n=$((n + 1)); "$bin" import --database "sqlite://$work/soak.db" \
  --file "$work/feed$((n % 2 + 1)).json" --format meeting-guide --fellowship aa --source-id soak-feed \
  --force >>"$work/import.log" 2>&1 && echo ok >>"$work/imports.txt" || echo failed >>"$work/imports.txt"; done) &
importer=$!

PATHS_FILE="$work/paths.txt" wrk -t2 -c16 -d"${duration}s" --timeout 10s --latency -s benches/load.lua \
  "http://127.0.0.1:$port" | tee "$work/wrk.txt"
kill "$importer" "$sampler" 2>/dev/null || true
wait "$importer" "$sampler" 2>/dev/null || true

requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.txt"); non2xx=${non2xx:-0}
socket=$(awk -F'[ ,]+' '/Socket errors/ {print $4 + $6 + $8 + $10}' "$work/wrk.txt"); socket=${socket:-0}
imports_ok=$(grep -c '^ok' "$work/imports.txt" || true)
imports_failed=$(grep -c '^failed' "$work/imports.txt" || true)
read -r second last < <(awk '{v[NR] = $1} END {
  n = NR; a = int(n / 3); b = int(2 * n / 3)
  for (i = a + 1; i <= b; i++) s += v[i]; for (i = b + 1; i <= n; i++) l += v[i]
  printf "%d %d\n", s / (b - a), l / (n - b) }' "$work/rss.txt")
echo "soak: $requests requests in ${duration} s, $non2xx non-2xx, $socket socket errors;" \
  "imports $imports_ok completed, $imports_failed failed;" \
  "RSS mean second third $((second / 1024)) MB, last third $((last / 1024)) MB"
status=0
[ "$non2xx" -eq 0 ] && [ "$socket" -eq 0 ] || { echo "soak: FAILED, request errors"; status=1; }
[ "$imports_ok" -gt 0 ] && [ "$imports_failed" -eq 0 ] || { echo "soak: FAILED, imports"; tail -5 "$work/import.log"; status=1; }
# Growth beyond noise: 5% and 12 MB (allocator arenas settle in steps, and each import's
# snapshot is built beside the one in use before it is swapped in). At the last run's rate a third
# of the run is about 32,000 requests, so a leak of 700 bytes a request fails it.
[ "$last" -le $((second * 105 / 100 + 12288)) ] || { echo "soak: FAILED, RSS grew"; status=1; }
[ $status -eq 0 ] && echo "soak: passed"
exit $status
