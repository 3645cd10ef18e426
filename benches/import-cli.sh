#!/usr/bin/env bash
# CLI import timings, two builds interleaved (the machine is shared: alternate, then take medians).
# Usage: benches/import-cli.sh BEFORE_BIN AFTER_BIN WORKDIR [RUNS]
# WORKDIR holds feed.json (100k) and five-0..4.json, made by:
#   meetingmap demo-data --meetings 100000 --seed 1 --database demo.db
#   meetingmap export --database demo.db -o export.json
#   benches/mgfeed.py export.json feed.json && benches/mgfeed.py export.json five.json 5
set -euo pipefail
before=$1 after=$2 work=$3 runs=${4:-5}
secs() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $s" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for label in before after; do : > "$work/$label.one" ; : > "$work/$label.again"; : > "$work/$label.five"; done
for _ in $(seq "$runs"); do
  for label in before after; do
    bin=${!label}
    db="$work/$label.db"; rm -f "$db"*
    secs "$bin" import --file "$work/feed.json" --format meeting-guide --fellowship aa --source-id bench --database "$db" >> "$work/$label.one"
    secs "$bin" import --file "$work/feed.json" --format meeting-guide --fellowship aa --source-id bench --database "$db" >> "$work/$label.again"
    rm -f "$db"*
    s=$(date +%s.%N)
    for i in 0 1 2 3 4; do
      "$bin" import --file "$work/five-$i.json" --format meeting-guide --fellowship aa --source-id "feed-$i" --database "$db" >/dev/null 2>&1
    done
    echo "$(date +%s.%N) - $s" | bc >> "$work/$label.five"
    rm -f "$db"*
  done
done
for label in before after; do
  printf '%-6s 100k into empty: median %.2f s (%s)\n' $label "$(median < "$work/$label.one")" "$(tr '\n' ' ' < "$work/$label.one")"
  printf '%-6s re-import same:  median %.2f s (%s)\n' $label "$(median < "$work/$label.again")" "$(tr '\n' ' ' < "$work/$label.again")"
  printf '%-6s five feeds:      median %.2f s (%s)\n' $label "$(median < "$work/$label.five")" "$(tr '\n' ' ' < "$work/$label.five")"
done
